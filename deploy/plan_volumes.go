package deploy

// Volumes and volume mounts: --add-volume (GA types cloud-storage, in-memory
// and nfs, and the mount-path shortcut), --remove-volume, --clear-volumes,
// --add-volume-mount, --remove-volume-mount, --clear-volume-mounts, and the
// Cloud SQL instances, which v2 models as a volume.

import (
	"sort"
	"strings"

	"cloud.google.com/go/run/apiv2/runpb"

	"github.com/rundeploy/rundeploy/cli"
	"github.com/rundeploy/rundeploy/wrap"
)

// volumeKinds are the GA --add-volume types and their keys
// (command_lib/run/volumes.py: required_fields / optional_fields).
var volumeKinds = map[string]struct{ required, optional []string }{
	"in-memory":     {nil, []string{"name", "mount-path", "size-limit"}},
	"nfs":           {[]string{"location"}, []string{"name", "mount-path", "readonly"}},
	"cloud-storage": {[]string{"bucket"}, []string{"name", "mount-path", "readonly", "mount-options"}},
}

func (p *planner) applyPrimaryRemoveVolumeMounts() error {
	return p.onPrimary(p.applyRemoveVolumeMounts)
}

func (p *planner) applyPrimaryAddVolumeMounts() error {
	return p.onPrimary(p.applyAddVolumeMounts)
}

// applyRemoveVolumeMounts is RemoveVolumeMountChange.
func (p *planner) applyRemoveVolumeMounts(c *runpb.Container, cf *cli.ContainerFlags) error {
	clearAll := cf.ClearVolumeMounts.Set && cf.ClearVolumeMounts.Value
	if !clearAll && !(cf.RemoveVolumeMount.Set && len(cf.RemoveVolumeMount.Items) > 0) {
		return nil
	}
	// The Cloud SQL mount stands for gcloud's cloudsql-instances
	// annotation, which no volume flag touches.
	sql := p.cloudSQLVolumes()
	kept := c.VolumeMounts[:0:0]
	for _, m := range c.VolumeMounts {
		if sql[m.GetName()] || (!clearAll && !contains(cf.RemoveVolumeMount.Items, m.GetMountPath())) {
			kept = append(kept, m)
		}
	}
	c.VolumeMounts = kept
	return nil
}

// applyAddVolumeMounts is AddVolumeMountChange.
func (p *planner) applyAddVolumeMounts(c *runpb.Container, cf *cli.ContainerFlags) error {
	if !cf.AddVolumeMount.Set {
		return nil
	}
	for _, m := range cf.AddVolumeMount.Items {
		vol, okV := m.Values["volume"]
		path, okP := m.Values["mount-path"]
		if !okV || !okP {
			return wrap.ValueErrorf("Added Volume mounts must have a `volume` and a `mount-path`.")
		}
		setVolumeMount(c, path, vol)
	}
	return nil
}

// setVolumeMount points the mount at path to volume, in place if the path is
// already mounted.
func setVolumeMount(c *runpb.Container, path, volume string) {
	for _, m := range c.VolumeMounts {
		if m.GetMountPath() == path {
			m.Name = volume
			return
		}
	}
	c.VolumeMounts = append(c.VolumeMounts, &runpb.VolumeMount{Name: volume, MountPath: path})
}

// applyRemoveVolumes is RemoveVolumeChange. Mounts are not pruned (gcloud
// does not prune them either; the server rejects dangling mounts).
func (p *planner) applyRemoveVolumes() error {
	f := p.f
	clearAll := f.ClearVolumes.Set && f.ClearVolumes.Value
	if !clearAll && !(f.RemoveVolume.Set && len(f.RemoveVolume.Items) > 0) {
		return nil
	}
	t := p.tmpl()
	kept := t.Volumes[:0:0]
	for _, v := range t.Volumes {
		// Cloud SQL is an annotation in gcloud's v1 object, not a volume:
		// --clear-volumes and --remove-volume leave it alone.
		if v.GetCloudSqlInstance() != nil || (!clearAll && !contains(f.RemoveVolume.Items, v.GetName())) {
			kept = append(kept, v)
		}
	}
	t.Volumes = kept
	return nil
}

// cloudSQLVolumes names the template's Cloud SQL volumes.
func (p *planner) cloudSQLVolumes() map[string]bool {
	names := map[string]bool{}
	for _, v := range p.tmpl().GetVolumes() {
		if v.GetCloudSqlInstance() != nil {
			names[v.GetName()] = true
		}
	}
	return names
}

// applyAddVolumes is flags._ValidateAndMaybeGenerateVolumeNames,
// AddVolumeChange and the shortcut's AddVolumeMountChange.
func (p *planner) applyAddVolumes() error {
	f := p.f
	if !f.AddVolume.Set || len(f.AddVolume.Items) == 0 {
		return nil
	}
	type mount struct{ volume, path string }
	var shortcut []mount
	items := make([]cli.Dict, len(f.AddVolume.Items))
	for i, d := range f.AddVolume.Items {
		// Copy: a generated name must not leak into the caller's Flags.
		items[i] = cli.Dict{Set: d.Set, Keys: append([]string(nil), d.Keys...), Values: map[string]string{}}
		for k, v := range d.Values {
			items[i].Values[k] = v
		}
		vol := &items[i]
		if _, ok := vol.Values["mount-path"]; !ok {
			continue
		}
		if len(f.Containers) > 0 {
			return wrap.ValueErrorf("When using the --containers flag, \"mount-path\" cannot be specified under the --add-volume flag. " +
				"Instead, specify \"mount-path\" using the --add-volume-mount flag after the --container flag of the container the volume should be mounted to.")
		}
		if _, ok := vol.Values["name"]; !ok {
			typ, ok := vol.Values["type"]
			if !ok {
				return wrap.ValueErrorf("All added volumes must have a type")
			}
			name, err := p.rnd.name(typ, 2)
			if err != nil {
				return err
			}
			vol.Keys = append(vol.Keys, "name")
			vol.Values["name"] = name
		}
	}
	t := p.tmpl()
	for i := range items {
		v, err := makeVolume(&items[i])
		if err != nil {
			return err
		}
		replaced := false
		for j, old := range t.Volumes {
			if old.GetName() == v.Name {
				t.Volumes[j] = v
				replaced = true
				break
			}
		}
		if !replaced {
			t.Volumes = append(t.Volumes, v)
		}
		if path, ok := items[i].Values["mount-path"]; ok {
			shortcut = append(shortcut, mount{v.Name, path})
		}
	}
	if len(shortcut) > 0 {
		c, err := p.container(nil)
		if err != nil {
			return err
		}
		for _, m := range shortcut {
			setVolumeMount(c, m.path, m.volume)
		}
	}
	return nil
}

// makeVolume is volumes.add_volume for the GA types, producing the v2
// Volume.
func makeVolume(d *cli.Dict) (*runpb.Volume, error) {
	typ, ok := d.Values["type"]
	if !ok {
		return nil, wrap.ValueErrorf("All added volumes must have a type")
	}
	name, ok := d.Values["name"]
	if !ok {
		return nil, wrap.ValueErrorf("Volume \"name\" must be specified if \"mount-path\" is not specified.")
	}
	kind, ok := volumeKinds[typ]
	if !ok {
		return nil, wrap.ValueErrorf("Volume type %s not supported", typ)
	}
	for _, k := range d.Keys {
		if k == "name" || k == "type" {
			continue
		}
		if !contains(kind.required, k) && !contains(kind.optional, k) {
			return nil, wrap.ValueErrorf("Volume %s of type %s had unexpected parameter %s", name, typ, k)
		}
	}
	var missing []string
	for _, k := range kind.required {
		if _, ok := d.Values[k]; !ok {
			missing = append(missing, "'"+k+"'")
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, wrap.ValueErrorf("Volume %s of type %s requires the following parameters: {%s}", name, typ, strings.Join(missing, ", "))
	}
	readonly := strings.ToLower(d.Values["readonly"]) == "true"
	v := &runpb.Volume{Name: name}
	switch typ {
	case "in-memory":
		v.VolumeType = &runpb.Volume_EmptyDir{EmptyDir: &runpb.EmptyDirVolumeSource{
			Medium: runpb.EmptyDirVolumeSource_MEMORY, SizeLimit: d.Values["size-limit"],
		}}
	case "nfs":
		loc := d.Values["location"]
		server, path, ok := strings.Cut(loc, ":/")
		if !ok {
			return nil, wrap.ValueErrorf("Volume %s: field 'location' must be of the form IP_ADDRESS:/DIRECTORY", name)
		}
		v.VolumeType = &runpb.Volume_Nfs{Nfs: &runpb.NFSVolumeSource{Server: server, Path: "/" + path, ReadOnly: readonly}}
	case "cloud-storage":
		g := &runpb.GCSVolumeSource{Bucket: d.Values["bucket"], ReadOnly: readonly}
		if mo, ok := d.Values["mount-options"]; ok {
			g.MountOptions = strings.Split(mo, ";")
		}
		v.VolumeType = &runpb.Volume_Gcs{Gcs: g}
	}
	return v, nil
}

// cloudSQLVolume and cloudSQLMountPath are where rundeploy puts the Cloud
// SQL instances: v2 models gcloud's run.googleapis.com/cloudsql-instances
// annotation as a cloud_sql_instance volume, mounted at /cloudsql in the
// ingress container (where the Unix sockets appear with the v1 annotation).
const (
	cloudSQLVolume    = "cloudsql"
	cloudSQLMountPath = "/cloudsql"
)

// applyCloudSQL is CloudSQLChanges (repeated.ParsePrimitiveArgs semantics).
func (p *planner) applyCloudSQL() error {
	f := p.f
	if !(f.AddCloudsqlInstances.Set || f.SetCloudsqlInstances.Set || f.RemoveCloudsqlInstances.Set || (f.ClearCloudsqlInstances.Set && f.ClearCloudsqlInstances.Value)) {
		return nil
	}
	augment := func(l cli.List) ([]string, error) {
		if !l.Set {
			return nil, nil
		}
		out := make([]string, 0, len(l.Items))
		for _, s := range l.Items {
			parts := strings.Split(s, ":")
			switch len(parts) {
			case 3:
				out = append(out, s)
			case 1:
				if p.t.Project == "" {
					return nil, wrap.ValueErrorf("To specify a Cloud SQL instance by plain name, you must specify a project.")
				}
				if p.t.Region == "" {
					return nil, wrap.ValueErrorf("To specify a Cloud SQL instance by plain name, you must be deploying to a managed Cloud Run region.")
				}
				out = append(out, p.t.Project+":"+p.t.Region+":"+s)
			default:
				return nil, wrap.ValueErrorf("Malformed CloudSQL instance string: %s", s)
			}
		}
		return out, nil
	}
	add, err := augment(f.AddCloudsqlInstances)
	if err != nil {
		return err
	}
	remove, err := augment(f.RemoveCloudsqlInstances)
	if err != nil {
		return err
	}
	set, err := augment(f.SetCloudsqlInstances)
	if err != nil {
		return err
	}
	t := p.tmpl()
	var vol *runpb.Volume
	for _, v := range t.Volumes {
		if v.GetCloudSqlInstance() != nil {
			vol = v
			break
		}
	}
	current := vol.GetCloudSqlInstance().GetInstances()
	next, changed := modifyList(current, add, f.AddCloudsqlInstances.Set, remove, f.RemoveCloudsqlInstances.Set,
		f.ClearCloudsqlInstances.Set && f.ClearCloudsqlInstances.Value, set, f.SetCloudsqlInstances.Set)
	if !changed {
		return nil
	}
	if len(next) == 0 {
		if vol != nil {
			p.dropVolume(vol.GetName())
		}
		return nil
	}
	if vol == nil {
		vol = &runpb.Volume{Name: cloudSQLVolume}
		t.Volumes = append(t.Volumes, vol)
	}
	vol.VolumeType = &runpb.Volume_CloudSqlInstance{CloudSqlInstance: &runpb.CloudSqlInstance{Instances: next}}
	p.cloudSQLSet = true
	return nil
}

// mountCloudSQL mounts the Cloud SQL volume at /cloudsql in the ingress
// container when --add/--set-cloudsql-instances leave instances and no
// container mounts it yet. It runs after the container sections and ports
// are applied, so that on a multi-container create the ingress container
// exists and is known.
func (p *planner) mountCloudSQL() error {
	if !p.cloudSQLSet {
		return nil
	}
	t := p.tmpl()
	var name string
	for _, v := range t.Volumes {
		if v.GetCloudSqlInstance() != nil {
			name = v.GetName()
		}
	}
	if name == "" {
		return nil
	}
	for _, c := range t.Containers {
		for _, m := range c.VolumeMounts {
			if m.GetName() == name {
				return nil
			}
		}
	}
	c, err := p.container(nil)
	if err != nil {
		return err
	}
	c.VolumeMounts = append(c.VolumeMounts, &runpb.VolumeMount{Name: name, MountPath: cloudSQLMountPath})
	return nil
}

// dropVolume removes a volume and every mount of it.
func (p *planner) dropVolume(name string) {
	t := p.tmpl()
	kept := t.Volumes[:0:0]
	for _, v := range t.Volumes {
		if v.GetName() != name {
			kept = append(kept, v)
		}
	}
	t.Volumes = kept
	for _, c := range t.Containers {
		km := c.VolumeMounts[:0:0]
		for _, m := range c.VolumeMounts {
			if m.GetName() != name {
				km = append(km, m)
			}
		}
		c.VolumeMounts = km
	}
}

// modifyList is repeated._ModifyCurrentValue: remove, else add (new values
// appended), else clear, else set. changed is false when nothing changes.
func modifyList(current, add []string, addSet bool, remove []string, removeSet, clear bool, set []string, setSet bool) ([]string, bool) {
	var next []string
	switch {
	case removeSet:
		for _, x := range current {
			if !contains(remove, x) {
				next = append(next, x)
			}
		}
	case addSet:
		next = append(next, current...)
		for _, x := range add {
			if !contains(current, x) {
				next = append(next, x)
			}
		}
	case clear:
		return nil, true
	case setSet:
		return append([]string(nil), set...), true
	default:
		return nil, false
	}
	if equalStrings(next, current) {
		return nil, false
	}
	return next, true
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
