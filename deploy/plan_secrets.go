package deploy

// Secrets: --set-secrets, --update-secrets, --remove-secrets and
// --clear-secrets, as environment variables (EnvVar.value_source) and as
// files (secret volumes plus mounts), following gcloud's
// SecretEnvVarChanges and SecretVolumeChanges for the managed platform.

import (
	"regexp"
	"strings"
	"sync"

	"cloud.google.com/go/run/apiv2/runpb"

	"github.com/rundeploy/rundeploy/cli"
	"github.com/rundeploy/rundeploy/wrap"
)

// reachableSecret is gcloud's secrets_mapping.ReachableSecret on the managed
// platform: a secret (in this project, or projects/NUMBER/secrets/NAME in
// another one) and a version.
type reachableSecret struct {
	// ref is the v2 secret reference: NAME, or projects/NUMBER/secrets/NAME.
	// v2 takes the cross-project form directly, so gcloud's alias
	// annotation (run.googleapis.com/secrets) is not needed.
	ref string
	// name is the short secret name (used as the volume name prefix).
	name    string
	version string
}

// The secret patterns compile to large programs ({1,255}); they are built
// on first use so that starting rundeploy (--help, a bad flag) stays cheap.
var (
	remoteSecretRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^projects/([0-9]{1,19})/secrets/([a-zA-Z0-9-_]{1,255})(?::(.+)|/versions/(.+))?$`)
	})
	localSecretRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9-_]{1,255}$`) })
)

// parseSecret parses the value of one secrets entry. connector is the env
// var name or mount path the user wrote, for messages.
func parseSecret(value, connector string) (reachableSecret, error) {
	if m := remoteSecretRE().FindStringSubmatch(value); m != nil {
		v := m[3]
		if v == "" {
			v = m[4]
		}
		if v == "" {
			v = "latest"
		}
		return reachableSecret{ref: "projects/" + m[1] + "/secrets/" + m[2], name: m[2], version: v}, nil
	}
	parts := strings.Split(value, ":")
	var rs reachableSecret
	switch len(parts) {
	case 1:
		return rs, wrap.ValueErrorf("No secret version specified for %s. Use %s:latest to reference the latest version.", connector, connector)
	case 2:
		rs = reachableSecret{ref: parts[0], name: parts[0], version: parts[1]}
	default:
		return rs, wrap.ValueErrorf("Invalid secret spec %s", quoteRepr(value))
	}
	if !localSecretRE().MatchString(rs.name) {
		return rs, wrap.ValueErrorf("%s is not a valid secret name.", quoteRepr(rs.name))
	}
	return rs, nil
}

// quoteRepr quotes s like Python's repr() of a str does in the usual cases.
func quoteRepr(s string) string {
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}

// isMountKey reports whether a secrets key is a file path.
func isMountKey(k string) bool { return strings.HasPrefix(k, "/") }

// validatedMountPoint is flags._ValidatedMountPoint.
func validatedMountPoint(k string) error {
	segs := strings.Split(k, "/")
	ok := len(segs) >= 3
	for _, s := range segs[1:] {
		if s == "" || s == "." || s == ".." {
			ok = false
		}
	}
	if !ok {
		return wrap.ValueErrorf("Mount path [%s] must be in the form /<mountPath>/<path>", k)
	}
	return nil
}

func (p *planner) applyPrimarySecrets() error {
	return p.onPrimary(p.applySecrets)
}

type secretUpdate struct {
	key string
	rs  reachableSecret
}

// applySecrets is flags._GetSecretsChanges and the two changers it makes.
func (p *planner) applySecrets(c *runpb.Container, cf *cli.ContainerFlags) error {
	if !(cf.SetSecrets.Set || cf.UpdateSecrets.Set || cf.RemoveSecrets.Set || cf.ClearSecrets.Set) {
		return nil
	}
	src := cf.UpdateSecrets
	if !cf.UpdateSecrets.Set || len(src.Keys) == 0 {
		src = cf.SetSecrets
	}
	var envUpdates, volUpdates []secretUpdate
	for _, k := range src.Keys {
		key := strings.TrimSpace(k)
		if isMountKey(key) {
			if err := validatedMountPoint(key); err != nil {
				return err
			}
		}
		rs, err := parseSecret(src.Values[k], key)
		if err != nil {
			return err
		}
		if isMountKey(key) {
			volUpdates = append(volUpdates, secretUpdate{key, rs})
		} else {
			envUpdates = append(envUpdates, secretUpdate{key, rs})
		}
	}
	var envRemoves, volRemoves []string
	for _, r := range cf.RemoveSecrets.Items {
		r = strings.TrimLeft(r, " \t\n\r\v\f")
		if isMountKey(r) {
			volRemoves = append(volRemoves, r)
		} else {
			envRemoves = append(envRemoves, r)
		}
	}
	clearOthers := (cf.SetSecrets.Set && len(cf.SetSecrets.Keys) > 0) || (cf.ClearSecrets.Set && cf.ClearSecrets.Value)
	if len(envUpdates) > 0 || len(envRemoves) > 0 || clearOthers {
		if err := applySecretEnv(c, envUpdates, envRemoves, clearOthers); err != nil {
			return err
		}
	}
	if len(volUpdates) > 0 || len(volRemoves) > 0 || clearOthers {
		if err := p.applySecretVolumes(c, volUpdates, volRemoves, clearOthers); err != nil {
			return err
		}
	}
	return nil
}

// applySecretEnv is SecretEnvVarChanges.
func applySecretEnv(c *runpb.Container, updates []secretUpdate, removes []string, clearOthers bool) error {
	kept := c.Env[:0:0]
	for _, e := range c.Env {
		if isSecretEnv(e) && (clearOthers || contains(removes, e.GetName())) {
			continue
		}
		kept = append(kept, e)
	}
	c.Env = kept
	for _, u := range updates {
		vs := &runpb.EnvVar_ValueSource{ValueSource: &runpb.EnvVarSource{
			SecretKeyRef: &runpb.SecretKeySelector{Secret: u.rs.ref, Version: u.rs.version},
		}}
		if e := findEnv(c.Env, u.key); e != nil {
			if !isSecretEnv(e) {
				return wrap.ValueErrorf("Cannot update environment variable [%s] to the given type because it has already been set with a different type.", u.key)
			}
			e.Values = vs
			continue
		}
		c.Env = append(c.Env, &runpb.EnvVar{Name: u.key, Values: vs})
	}
	return nil
}

// secretVolumes is the template's view that gcloud's
// volumes.secrets/volume_mounts.secrets wrappers give.
type secretVolumes struct {
	p *planner
	t *runpb.RevisionTemplate
	c *runpb.Container
}

func (s secretVolumes) volume(name string) *runpb.Volume {
	for _, v := range s.t.Volumes {
		if v.GetName() == name {
			return v
		}
	}
	return nil
}

// secret returns the secret source of the named volume, nil if the volume
// is missing or of another type.
func (s secretVolumes) secret(name string) *runpb.SecretVolumeSource {
	return s.volume(name).GetSecret()
}

// mounts returns the container's secret mounts: mount path -> volume name.
func (s secretVolumes) mounts(c *runpb.Container) map[string]string {
	out := map[string]string{}
	for _, m := range c.VolumeMounts {
		if s.secret(m.GetName()) != nil {
			out[m.GetMountPath()] = m.GetName()
		}
	}
	return out
}

// setMount points the mount at path to volume. Like gcloud's wrapper it
// refuses to repoint a mount whose volume is not a secret volume.
func (s secretVolumes) setMount(path, volume string) error {
	for _, m := range s.c.VolumeMounts {
		if m.GetMountPath() == path {
			if s.secret(m.GetName()) == nil {
				return wrap.ValueErrorf("Cannot update mount [%s] because its mounted volume is of a different source type.", path)
			}
			m.Name = volume
			return nil
		}
	}
	s.c.VolumeMounts = append(s.c.VolumeMounts, &runpb.VolumeMount{Name: volume, MountPath: path})
	return nil
}

func (s secretVolumes) deleteMount(path string) {
	kept := s.c.VolumeMounts[:0:0]
	for _, m := range s.c.VolumeMounts {
		if m.GetMountPath() == path && s.secret(m.GetName()) != nil {
			continue
		}
		kept = append(kept, m)
	}
	s.c.VolumeMounts = kept
}

// setVolume stores src under name, replacing a volume of that name in place.
func (s secretVolumes) setVolume(name string, src *runpb.SecretVolumeSource) {
	vt := &runpb.Volume_Secret{Secret: src}
	if v := s.volume(name); v != nil {
		v.VolumeType = vt
		return
	}
	s.t.Volumes = append(s.t.Volumes, &runpb.Volume{Name: name, VolumeType: vt})
}

// uniqueName is config_changes._UniqueVolumeName: PREFIX-www-www, not used
// by any volume of the template.
func (s secretVolumes) uniqueName(prefix string) (string, error) {
	for {
		n, err := s.p.rnd.name(prefix, 2)
		if err != nil {
			return "", err
		}
		if s.volume(n) == nil {
			return n, nil
		}
	}
}

// copyToNewVolume is config_changes._CopyToNewVolume: give the mount point a
// volume of its own, with src plus the old volume's other items.
func (s secretVolumes) copyToNewVolume(oldName, mountPoint string, src *runpb.SecretVolumeSource, shortName string) (string, error) {
	name, err := s.uniqueName(shortName)
	if err != nil {
		return "", err
	}
	if err := s.setMount(mountPoint, name); err != nil {
		return "", err
	}
	paths := map[string]bool{}
	for _, it := range src.Items {
		paths[it.GetPath()] = true
	}
	for _, it := range s.secret(oldName).GetItems() {
		if !paths[it.GetPath()] {
			src.Items = append(src.Items, it)
		}
	}
	s.setVolume(name, src)
	return name, nil
}

// shortSecretName is the last segment of a v2 secret reference.
func shortSecretName(ref string) string {
	return ref[strings.LastIndex(ref, "/")+1:]
}

// applySecretVolumes is SecretVolumeChanges.Adjust on the managed platform:
// one secret per directory, items merged into an existing volume of the same
// secret, volumes shared with another mount or container split off, unused
// secret volumes pruned.
func (p *planner) applySecretVolumes(c *runpb.Container, updates []secretUpdate, removes []string, clearOthers bool) error {
	t := p.tmpl()
	s := secretVolumes{p: p, t: t, c: c}
	external := map[string]bool{}
	for _, other := range t.Containers {
		if other == c {
			continue
		}
		for _, v := range s.mounts(other) {
			external[v] = true
		}
	}

	// _PruneManagedVolumeMapping
	if clearOthers {
		for path := range s.mounts(c) {
			s.deleteMount(path)
		}
	} else {
		for _, r := range removes {
			i := strings.LastIndex(r, "/")
			mount, path := r[:i], r[i+1:]
			vol, ok := s.mounts(c)[mount]
			if !ok {
				continue
			}
			if external[vol] {
				src := cloneSecret(s.secret(vol))
				nv, err := s.copyToNewVolume(vol, mount, src, shortSecretName(src.GetSecret()))
				if err != nil {
					return err
				}
				vol = nv
			}
			src := s.secret(vol)
			var items []*runpb.VersionToPath
			for _, it := range src.Items {
				if it.GetPath() != path {
					items = append(items, it)
				}
			}
			if len(items) == 0 {
				s.deleteMount(mount)
			} else {
				src.Items = items
			}
		}
	}

	// _UpdateManagedVolumes
	type newVol struct {
		mount string
		src   *runpb.SecretVolumeSource
		short string
	}
	var order []*newVol
	byMount := map[string]*newVol{}
	for _, u := range updates {
		i := strings.LastIndex(u.key, "/")
		mountPoint, file := u.key[:i], u.key[i+1:]
		item := &runpb.VersionToPath{Path: file, Version: u.rs.version}
		if nv, ok := byMount[mountPoint]; ok {
			if nv.src.Secret != u.rs.ref {
				return wrap.ValueErrorf("Cannot update secret at [%s] because a different secret is already mounted in the same directory.", u.key)
			}
			nv.src.Items = append(nv.src.Items, item)
			continue
		}
		nv := &newVol{mount: mountPoint, src: &runpb.SecretVolumeSource{Secret: u.rs.ref, Items: []*runpb.VersionToPath{item}}, short: u.rs.name}
		byMount[mountPoint] = nv
		order = append(order, nv)
	}
	volumesToMounts := map[string][]string{}
	for path, v := range s.mounts(c) {
		volumesToMounts[v] = append(volumesToMounts[v], path)
	}
	for _, nv := range order {
		mounts := s.mounts(c)
		var volName string
		if existing, ok := mounts[nv.mount]; ok {
			volName = existing
			if len(volumesToMounts[volName]) > 1 || external[volName] {
				volumesToMounts[volName] = removeString(volumesToMounts[volName], nv.mount)
				name, err := s.copyToNewVolume(volName, nv.mount, nv.src, nv.short)
				if err != nil {
					return err
				}
				volumesToMounts[name] = append(volumesToMounts[name], nv.mount)
				continue
			}
			old := s.secret(volName)
			newPaths := map[string]bool{}
			for _, it := range nv.src.Items {
				newPaths[it.GetPath()] = true
			}
			if old.GetSecret() != nv.src.Secret {
				for _, it := range old.GetItems() {
					if !newPaths[it.GetPath()] {
						return wrap.ValueErrorf("Multiple secrets are specified for directory [%s]. Cloud Run only supports one secret per directory", nv.mount)
					}
				}
			} else {
				for _, it := range old.GetItems() {
					if !newPaths[it.GetPath()] {
						nv.src.Items = append(nv.src.Items, it)
					}
				}
			}
		} else {
			name, err := s.uniqueName(nv.short)
			if err != nil {
				return err
			}
			if err := s.setMount(nv.mount, name); err != nil {
				return err
			}
			volName = name
		}
		s.setVolume(volName, nv.src)
	}

	// _PruneVolumes: drop secret volumes that no container mounts.
	used := map[string]bool{}
	for v := range external {
		used[v] = true
	}
	for _, v := range s.mounts(c) {
		used[v] = true
	}
	kept := t.Volumes[:0:0]
	for _, v := range t.Volumes {
		if v.GetSecret() != nil && !used[v.GetName()] {
			continue
		}
		kept = append(kept, v)
	}
	t.Volumes = kept
	return nil
}

func cloneSecret(s *runpb.SecretVolumeSource) *runpb.SecretVolumeSource {
	out := &runpb.SecretVolumeSource{Secret: s.GetSecret(), DefaultMode: s.GetDefaultMode()}
	for _, it := range s.GetItems() {
		out.Items = append(out.Items, &runpb.VersionToPath{Path: it.GetPath(), Version: it.GetVersion(), Mode: it.GetMode()})
	}
	return out
}

func removeString(list []string, v string) []string {
	var out []string
	for _, x := range list {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}
