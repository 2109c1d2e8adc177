// Package deploy turns a `gcloud run deploy` command line (cli.Flags) into
// the Cloud Run Admin API v2 Service gcloud would produce (Plan), applies it
// (Deployment.Apply: create or update with the etag, wait on the operation,
// the invoker binding), and reports as gcloud does.
package deploy

// Plan turns the parsed command line into the Cloud Run Admin API v2 Service
// that Apply sends. It reproduces the changes `gcloud run deploy` makes to the
// v1 (Knative) object, translated to the v2 fields that carry the same
// settings: see gcloud-run-deploy.md (the reference) §1 for the table
// and docs/differences.md ("## Plan") for the places where v2 forces a choice.
//
// The changes are applied in the order gcloud applies its ConfigChangers
// (flags.GetServiceConfigurationChanges, deploy.py _GetBaseChanges and
// serverless_operations.ReleaseService), because several of them read what an
// earlier one wrote: --tag reads the revision name --revision-suffix set,
// --port rewrites a TCP startup probe that --startup-probe may have created,
// labels keep the nonce, and so on.

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/protobuf/proto"

	"github.com/rundeploy/rundeploy/cli"
	"github.com/rundeploy/rundeploy/wrap"
)

// ErrSourceDeploy is returned (wrapped) by Plan when the command line asks for
// a source deploy (--source, --function, the build flags, or a container
// without --image). rundeploy does not build images: the caller hands such
// command lines to the real gcloud. Test with errors.Is.
var ErrSourceDeploy = errors.New("source deploy: handled by the real gcloud")

// PlanOptions are the inputs to Plan that do not come from the command line.
type PlanOptions struct {
	// ClientName and ClientVersion are written to Service.client and
	// Service.client_version unless --client-name/--client-version are given
	// (gcloud writes "gcloud" and its version the same way).
	ClientName, ClientVersion string
	// Rand supplies the randomness for generated names: the revision-forcing
	// nonce, generated revision names (--tag, --revision-suffix) and volume
	// names (secret mounts, the --add-volume mount-path shortcut). nil means
	// crypto/rand. Tests pass a fixed reader.
	Rand io.Reader
	// Confirm asks a yes/no question whose default is No, like gcloud's
	// PromptContinue(default=False). nil means prompting is impossible
	// (no TTY, or --quiet); Plan then fails where gcloud would fail without a
	// prompt. Only --clear-vpc-connector with all-traffic egress asks.
	Confirm func(message string) (bool, error)
}

// Plan returns the Service to send. existing == nil means create. Plan never
// mutates existing. Settings the flags do not mention are kept.
//
// Plan drops the status lines gcloud prints while preparing the deploy; use
// PlanWithWarnings to get them.
func Plan(existing *runpb.Service, f *cli.Flags, t Target, o PlanOptions) (*runpb.Service, error) {
	svc, _, err := PlanWithWarnings(existing, f, t, o)
	return svc, err
}

// PlanWithWarnings is Plan, and also returns the status lines gcloud prints
// (to stderr, verbatim, before the "Deploying..." header) for this command
// line, e.g. "No GPU type is provided, defaulting to nvidia-l4. To specify the
// GPU type use --gpu-type.".
func PlanWithWarnings(existing *runpb.Service, f *cli.Flags, t Target, o PlanOptions) (*runpb.Service, []string, error) {
	if f == nil {
		return nil, nil, errors.New("plan: no flags")
	}
	p := &planner{f: f, t: t, o: o, existing: existing, rnd: newRandSource(o.Rand)}
	if err := p.plan(); err != nil {
		return nil, nil, err
	}
	return p.svc, p.warnings, nil
}

// planner holds the state of one Plan call.
type planner struct {
	f        *cli.Flags
	t        Target
	o        PlanOptions
	existing *runpb.Service
	svc      *runpb.Service
	rnd      *randSource
	warnings []string

	// Values parsed before any change is made, like gcloud's argparse types.
	v parsedValues
	// cloudSQLSet: the Cloud SQL volume was written and may need a mount.
	cloudSQLSet bool
}

// create reports whether the plan creates a new service.
func (p *planner) create() bool { return p.existing == nil }

// tmpl returns the revision template, creating it if needed.
func (p *planner) tmpl() *runpb.RevisionTemplate {
	if p.svc.Template == nil {
		p.svc.Template = &runpb.RevisionTemplate{}
	}
	return p.svc.Template
}

func (p *planner) plan() error {
	// 1. Argument types (gcloud converts these while parsing).
	if err := p.parseValues(); err != nil {
		return err
	}
	// 2. The checks gcloud makes before any API call (the parser has made
	// them already; Plan repeats them so that it is safe on its own).
	if err := p.f.Validate(); err != nil {
		return err
	}
	// 4. Source deploys belong to the real gcloud.
	if err := p.checkSourceDeploy(); err != nil {
		return err
	}
	if p.existing != nil && p.existing.GetDeleteTime() != nil {
		return wrap.ValueErrorf("Service [%s] is in the process of being deleted.", p.t.Service)
	}
	// 5. resource_change_validators.ValidateClearVpcConnector.
	if err := p.validateClearVpcConnector(); err != nil {
		return err
	}
	p.gpuTypeWarning()

	if p.create() {
		p.svc = &runpb.Service{Name: p.t.Name(), Template: &runpb.RevisionTemplate{}}
	} else {
		p.svc = proto.Clone(p.existing).(*runpb.Service)
		p.svc.Name = p.t.Name()
	}

	steps := []func() error{
		p.forceRevisionName, // _AddRevisionForcingChange: inserted first
		p.clearBreakglass,   // _GetBaseChanges: inserted before the flag changes
		p.applyClient,
		// flags._GetConfigurationChanges
		p.applyPrimaryImage,
		p.applyPrimaryEnv,
		p.applyCloudSQL,
		p.applyPrimaryRemoveVolumeMounts,
		p.applyRemoveVolumes,
		p.applyPrimarySecrets,
		p.applyAddVolumes,
		p.applyPrimaryAddVolumeMounts,
		p.applyPrimaryResources,
		p.applyGpuZonalRedundancy,
		p.applyPrimaryProbes,
		p.applyServiceAccount,
		p.applyLabels,
		p.applyVpcConnector,
		p.applyPrimaryCommandArgsWorkdir,
		p.applyBinaryAuthorization,
		p.applyEncryption,
		p.applyDescription,
		p.applyExecutionEnvironment,
		p.applyNetworkInterfaces,
		p.applyCustomAudiences,
		p.applyRemoveContainers,
		p.applyContainerSections,
		p.applyPrimaryBaseImage,
		// flags.GetServiceConfigurationChanges
		p.applyRevisionScaling,
		p.applyServiceScaling,
		p.applyNoTraffic,
		p.applyConcurrencyTimeout,
		p.applyUpdateAnnotations,
		p.applyRevisionSuffix,
		p.applyIngress,
		p.applyPrimaryPort,
		p.applyTag,
		p.applyTemplateToggles,
		p.applyServiceToggles,
		p.applyGpuType,
		p.applyDependsOn,
		p.applySectionPorts,
		// After the section ports: the CPU settings go on the ingress
		// container, which a multi-container create only knows now.
		p.applyCPUThrottlingAndBoost,
		p.applySectionDependsOn,
		p.applySectionBaseImages,
		p.applyRegions,
		p.mountCloudSQL,
		// deploy.py _GetTracker: new services get startup CPU boost.
		p.applyDefaultCPUBoost,
		// serverless_operations.ReleaseService: the nonce comes last.
		p.forceRevisionNonce,
		p.tidy,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// checkSourceDeploy returns ErrSourceDeploy for command lines that build
// from source (deploy.py _ValidateAndGetBuildFromSource: a container without
// --image, or with --source) or use flags that only source deploys accept.
func (p *planner) checkSourceDeploy() error {
	// --allow-unencrypted-build is a deprecated no-op for image deploys (the
	// parser prints gcloud's deprecation warning).
	scopes := p.scopes()
	// validators.ValidateNoAutomaticUpdatesForContainers
	for _, s := range scopes {
		if s.flags.AutomaticUpdates.Set && s.flags.Image.Set && !s.flags.Source.Set {
			return wrap.ValueErrorf("Invalid value for [--automatic-updates]: --automatic-updates can only be specified in the container that builds from source.")
		}
	}
	for _, s := range scopes {
		label := "the primary container"
		if s.name != nil {
			label = fmt.Sprintf("container %q", *s.name)
		}
		if flag := sourceOnlyFlag(s.flags); flag != "" {
			return fmt.Errorf("%w: %s given for %s", ErrSourceDeploy, flag, label)
		}
		if !s.flags.Image.Set {
			return fmt.Errorf("%w: no --image for %s", ErrSourceDeploy, label)
		}
	}
	return nil
}

// sourceOnlyFlag names the first flag in c that only a source deploy uses.
func sourceOnlyFlag(c *cli.ContainerFlags) string {
	switch {
	case c.Source.Set:
		return "--source"
	case c.Function.Set:
		return "--function"
	case c.AutomaticUpdates.Set:
		return "--automatic-updates"
	case c.BuildServiceAccount.Set:
		return "--build-service-account"
	case c.ClearBuildServiceAccount.Set:
		return "--clear-build-service-account"
	case c.BuildWorkerPool.Set:
		return "--build-worker-pool"
	case c.ClearBuildWorkerPool.Set:
		return "--clear-build-worker-pool"
	case c.SetBuildEnvVars.Set:
		return "--set-build-env-vars"
	case c.UpdateBuildEnvVars.Set:
		return "--update-build-env-vars"
	case c.RemoveBuildEnvVars.Set:
		return "--remove-build-env-vars"
	case c.ClearBuildEnvVars.Set:
		return "--clear-build-env-vars"
	case c.BuildEnvVarsFile.Set:
		return "--build-env-vars-file"
	}
	return ""
}

// containerScope is one set of per-container flags and the container they
// apply to: name == nil is the primary (ingress) container.
type containerScope struct {
	name  *string
	flags *cli.ContainerFlags
}

// scopes lists the per-container flag sets of the command line: the
// --container sections if there are any (GA gcloud rejects per-container
// flags before the first --container), else the top-level flags for the
// primary container.
func (p *planner) scopes() []containerScope {
	if len(p.f.Containers) == 0 {
		return []containerScope{{flags: &p.f.ContainerFlags}}
	}
	out := make([]containerScope, len(p.f.Containers))
	for i := range p.f.Containers {
		out[i] = containerScope{name: &p.f.Containers[i].Name, flags: &p.f.Containers[i].ContainerFlags}
	}
	return out
}

// primary returns the primary container flags when no --container sections
// are used, else nil.
func (p *planner) primaryFlags() *cli.ContainerFlags {
	if len(p.f.Containers) > 0 {
		return nil
	}
	return &p.f.ContainerFlags
}

// container returns the container a scope applies to, creating it if needed
// (gcloud's ContainersAsDictionaryWrapper appends unknown names).
func (p *planner) container(name *string) (*runpb.Container, error) {
	t := p.tmpl()
	if name == nil {
		return primaryContainer(t)
	}
	for _, c := range t.Containers {
		if c.GetName() == *name {
			return c, nil
		}
	}
	c := &runpb.Container{Name: *name}
	t.Containers = append(t.Containers, c)
	return c, nil
}

// primaryContainer is container_resource.container: the only container, or
// the one with ports. A template without containers gets a new, unnamed one.
func primaryContainer(t *runpb.RevisionTemplate) (*runpb.Container, error) {
	switch len(t.Containers) {
	case 0:
		c := &runpb.Container{}
		t.Containers = append(t.Containers, c)
		return c, nil
	case 1:
		return t.Containers[0], nil
	}
	for _, c := range t.Containers {
		if len(c.Ports) > 0 {
			return c, nil
		}
	}
	return nil, wrap.ValueErrorf("missing ingress container")
}

// onPrimary runs fn on the primary container when the top-level
// per-container flags are in use.
func (p *planner) onPrimary(fn func(c *runpb.Container, cf *cli.ContainerFlags) error) error {
	cf := p.primaryFlags()
	if cf == nil {
		return nil
	}
	c, err := p.container(nil)
	if err != nil {
		return err
	}
	return fn(c, cf)
}

// applyClient writes Service.client/client_version (gcloud's
// SetClientNameAndVersionAnnotationChange). v2 has no template-level client
// field in the pinned runpb, so only the service carries it.
func (p *planner) applyClient() error {
	f := p.f
	if f.ClientName.Set || f.ClientVersion.Set {
		p.svc.Client = f.ClientName.Value
		p.svc.ClientVersion = f.ClientVersion.Value
		return nil
	}
	p.svc.Client = p.o.ClientName
	p.svc.ClientVersion = p.o.ClientVersion
	return nil
}

// applyRegions writes --regions (multi-region services).
func (p *planner) applyRegions() error {
	if !p.f.Regions.Set {
		return nil
	}
	if p.svc.MultiRegionSettings == nil {
		p.svc.MultiRegionSettings = &runpb.Service_MultiRegionSettings{}
	}
	p.svc.MultiRegionSettings.Regions = splitRegions(p.f.Regions.Value)
	return nil
}

// tidy drops sub-messages that the changes left empty, so that the request
// does not carry e.g. an empty VpcAccess or BinaryAuthorization.
func (p *planner) tidy() error {
	t := p.tmpl()
	if va := t.VpcAccess; va != nil && va.Connector == "" && va.Egress == runpb.VpcAccess_VPC_EGRESS_UNSPECIFIED && len(va.NetworkInterfaces) == 0 {
		t.VpcAccess = nil
	}
	if ns := t.NodeSelector; ns != nil && ns.Accelerator == "" {
		t.NodeSelector = nil
	}
	if ba := p.svc.BinaryAuthorization; ba != nil && ba.BinauthzMethod == nil && ba.BreakglassJustification == "" {
		p.svc.BinaryAuthorization = nil
	}
	if sc := t.Scaling; sc != nil && sc.MinInstanceCount == 0 && sc.MaxInstanceCount == 0 && p.create() {
		t.Scaling = nil
	}
	for _, c := range t.Containers {
		if len(c.Env) == 0 {
			c.Env = nil
		}
		if len(c.VolumeMounts) == 0 {
			c.VolumeMounts = nil
		}
	}
	if len(t.Volumes) == 0 {
		t.Volumes = nil
	}
	if len(t.Labels) == 0 {
		t.Labels = nil
	}
	if len(p.svc.Labels) == 0 {
		p.svc.Labels = nil
	}
	return nil
}

// randSource draws gcloud-style random names from an io.Reader.
type randSource struct{ r io.Reader }

func newRandSource(r io.Reader) *randSource {
	if r == nil {
		r = rand.Reader
	}
	return &randSource{r: r}
}

// intn returns a uniform integer in [0, n), 0 < n <= 256.
func (s *randSource) intn(n int) (int, error) {
	limit := 256 - 256%n
	var b [1]byte
	for {
		if _, err := io.ReadFull(s.r, b[:]); err != nil {
			return 0, fmt.Errorf("reading random bytes for generated names: %w", err)
		}
		if int(b[0]) < limit {
			return int(b[0]) % n, nil
		}
	}
}

func (s *randSource) pick(alphabet string) (byte, error) {
	i, err := s.intn(len(alphabet))
	if err != nil {
		return 0, err
	}
	return alphabet[i], nil
}

const (
	lowercase  = "abcdefghijklmnopqrstuvwxyz"
	vowels     = "aeiou"
	consonants = "bcdfghjklmnpqrstvwxyz"
)

// word is name_generator._ThreeLetterGenerator: a pronounceable
// consonant-vowel-consonant word that is not on the blocklist.
func (s *randSource) word() (string, error) {
	for {
		var w [3]byte
		var err error
		for i, set := range []string{consonants, vowels, consonants} {
			if w[i], err = s.pick(set); err != nil {
				return "", err
			}
		}
		if !invalidWords[string(w[:])] {
			return string(w[:]), nil
		}
	}
}

// name is name_generator.GenerateName: prefix-www-www with sections words.
func (s *randSource) name(prefix string, sections int) (string, error) {
	out := prefix
	for i := 0; i < sections; i++ {
		w, err := s.word()
		if err != nil {
			return "", err
		}
		if out != "" {
			out += "-"
		}
		out += w
	}
	return out, nil
}

// nonce is serverless_operations._Nonce: 10 random lowercase letters.
func (s *randSource) nonce() (string, error) {
	b := make([]byte, 10)
	for i := range b {
		c, err := s.pick(lowercase)
		if err != nil {
			return "", err
		}
		b[i] = c
	}
	return string(b), nil
}

// invalidWords are the three-letter words gcloud's name generator never
// produces (name_generator._INVALID_THREE_LETTER_WORDS).
var invalidWords = func() map[string]bool {
	const list = "bah baj bal bam bar beh bew bez bic bin bod bok bol bon bow box bun bur bus " +
		"cac cak caq cin coc cok con coq coz cuk cul cum cun cur dan daw day dem dev dic dik diq dix dom dot dud " +
		"fag fak fan fap fas fek fel fez fis fob fok fot fuc fuk fuq fut fux gad gal gan gar gat gay gec gey gid gil giz " +
		"gog gop got goy guc gud guk guq hag hah heh hen het hon hor huj hul hur hus jap jav jeb jew jit jiz job " +
		"kac kak kan kaq kar kaw kef kel ken kep kik kir koc kok koq kor kox kuk kum kun kus kut kuz " +
		"lam lan las lem let lic lid lik lil liq lol lop lox lud lul lun lus luz maj mal meg meh mes mic mik min miq mor " +
		"muf mul mun mut nad nas nib nig nim noq nun nut pad pah pap par pat paz pek pel pes pik pis pix pod pom pot pug " +
		"puk pum pus qab qij quz rac rak ral ran raq rev ris rit rot ruc sac sak saq sat sek ser set sex sey sik sob sod " +
		"sol sot soy suc sud suk suq sut tal tay tem tin tit toc tog tok toq tos tun tup vag vaj wac wah wak waq war was " +
		"wat wen wog wop xuy yal yid yor yuk zak zeb zig zov zut"
	m := map[string]bool{}
	w := ""
	for i := 0; i <= len(list); i++ {
		if i == len(list) || list[i] == ' ' {
			if w != "" {
				m[w] = true
			}
			w = ""
			continue
		}
		w += string(list[i])
	}
	return m
}()

// splitRegions reads --regions: a plain comma-separated string in gcloud
// 578 (not an ArgList, so a repeated region is not a parse error).
func splitRegions(v string) []string {
	var out []string
	for _, r := range strings.Split(v, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}
