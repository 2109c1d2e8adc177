package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	run "cloud.google.com/go/run/apiv2"
	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/api/option"

	"github.com/rundeploy/rundeploy/deploy"
	"github.com/rundeploy/rundeploy/preflight"
	"github.com/rundeploy/rundeploy/wrap"
)

// session is what a deploy needs once the command line is parsed and the
// configuration resolved.
type session struct {
	cmd    *deployCommand
	cfg    *wrap.Config
	creds  *wrap.Credentials
	target deploy.Target
	style  deploy.Style
	quiet  bool // no prompts: --quiet, core/disable_prompts or no terminal
	opts   []option.ClientOption
}

// deploy runs one `gcloud run deploy`. args are the deploy arguments;
// original is what to hand the real gcloud (after `gcloud`) when rundeploy
// does not handle the deploy itself (source deploys).
func (a *app) deploy(ctx context.Context, args, original []string) int {
	if wantsHelp(args) {
		fmt.Fprint(a.stdout, renderedHelp)
		return 0
	}
	cmd, err := parseDeploy(args, a.getenv)
	if errors.Is(err, deploy.ErrNotManaged) {
		// Cloud Run for Anthos (--platform gke|kubernetes) is gcloud's.
		fmt.Fprintln(a.stderr, "rundeploy: only the fully managed platform is handled here; handing this command to the real gcloud.")
		return a.gcloud(ctx, stripOwnFlags(original))
	}
	if err != nil {
		return a.fail(err)
	}
	if cmd.HelpRequested {
		fmt.Fprint(a.stdout, helpText())
		return 0
	}
	if isSourceDeploy(&cmd.Flags) {
		fmt.Fprintln(a.stderr, "rundeploy: source deploys are built by gcloud; handing this command to the real gcloud.")
		return a.gcloud(ctx, stripOwnFlags(original))
	}
	if err := cmd.Preflight.Validate(); err != nil {
		return a.fail(err)
	}
	images, err := deployImages(&cmd.Flags)
	if err != nil {
		return a.fail(err)
	}
	s, err := a.resolve(ctx, cmd)
	if err != nil {
		return a.fail(err)
	}
	if err := a.apply(ctx, s, images); err != nil {
		if errors.Is(err, deploy.ErrSourceDeploy) {
			fmt.Fprintln(a.stderr, "rundeploy: source deploys are built by gcloud; handing this command to the real gcloud.")
			return a.gcloud(ctx, stripOwnFlags(original))
		}
		return a.fail(err)
	}
	return 0
}

// isSourceDeploy reports whether gcloud would build from source: --source
// given, or no --image anywhere.
func isSourceDeploy(f *deploy.Flags) bool {
	if f.Source.Set {
		return true
	}
	for _, c := range f.Containers {
		if c.Source.Set {
			return true
		}
	}
	if f.Image.Set {
		return false
	}
	for _, c := range f.Containers {
		if c.Image.Set {
			return false
		}
	}
	return true
}

// stripOwnFlags removes rundeploy's own flags before handing a command
// line to gcloud, which would reject them.
func stripOwnFlags(args []string) []string {
	own := []string{"--grant-image-access", "--no-grant-image-access", "--grant-scope",
		"--preflight", "--no-preflight", "--dry-run", "--no-dry-run", "--propagation-timeout"}
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(a, "=")
		matched := false
		for _, o := range own {
			if name == o {
				matched = true
				if !hasValue && (o == "--grant-scope" || o == "--propagation-timeout") {
					i++ // skip the value
				}
			}
		}
		if !matched {
			out = append(out, a)
		}
	}
	return out
}

// resolve finds project, region, service and credentials as gcloud would.
func (a *app) resolve(ctx context.Context, cmd *deployCommand) (*session, error) {
	cfg, err := wrap.LoadConfig(a.getenv, cmd.Configuration.Value)
	if err != nil {
		return nil, err
	}
	cfg.ApplyGlobals(&cmd.Globals)
	s := &session{cmd: cmd, cfg: cfg, style: deploy.StyleFor(a.getenv("TERM"))}
	s.quiet = cmd.Quiet.Set && cmd.Quiet.Value || cfg.DisablePrompts() || !a.stdinTTY

	project, err := cfg.Project(cmd.Project.Value)
	if err != nil {
		return nil, err
	}
	creds, err := cfg.Credentials(ctx, wrap.CredentialOptions{Stderr: a.stderr})
	if err != nil {
		return nil, err
	}
	if creds.Warning != "" {
		fmt.Fprintf(a.stderr, "WARNING: %s\n", creds.Warning)
	}
	s.creds = creds
	s.opts = a.clientOptions(cfg, creds, cmd.BillingProject.Value)

	region, err := cfg.Region(cmd.Region.Value)
	if err != nil {
		if s.quiet || !errors.Is(err, wrap.ErrNoRegion) {
			return nil, err
		}
		region, err = a.promptRegion(ctx, s, project)
		if err != nil {
			return nil, err
		}
	}
	service, err := serviceName(cmd)
	if err != nil {
		return nil, err
	}
	s.target = deploy.Target{Project: project, Region: region, Service: service}
	return s, nil
}

// serviceName returns the SERVICE positional (the last path segment of
// namespaces/NS/services/NAME).
func serviceName(cmd *deployCommand) (string, error) {
	name := cmd.Service
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if name == "" {
		return "", deploy.ValueErrorf("Error parsing [service].\nThe [service] resource is not properly specified.\nFailed to find attribute [service]. The attribute can be set in the following ways: \n- provide the argument [SERVICE] on the command line")
	}
	return name, nil
}

// clientOptions are the options every Google client is built with.
func (a *app) clientOptions(cfg *wrap.Config, creds *wrap.Credentials, billing string) []option.ClientOption {
	opts := []option.ClientOption{
		option.WithTokenSource(creds.TokenSource),
		option.WithUserAgent("rundeploy/" + version),
	}
	if billing == "" {
		billing, _ = cfg.Get("billing", "quota_project")
	}
	if billing != "" && billing != "CURRENT_PROJECT" {
		opts = append(opts, option.WithQuotaProject(billing))
	}
	return opts
}

func (s *session) runClient(ctx context.Context) (*run.ServicesClient, error) {
	opts := append([]option.ClientOption{}, s.opts...)
	if ep := s.cfg.RESTEndpoint("run"); ep != "" {
		opts = append(opts, option.WithEndpoint(ep))
	}
	return run.NewServicesRESTClient(ctx, opts...)
}

// promptRegion asks for a region like gcloud does on a terminal.
func (a *app) promptRegion(ctx context.Context, s *session, project string) (string, error) {
	opts := append([]option.ClientOption{}, s.opts...)
	if ep := s.cfg.RESTEndpoint("run"); ep != "" {
		opts = append(opts, option.WithEndpoint(ep))
	}
	regions, err := listRegions(ctx, project, opts)
	if err != nil {
		return "", err
	}
	imageRegion := ""
	if host, _, ok := strings.Cut(s.cmd.Image.Value, "/"); ok && strings.HasSuffix(host, "-docker.pkg.dev") {
		imageRegion = strings.TrimSuffix(host, "-docker.pkg.dev")
	}
	return wrap.PromptRegion(ctx, a.stdin, a.stderr, regions, imageRegion)
}

// apply runs the preflight beside the read of the current service, plans,
// deploys and reports.
func (a *app) apply(ctx context.Context, s *session, images []preflight.Image) error {
	if err := checkFormat(s); err != nil {
		return err
	}
	client, err := s.runClient(ctx)
	if err != nil {
		return err
	}
	defer client.Close()

	// The read every deploy needs and the preflight run side by side.
	checks := a.startPreflight(ctx, s, images)
	defer checks.close()
	existing, err := deploy.Get(ctx, client, s.target)
	if err != nil {
		return err
	}
	// For a new service gcloud asks whether the caller may set its IAM
	// policy before offering allow-unauthenticated; ask now, beside the
	// preflight, rather than after it.
	iamCtx, stopIAM := context.WithCancel(ctx)
	canSetIAM, iamDone := a.askCanSetIAM(iamCtx, s, client, existing)
	defer func() { stopIAM(); <-iamDone }() // before the client is closed
	planOpts := deploy.PlanOptions{ClientName: "rundeploy", ClientVersion: version, Rand: rand.Reader}
	if !s.quiet {
		planOpts.Confirm = func(q string) (bool, error) { return confirm(a.stdin, a.stderr, q+" (y/N)?  ", false) }
	}
	build := func(cur *runpb.Service) (*runpb.Service, error) {
		return deploy.Plan(cur, &s.cmd.Flags, s.target, planOpts)
	}
	// Plan once before anything changes, so flag errors stop the deploy
	// and gcloud's warnings are printed once.
	_, warnings, err := deploy.PlanWithWarnings(existing, &s.cmd.Flags, s.target, planOpts)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(a.stderr, w)
	}
	dry := s.cmd.Preflight.DryRun.Set && s.cmd.Preflight.DryRun.Value
	pf, err := a.finishPreflight(ctx, s, checks, dry)
	if err != nil {
		return err
	}
	if dry {
		return a.dryRun(ctx, s, client, existing, build, pf)
	}

	invoker, err := a.invokerChange(s, existing, canSetIAM)
	if err != nil {
		return err
	}

	deploy.ReportStart(a.stderr, s.style, s.target)
	d := &deploy.Deployment{
		Client:   client,
		Target:   s.target,
		Existing: existing,
		Build:    build,
		Invoker:  invoker,
		Async:    s.cmd.Async.Set && s.cmd.Async.Value,
		Stderr:   a.stderr,
		TTY:      a.stderrTTY,
		Retry:    pf.retry,
	}
	out, err := d.Apply(ctx)
	if err != nil {
		return err
	}
	if out.IAMWarning != "" {
		fmt.Fprintf(a.stderr, "WARNING: %s\n", out.IAMWarning)
	}
	if out.Async {
		deploy.ReportAsync(a.stderr, s.style, s.target)
		return a.printFormat(s, out.Service, true)
	}
	sum := deploy.Summarize(out.Service, s.cmd.NoTraffic)
	deploy.ReportSuccess(a.stderr, s.style, s.target, sum, a.requiresAuth(ctx, s, client, out.Service, invoker))
	return a.printFormat(s, out.Service, false)
}

// needsInvokerQuestion reports whether gcloud would consider the
// allow-unauthenticated prompt: a new service, no --[no-]allow-unauthenticated,
// invoker IAM check on.
func needsInvokerQuestion(f *deploy.Flags, existing *runpb.Service) bool {
	return existing == nil && !f.AllowUnauthenticated.Set && !(f.InvokerIamCheck.Set && !f.InvokerIamCheck.Value)
}

// askCanSetIAM starts the testIamPermissions gcloud makes before the
// allow-unauthenticated prompt, when it is needed (answer is nil
// otherwise). done is closed once the call is over.
func (a *app) askCanSetIAM(ctx context.Context, s *session, c *run.ServicesClient, existing *runpb.Service) (answer <-chan bool, done <-chan struct{}) {
	finished := make(chan struct{})
	if !needsInvokerQuestion(&s.cmd.Flags, existing) {
		close(finished)
		return nil, finished
	}
	ch := make(chan bool, 1)
	go func() {
		defer close(finished)
		ch <- deploy.CanSetIamPolicy(ctx, c, s.target)
	}()
	return ch, finished
}

// invokerChange decides what happens to allUsers on roles/run.invoker:
// the flag if given; otherwise, for a new service whose invoker IAM check
// is on, gcloud asks when the caller may set the policy (canSetIAM, from
// askCanSetIAM).
func (a *app) invokerChange(s *session, existing *runpb.Service, canSetIAM <-chan bool) (deploy.InvokerChange, error) {
	f := &s.cmd.Flags
	if f.AllowUnauthenticated.Set {
		if f.AllowUnauthenticated.Value {
			return deploy.InvokerAllowAll, nil
		}
		if existing == nil {
			return deploy.InvokerUnchanged, nil
		}
		return deploy.InvokerRestrict, nil
	}
	if canSetIAM == nil {
		return deploy.InvokerUnchanged, nil
	}
	if !<-canSetIAM {
		fmt.Fprintln(a.stderr, "This service will require authentication to be invoked.")
		return deploy.InvokerUnchanged, nil
	}
	if s.quiet {
		return deploy.InvokerUnchanged, nil
	}
	yes, err := confirm(a.stdin, a.stderr, fmt.Sprintf("Allow unauthenticated invocations to [%s] (y/N)?  ", s.target.Service), false)
	if err != nil {
		return deploy.InvokerUnchanged, err
	}
	if yes {
		return deploy.InvokerAllowAll, nil
	}
	return deploy.InvokerUnchanged, nil
}

// requiresAuth decides whether to print the "Proxy locally with" hint.
func (a *app) requiresAuth(ctx context.Context, s *session, c *run.ServicesClient, svc *runpb.Service, invoker deploy.InvokerChange) bool {
	if svc.GetIngress() == runpb.IngressTraffic_INGRESS_TRAFFIC_INTERNAL_ONLY ||
		svc.GetIngress() == runpb.IngressTraffic_INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER ||
		svc.GetInvokerIamDisabled() || svc.GetDefaultUriDisabled() {
		return false
	}
	switch invoker {
	case deploy.InvokerAllowAll:
		return false
	case deploy.InvokerRestrict:
		return true
	}
	return !deploy.AllowsAllUsers(ctx, c, s.target)
}

// registryTransport is the HTTP transport for container registry calls.
func (a *app) registryTransport() http.RoundTripper {
	return wrap.RegistryTransport(http.DefaultTransport.(*http.Transport).Clone(), a.getenv)
}

var _ = time.Second
