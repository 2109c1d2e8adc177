package command

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"

	run "cloud.google.com/go/run/apiv2"
	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/api/option"

	"github.com/rundeploy/rundeploy/cli"
	"github.com/rundeploy/rundeploy/deploy"
	"github.com/rundeploy/rundeploy/preflight"
	"github.com/rundeploy/rundeploy/wrap"
	"github.com/rundeploy/rundeploy/wrap/auth"
	"github.com/rundeploy/rundeploy/wrap/transport"
)

// session is what a deploy needs once the command line is parsed and the
// configuration resolved.
type session struct {
	cmd    *cli.Command
	cfg    *wrap.Config
	creds  *auth.Credentials
	target deploy.Target
	style  deploy.Style
	quiet  bool // no prompts: --quiet, core/disable_prompts or no terminal
	opts   []option.ClientOption
}

// deploy runs one `gcloud run deploy` whose command line passed every
// local check (cli.Front.Run).
func (a *app) deploy(ctx context.Context, cmd *cli.Command, inv cli.Invocation) int {
	images, err := deployImages(&cmd.Flags)
	if err != nil {
		return a.Fail(err)
	}
	s, err := a.resolve(ctx, cmd)
	if err != nil {
		return a.Fail(err)
	}
	if err := a.apply(ctx, s, images); err != nil {
		if errors.Is(err, deploy.ErrSourceDeploy) {
			return a.HandOff(ctx, inv, cli.SourceDeployReason)
		}
		return a.Fail(err)
	}
	return 0
}

// resolve finds project, region, service and credentials as gcloud would.
func (a *app) resolve(ctx context.Context, cmd *cli.Command) (*session, error) {
	cfg, err := wrap.LoadConfig(a.Getenv, cmd.Configuration.Value)
	if err != nil {
		return nil, err
	}
	cmd.Globals.Apply(cfg)
	s := &session{cmd: cmd, cfg: cfg, style: deploy.StyleFor(a.Getenv("TERM"))}
	s.quiet = cmd.Quiet.Set && cmd.Quiet.Value || cfg.DisablePrompts() || !a.stdinTTY

	project, err := cfg.Project(cmd.Project.Value)
	if err != nil {
		return nil, err
	}
	creds, err := auth.Resolve(ctx, cfg, auth.Options{Stderr: a.Stderr})
	if err != nil {
		return nil, err
	}
	if creds.Warning != "" {
		fmt.Fprintf(a.Stderr, "WARNING: %s\n", creds.Warning)
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
func serviceName(cmd *cli.Command) (string, error) {
	name := cmd.Service
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if name == "" {
		return "", wrap.ValueErrorf("Error parsing [service].\nThe [service] resource is not properly specified.\nFailed to find attribute [service]. The attribute can be set in the following ways: \n- provide the argument [SERVICE] on the command line")
	}
	return name, nil
}

// clientOptions are the options every Google client is built with.
func (a *app) clientOptions(cfg *wrap.Config, creds *auth.Credentials, billing string) []option.ClientOption {
	opts := []option.ClientOption{
		option.WithTokenSource(creds.TokenSource),
		option.WithUserAgent("rundeploy/" + a.Version),
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
	return wrap.PromptRegion(ctx, a.Stdin, a.Stderr, regions, imageRegion)
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
	planOpts := deploy.PlanOptions{ClientName: "rundeploy", ClientVersion: a.Version, Rand: rand.Reader}
	if !s.quiet {
		planOpts.Confirm = func(q string) (bool, error) { return confirm(a.Stdin, a.Stderr, q+" (y/N)?  ", false) }
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
		fmt.Fprintln(a.Stderr, w)
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

	deploy.ReportStart(a.Stderr, s.style, s.target)
	d := &deploy.Deployment{
		Client:   client,
		Target:   s.target,
		Existing: existing,
		Build:    build,
		Invoker:  invoker,
		Async:    s.cmd.Async.Set && s.cmd.Async.Value,
		Stderr:   a.Stderr,
		TTY:      a.stderrTTY,
		Retry:    pf.retry,
	}
	out, err := d.Apply(ctx)
	if err != nil {
		return err
	}
	if out.IAMWarning != "" {
		fmt.Fprintf(a.Stderr, "WARNING: %s\n", out.IAMWarning)
	}
	if out.Async {
		deploy.ReportAsync(a.Stderr, s.style, s.target)
		return a.printFormat(s, out.Service, true)
	}
	sum := deploy.Summarize(out.Service, s.cmd.NoTraffic)
	deploy.ReportSuccess(a.Stderr, s.style, s.target, sum, a.requiresAuth(ctx, s, client, out.Service, invoker))
	return a.printFormat(s, out.Service, false)
}

// needsInvokerQuestion reports whether gcloud would consider the
// allow-unauthenticated prompt: a new service, no --[no-]allow-unauthenticated,
// invoker IAM check on.
func needsInvokerQuestion(f *cli.Flags, existing *runpb.Service) bool {
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
		fmt.Fprintln(a.Stderr, "This service will require authentication to be invoked.")
		return deploy.InvokerUnchanged, nil
	}
	if s.quiet {
		return deploy.InvokerUnchanged, nil
	}
	yes, err := confirm(a.Stdin, a.Stderr, fmt.Sprintf("Allow unauthenticated invocations to [%s] (y/N)?  ", s.target.Service), false)
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
	return transport.Registry(transport.New(), a.Getenv)
}
