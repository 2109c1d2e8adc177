package deploy

// Per-container changes: image, environment, resources, probes, command,
// args, working directory, ports, dependencies, removed containers, base
// images, and the revision-wide CPU settings that v2 keeps per container.

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"cloud.google.com/go/run/apiv2/runpb"

	"github.com/rundeploy/rundeploy/cli"
	"github.com/rundeploy/rundeploy/wrap"
)

const gpuLimit = "nvidia.com/gpu"

// applyPrimaryImage is ImageChange on the primary container.
func (p *planner) applyPrimaryImage() error {
	return p.onPrimary(func(c *runpb.Container, cf *cli.ContainerFlags) error {
		if cf.Image.Set {
			c.Image = cf.Image.Value
		}
		return nil
	})
}

// applyPrimaryEnv is EnvVarLiteralChanges on the primary container.
func (p *planner) applyPrimaryEnv() error {
	return p.onPrimary(p.applyEnv)
}

func (p *planner) applyPrimaryResources() error {
	return p.onPrimary(func(c *runpb.Container, cf *cli.ContainerFlags) error {
		p.applyResources(c, cf)
		if cf.Gpu.Set && cf.Gpu.Value == "0" {
			// GpuTypeChange('') and GpuZonalRedundancyChange(None).
			t := p.tmpl()
			if t.NodeSelector != nil {
				t.NodeSelector.Accelerator = ""
			}
			t.GpuZonalRedundancyDisabled = nil
		}
		return nil
	})
}

func (p *planner) applyPrimaryProbes() error {
	return p.onPrimary(applyProbes)
}

func (p *planner) applyPrimaryCommandArgsWorkdir() error {
	return p.onPrimary(func(c *runpb.Container, cf *cli.ContainerFlags) error {
		applyCommandArgsWorkdir(c, cf)
		return nil
	})
}

// applyContainerSections applies each --container section's per-container
// changes (flags._GetContainerConfigurationChanges), in command-line order.
func (p *planner) applyContainerSections() error {
	for i := range p.f.Containers {
		sec := &p.f.Containers[i]
		c, err := p.container(&sec.Name)
		if err != nil {
			return err
		}
		cf := &sec.ContainerFlags
		if cf.Image.Set {
			c.Image = cf.Image.Value
		}
		if err := p.applyEnv(c, cf); err != nil {
			return err
		}
		p.applyResources(c, cf)
		if err := applyProbes(c, cf); err != nil {
			return err
		}
		// gcloud ignores --workdir after --container; rundeploy applies it
		// (docs/differences.md).
		applyCommandArgsWorkdir(c, cf)
		if err := p.applyRemoveVolumeMounts(c, cf); err != nil {
			return err
		}
		if err := p.applySecrets(c, cf); err != nil {
			return err
		}
		if err := p.applyAddVolumeMounts(c, cf); err != nil {
			return err
		}
	}
	return nil
}

// isSecretEnv reports whether an env var takes its value from a secret.
func isSecretEnv(e *runpb.EnvVar) bool { return e.GetValueSource() != nil }

// applyEnv is EnvVarLiteralChanges: --set-env-vars / --env-vars-file
// replace all literal variables, --update-env-vars and --remove-env-vars
// merge (removals first), --clear-env-vars removes all literals. Variables
// sourced from secrets are kept; turning one into a literal is an error.
func (p *planner) applyEnv(c *runpb.Container, cf *cli.ContainerFlags) error {
	if !(cf.SetEnvVars.Set || cf.UpdateEnvVars.Set || cf.RemoveEnvVars.Set || cf.ClearEnvVars.Set || cf.EnvVarsFile.Set) {
		return nil
	}
	var keys []string
	var values map[string]string
	switch {
	case cf.UpdateEnvVars.Set && len(cf.UpdateEnvVars.Keys) > 0:
		keys, values = cf.UpdateEnvVars.Keys, cf.UpdateEnvVars.Values
	case cf.SetEnvVars.Set && len(cf.SetEnvVars.Keys) > 0:
		keys, values = cf.SetEnvVars.Keys, cf.SetEnvVars.Values
	case cf.EnvVarsFile.Set:
		k, v, err := envVarsFileReader(cf.EnvVarsFile.Value)
		if err != nil {
			return err
		}
		keys, values = k, v
	}
	clearOthers := (cf.SetEnvVars.Set && len(cf.SetEnvVars.Keys) > 0) ||
		(cf.EnvVarsFile.Set && len(keys) > 0) || (cf.ClearEnvVars.Set && cf.ClearEnvVars.Value)
	var removes []string
	for _, r := range cf.RemoveEnvVars.Items {
		removes = append(removes, strings.TrimLeft(r, " \t\n\r\v\f"))
	}

	// _PruneMapping on the literals.
	kept := c.Env[:0:0]
	for _, e := range c.Env {
		if !isSecretEnv(e) && (clearOthers || contains(removes, e.GetName())) {
			continue
		}
		kept = append(kept, e)
	}
	c.Env = kept
	// literals.update(updates)
	for _, k := range keys {
		name := strings.TrimSpace(k)
		val := values[k]
		if e := findEnv(c.Env, name); e != nil {
			if isSecretEnv(e) {
				return wrap.ValueErrorf("Cannot update environment variable [%s] to string literal because it has already been set with a different type.", name)
			}
			e.Values = &runpb.EnvVar_Value{Value: val}
			continue
		}
		c.Env = append(c.Env, &runpb.EnvVar{Name: name, Values: &runpb.EnvVar_Value{Value: val}})
	}
	return nil
}

func findEnv(env []*runpb.EnvVar, name string) *runpb.EnvVar {
	for _, e := range env {
		if e.GetName() == name {
			return e
		}
	}
	return nil
}

// ensureResources returns c.Resources, creating it. v2 gotcha: once
// `resources` is present, cpu_idle must be true to keep the default
// (request-based) CPU allocation, so a new ResourceRequirements starts with
// CpuIdle true; --no-cpu-throttling sets it false afterwards.
func ensureResources(c *runpb.Container) *runpb.ResourceRequirements {
	if c.Resources == nil {
		c.Resources = &runpb.ResourceRequirements{CpuIdle: true}
	}
	return c.Resources
}

func setLimit(c *runpb.Container, k, v string) {
	r := ensureResources(c)
	if r.Limits == nil {
		r.Limits = map[string]string{}
	}
	r.Limits[k] = v
}

// applyResources is ResourceChanges: --cpu, --memory, --gpu ("0" removes the
// GPU limit).
func (p *planner) applyResources(c *runpb.Container, cf *cli.ContainerFlags) {
	if cf.Cpu.Set && cf.Cpu.Value != "" {
		setLimit(c, "cpu", cf.Cpu.Value)
	}
	if cf.Memory.Set && cf.Memory.Value != "" {
		setLimit(c, "memory", cf.Memory.Value)
	}
	if cf.Gpu.Set && cf.Gpu.Value != "" {
		if cf.Gpu.Value == "0" {
			if c.Resources != nil {
				delete(c.Resources.Limits, gpuLimit)
			}
		} else {
			setLimit(c, gpuLimit, cf.Gpu.Value)
		}
	}
}

// gpuTypeWarning is messages_util.MaybeLogDefaultGpuTypeMessage.
func (p *planner) gpuTypeWarning() {
	gpu := false
	for _, s := range p.scopes() {
		if s.flags.Gpu.Set && s.flags.Gpu.Value != "" {
			gpu = true
		}
	}
	gpuType := p.f.GpuType.Set && p.f.GpuType.Value != ""
	has := p.existing.GetTemplate().GetNodeSelector().GetAccelerator() != ""
	if gpu && !gpuType && !has {
		p.warnings = append(p.warnings, "No GPU type is provided, defaulting to nvidia-l4. To specify the GPU type use --gpu-type.")
	}
}

// applyGpuType is GpuTypeChange: the accelerator node selector.
func (p *planner) applyGpuType() error {
	if !p.f.GpuType.Set || p.f.GpuType.Value == "" {
		return nil
	}
	t := p.tmpl()
	if t.NodeSelector == nil {
		t.NodeSelector = &runpb.NodeSelector{}
	}
	t.NodeSelector.Accelerator = p.f.GpuType.Value
	return nil
}

// applyGpuZonalRedundancy is GpuZonalRedundancyChange.
func (p *planner) applyGpuZonalRedundancy() error {
	if !p.f.GpuZonalRedundancy.Set {
		return nil
	}
	disabled := !p.f.GpuZonalRedundancy.Value
	p.tmpl().GpuZonalRedundancyDisabled = &disabled
	return nil
}

type probeFlag struct {
	kind string // startup, liveness, readiness
	v    *cli.LastDict
}

func probeFlags(cf *cli.ContainerFlags) []probeFlag {
	return []probeFlag{{"startup", &cf.StartupProbe}, {"liveness", &cf.LivenessProbe}, {"readiness", &cf.ReadinessProbe}}
}

// checkProbeKeys is the key_type of the --*-probe ArgDicts.
func checkProbeKeys(pr probeFlag) error {
	if !pr.v.Set {
		return nil
	}
	for _, k := range pr.v.Keys {
		if !slices.Contains(cli.ProbeKeys[pr.kind], k) {
			return &wrap.ValueError{Command: "gcloud", Msg: fmt.Sprintf("Key [%s] not recognized for %s probe.", k, pr.kind)}
		}
	}
	return nil
}

// applyProbes is Startup/Liveness/ReadinessProbeChanges: the whole probe
// is replaced (an empty value removes it).
func applyProbes(c *runpb.Container, cf *cli.ContainerFlags) error {
	for _, pr := range probeFlags(cf) {
		if !pr.v.Set {
			continue
		}
		var probe *runpb.Probe
		if len(pr.v.Keys) > 0 {
			var err error
			if probe, err = makeProbe(pr); err != nil {
				return err
			}
		}
		switch pr.kind {
		case "startup":
			c.StartupProbe = probe
		case "liveness":
			c.LivenessProbe = probe
		case "readiness":
			c.ReadinessProbe = probe
		}
	}
	return nil
}

// makeProbe is config_changes._MakeProbe for the v2 Probe.
func makeProbe(pr probeFlag) (*runpb.Probe, error) {
	vals := pr.v.Values
	parseInt := func(key string) (int32, error) {
		s := vals[key]
		if s == "" {
			return 0, nil
		}
		n, err := parseArgInt(s)
		if err != nil || n < -1<<31 || n > 1<<31-1 {
			return 0, wrap.ValueErrorf("Value for key [%s] must be an integer.", key)
		}
		return int32(n), nil
	}
	probe := &runpb.Probe{}
	kinds := map[string]bool{}
	for _, k := range pr.v.Keys {
		fam, _, dotted := strings.Cut(k, ".")
		if dotted {
			kinds[fam] = true
			continue
		}
		n, err := parseInt(k)
		if err != nil {
			return nil, err
		}
		switch k {
		case "initialDelaySeconds":
			probe.InitialDelaySeconds = n
		case "timeoutSeconds":
			probe.TimeoutSeconds = n
		case "periodSeconds":
			probe.PeriodSeconds = n
		case "failureThreshold":
			probe.FailureThreshold = n
		case "successThreshold":
			return nil, wrap.ValueErrorf("--%s-probe key [successThreshold] is not supported by the Cloud Run Admin API v2 fields this build knows.", pr.kind)
		}
	}
	if len(kinds) > 1 {
		var ks []string
		for k := range kinds {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return nil, wrap.ValueErrorf("--%s-probe sets more than one probe type (%s); a Cloud Run Admin API v2 probe has exactly one.", pr.kind, strings.Join(ks, ", "))
	}
	switch {
	case kinds["tcpSocket"]:
		port, err := parseInt("tcpSocket.port")
		if err != nil {
			return nil, err
		}
		probe.ProbeType = &runpb.Probe_TcpSocket{TcpSocket: &runpb.TCPSocketAction{Port: port}}
	case kinds["httpGet"]:
		h := &runpb.HTTPGetAction{Path: vals["httpGet.path"]}
		if _, ok := vals["httpGet.port"]; ok {
			port, err := parseInt("httpGet.port")
			if err != nil {
				return nil, err
			}
			h.Port = port
		}
		probe.ProbeType = &runpb.Probe_HttpGet{HttpGet: h}
	case kinds["grpc"]:
		g := &runpb.GRPCAction{Service: vals["grpc.service"]}
		if _, ok := vals["grpc.port"]; ok {
			port, err := parseInt("grpc.port")
			if err != nil {
				return nil, err
			}
			g.Port = port
		}
		probe.ProbeType = &runpb.Probe_Grpc{Grpc: g}
	}
	return probe, nil
}

// applyCommandArgsWorkdir is ContainerCommandChange, ContainerArgsChange and
// ContainerWorkdirChange: an empty value clears the field.
func applyCommandArgsWorkdir(c *runpb.Container, cf *cli.ContainerFlags) {
	if cf.Command.Set {
		c.Command = append([]string(nil), cf.Command.Items...)
	}
	if cf.Args.Set {
		c.Args = append([]string(nil), cf.Args.Items...)
	}
	if cf.Workdir.Set {
		c.WorkingDir = cf.Workdir.Value
	}
}

// applyPort is ContainerPortChange: --port sets ports[0].container_port
// ("default" unsets it), --[no-]use-http2 sets or unsets the h2c name, a
// named port without a number gets 8080, an empty port list is dropped, and a
// TCP startup probe on the old port follows the new one.
func applyPort(c *runpb.Container, port *cli.String, http2 *cli.Bool) error {
	var pm *runpb.ContainerPort
	if len(c.Ports) > 0 {
		pm = c.Ports[0]
	} else {
		pm = &runpb.ContainerPort{}
	}
	oldPort := pm.ContainerPort
	if oldPort == 0 {
		oldPort = 8080
	}
	if port != nil && port.Set {
		n, err := parsePort(port.Value)
		if err != nil {
			return err
		}
		pm.ContainerPort = n
	}
	if http2 != nil && http2.Set {
		if http2.Value {
			pm.Name = "h2c"
		} else {
			pm.Name = ""
		}
	}
	if pm.Name != "" && pm.ContainerPort == 0 {
		pm.ContainerPort = 8080
	}
	if pm.ContainerPort != 0 {
		c.Ports = []*runpb.ContainerPort{pm}
	} else {
		c.Ports = nil
	}
	if tcp := c.GetStartupProbe().GetTcpSocket(); tcp != nil && tcp.Port == oldPort {
		tcp.Port = pm.ContainerPort
	}
	return nil
}

// applyPrimaryPort applies the top-level --port, then --use-http2, as two
// changes like gcloud.
func (p *planner) applyPrimaryPort() error {
	return p.onPrimary(func(c *runpb.Container, cf *cli.ContainerFlags) error {
		if cf.Port.Set {
			if err := applyPort(c, &cf.Port, nil); err != nil {
				return err
			}
		}
		if cf.UseHttp2.Set {
			// The primary may have changed if --port gave it its first port.
			c2, err := p.container(nil)
			if err != nil {
				return err
			}
			return applyPort(c2, nil, &cf.UseHttp2)
		}
		return nil
	})
}

// applySectionPorts is _GetContainerIngressChanges for every section.
func (p *planner) applySectionPorts() error {
	for i := range p.f.Containers {
		sec := &p.f.Containers[i]
		c, err := p.container(&sec.Name)
		if err != nil {
			return err
		}
		if sec.Port.Set {
			if err := applyPort(c, &sec.Port, nil); err != nil {
				return err
			}
		}
		if sec.UseHttp2.Set {
			if err := applyPort(c, nil, &sec.UseHttp2); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyRemoveContainers is RemoveContainersChange followed by an empty
// ContainerDependenciesChange (which prunes dependencies on removed
// containers).
func (p *planner) applyRemoveContainers() error {
	if !p.f.RemoveContainers.Set {
		return nil
	}
	t := p.tmpl()
	kept := t.Containers[:0:0]
	for _, c := range t.Containers {
		if !contains(p.f.RemoveContainers.Items, c.GetName()) {
			kept = append(kept, c)
		}
	}
	t.Containers = kept
	return p.setDependencies(nil)
}

// applyDependsOn is ContainerDependenciesChange({”: --depends-on}).
func (p *planner) applyDependsOn() error {
	cf := p.primaryFlags()
	if cf == nil || !cf.DependsOn.Set {
		return nil
	}
	return p.setDependencies([]containerDeps{{name: nil, deps: cf.DependsOn.Items}})
}

// applySectionDependsOn is ContainerDependenciesChange for the sections that
// give --depends-on.
func (p *planner) applySectionDependsOn() error {
	var changes []containerDeps
	for i := range p.f.Containers {
		sec := &p.f.Containers[i]
		if sec.DependsOn.Set {
			changes = append(changes, containerDeps{name: &sec.Name, deps: sec.DependsOn.Items})
		}
	}
	if len(changes) == 0 {
		return nil
	}
	return p.setDependencies(changes)
}

type containerDeps struct {
	name *string // nil: the primary container
	deps []string
}

// setDependencies is ContainerDependenciesChange.Adjust: drop dependencies
// on containers that no longer exist, then set the new ones (sorted; an
// empty list removes them).
func (p *planner) setDependencies(changes []containerDeps) error {
	t := p.tmpl()
	names := map[string]bool{}
	for _, c := range t.Containers {
		names[c.GetName()] = true
	}
	for _, c := range t.Containers {
		var kept []string
		for _, d := range c.DependsOn {
			if names[d] {
				kept = append(kept, d)
			}
		}
		c.DependsOn = kept
	}
	for _, ch := range changes {
		c, err := p.container(ch.name)
		if err != nil {
			return err
		}
		set := map[string]bool{}
		var missing []string
		for _, d := range ch.deps {
			if set[d] {
				continue
			}
			set[d] = true
			if !names[d] {
				missing = append(missing, d)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			return wrap.ValueErrorf("--depends_on for container %s references nonexistent containers: %s.", c.GetName(), strings.Join(missing, ","))
		}
		deps := make([]string, 0, len(set))
		for d := range set {
			deps = append(deps, d)
		}
		sort.Strings(deps)
		if len(deps) == 0 {
			deps = nil
		}
		c.DependsOn = deps
	}
	return nil
}

// applyPrimaryBaseImage is IngressContainerBaseImagesAnnotationChange: v2
// keeps the automatic base image updates image on the container.
func (p *planner) applyPrimaryBaseImage() error {
	return p.onPrimary(func(c *runpb.Container, cf *cli.ContainerFlags) error {
		applyBaseImage(c, cf)
		return nil
	})
}

// applySectionBaseImages is flags._GetBaseImageChanges.
func (p *planner) applySectionBaseImages() error {
	for i := range p.f.Containers {
		sec := &p.f.Containers[i]
		if !sec.BaseImage.Set && !sec.ClearBaseImage.Set {
			continue
		}
		c, err := p.container(&sec.Name)
		if err != nil {
			return err
		}
		applyBaseImage(c, &sec.ContainerFlags)
	}
	return nil
}

func applyBaseImage(c *runpb.Container, cf *cli.ContainerFlags) {
	if cf.BaseImage.Set {
		c.BaseImageUri = cf.BaseImage.Value
	}
	if cf.ClearBaseImage.Set && cf.ClearBaseImage.Value {
		c.BaseImageUri = ""
	}
}

// applyCPUThrottlingAndBoost writes --[no-]cpu-throttling (cpu_idle) and
// --[no-]cpu-boost (startup_cpu_boost). gcloud sets revision-wide v1
// annotations; v2 has per-container fields, which rundeploy sets on the
// ingress (primary) container.
func (p *planner) applyCPUThrottlingAndBoost() error {
	f := p.f
	if !f.CpuThrottling.Set && !f.CpuBoost.Set {
		return nil
	}
	c, err := p.container(nil)
	if err != nil {
		return err
	}
	r := ensureResources(c)
	if f.CpuThrottling.Set {
		r.CpuIdle = f.CpuThrottling.Value
	}
	if f.CpuBoost.Set {
		r.StartupCpuBoost = f.CpuBoost.Value
	}
	return nil
}

// applyDefaultCPUBoost: deploy.py gives new services startup CPU boost
// unless --[no-]cpu-boost was given.
func (p *planner) applyDefaultCPUBoost() error {
	if !p.create() || p.f.CpuBoost.Set {
		return nil
	}
	c, err := p.container(nil)
	if err != nil {
		return err
	}
	ensureResources(c).StartupCpuBoost = true
	return nil
}

// envVarsFileReader reads an --env-vars-file (cli.ReadEnvVarsFile).
var envVarsFileReader = cli.ReadEnvVarsFile
