package command

import (
	"context"
	"fmt"
	"os"
	"time"

	artifactregistry "cloud.google.com/go/artifactregistry/apiv1"
	troubleshooter "cloud.google.com/go/policytroubleshooter/iam/apiv3"
	resourcemanager "cloud.google.com/go/resourcemanager/apiv3"
	"github.com/briandowns/spinner"
	"google.golang.org/api/option"

	"github.com/rundeploy/rundeploy/cli"
	"github.com/rundeploy/rundeploy/preflight"
)

// imageChecks are the preflight runs for a deploy, one per distinct image.
type imageChecks struct {
	clients preflight.Clients
	images  []preflight.Image
	runs    []*preflight.Run
	closers []func() error
	cancel  context.CancelFunc
	// err is an error building the clients: the checks did not start.
	err error
}

// close stops checks still running (the deploy may end early, e.g. on a
// flag error found while planning), waits for them, then closes the
// clients they use.
func (c *imageChecks) close() {
	if c == nil {
		return
	}
	if c.cancel != nil {
		c.cancel()
	}
	for _, r := range c.runs {
		r.Wait()
	}
	for _, f := range c.closers {
		f()
	}
}

// deployImages returns every image the command deploys, parsed, in
// command-line order without repeats. A bad reference is an argument
// error, found before any API call.
func deployImages(f *cli.Flags) ([]preflight.Image, error) {
	var refs []string
	if f.Image.Set {
		refs = append(refs, f.Image.Value)
	}
	for _, c := range f.Containers {
		if c.Image.Set {
			refs = append(refs, c.Image.Value)
		}
	}
	var out []preflight.Image
	seen := map[string]bool{}
	for _, r := range refs {
		if seen[r] {
			continue
		}
		seen[r] = true
		img, err := preflight.ParseImage(r)
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	return out, nil
}

// startPreflight starts the image checks; they run while the service is
// read. It returns nil when the preflight is off (--no-preflight).
func (a *app) startPreflight(ctx context.Context, s *session, images []preflight.Image) *imageChecks {
	if !s.cmd.Preflight.Enabled() {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	c := &imageChecks{images: images, cancel: cancel}
	opts := s.opts
	ar, err := artifactregistry.NewRESTClient(ctx, withEndpoint(opts, s.cfg.RESTEndpoint("artifactregistry"))...)
	if err != nil {
		c.err = err
		return c
	}
	c.closers = append(c.closers, ar.Close)
	projects, err := resourcemanager.NewProjectsRESTClient(ctx, withEndpoint(opts, s.cfg.RESTEndpoint("cloudresourcemanager"))...)
	if err != nil {
		c.err = err
		return c
	}
	c.closers = append(c.closers, projects.Close)
	c.clients = preflight.Clients{
		AR:          ar,
		Projects:    projects,
		Registry:    a.registryTransport(),
		TokenSource: s.creds.TokenSource,
	}
	// Policy Troubleshooter is only used where it is reachable; with an
	// emulator (endpoint overrides) and no override for it, skip it.
	if ep := s.cfg.RESTEndpoint("policytroubleshooter"); ep != "" || s.cfg.RESTEndpoint("run") == "" {
		if pt, err := troubleshooter.NewPolicyTroubleshooterRESTClient(ctx, withEndpoint(opts, ep)...); err == nil {
			c.closers = append(c.closers, pt.Close)
			c.clients.Troubleshooter = pt
		}
	}
	scope, _ := s.cmd.Preflight.Scope()
	caller := s.creds.Identity.Member
	// Only user credentials need a look-up (tokeninfo); it runs beside the
	// checks, which do not need the email (the findings and grants do).
	resolve := func(ctx context.Context) string {
		if id, err := s.creds.Caller(ctx); err == nil {
			return id.Member
		}
		return ""
	}
	for _, img := range images {
		c.runs = append(c.runs, preflight.Start(ctx, c.clients, preflight.Options{
			Image:         img,
			DeployProject: s.target.Project,
			Caller:        caller,
			ResolveCaller: resolve,
			Scope:         preflight.Scope(scope),
		}))
	}
	return c
}

func withEndpoint(opts []option.ClientOption, endpoint string) []option.ClientOption {
	out := append([]option.ClientOption{}, opts...)
	if endpoint != "" {
		out = append(out, option.WithEndpoint(endpoint))
	}
	return out
}

// preflightResult is what the checks concluded.
type preflightResult struct {
	reports []*preflight.Report
	// retry, when set, is how the deploy waits out IAM propagation after
	// a grant.
	retry func(ctx context.Context, note func(string), attempt func(context.Context) error) error
}

// finishPreflight joins the checks, reports them, and applies the consent
// rules: grant (after asking, or with --grant-image-access), or stop.
func (a *app) finishPreflight(ctx context.Context, s *session, c *imageChecks, dryRun bool) (*preflightResult, error) {
	res := &preflightResult{}
	if c == nil {
		return res, nil
	}
	if c.err != nil {
		fmt.Fprintf(a.Stderr, "WARNING: the image access check could not run: %v\n", c.err)
		return res, nil
	}
	for _, run := range c.runs {
		r, err := run.Wait()
		if r != nil && !(dryRun && jsonFormat(s)) {
			r.Render(a.Stderr)
		}
		if err != nil {
			return nil, err
		}
		res.reports = append(res.reports, r)
	}
	if dryRun {
		return res, nil
	}
	timeout, err := s.cmd.Preflight.Timeout()
	if err != nil {
		return nil, err
	}
	waiter := &preflight.Waiter{Timeout: timeout, Progress: a.progressPrinter()}
	granted := false
	for i, r := range res.reports {
		plan, err := preflight.Decide(r, preflight.Consent{
			GrantImageAccess: s.cmd.Preflight.GrantImageAccess,
			Quiet:            s.quiet,
			Interactive:      a.stdinTTY && a.stderrTTY,
			In:               a.Stdin,
			Out:              a.Stderr,
		})
		if err != nil {
			return nil, err
		}
		if len(plan.Grants) == 0 {
			continue
		}
		changed, err := plan.Apply(ctx, c.clients, preflight.GrantOptions{})
		for _, g := range changed {
			fmt.Fprintf(a.Stderr, "Granted %s on %s to %s.\n", g.Role, g.Where(), g.Member)
		}
		if err != nil {
			return nil, err
		}
		granted = true
		for _, g := range plan.Grants {
			if g.Subject == preflight.SubjectCaller {
				if err := waiter.WaitForAccess(ctx, c.clients, c.images[i]); err != nil {
					return nil, err
				}
				break
			}
		}
	}
	if granted {
		// The deploy retries run inside the deploy's progress tracker,
		// which shows what they wait for.
		res.retry = func(ctx context.Context, note func(string), attempt func(context.Context) error) error {
			retrier := &preflight.Waiter{Timeout: timeout, Progress: func(p preflight.Progress) {
				if !p.Done {
					note(fmt.Sprintf("Waiting for %s (%s left)...", p.Message, p.Remaining.Round(time.Second)))
				}
			}}
			return retrier.RetryDeploy(ctx, "Cloud Run to see the new image access", attempt)
		}
	}
	return res, nil
}

// progressPrinter renders waits: a spinner on a terminal, a line per
// update otherwise.
func (a *app) progressPrinter() func(preflight.Progress) {
	var sp *spinner.Spinner
	if f, ok := a.Stderr.(*os.File); ok && a.stderrTTY {
		sp = spinner.New(spinner.CharSets[14], 100*time.Millisecond, spinner.WithWriterFile(f))
	}
	return func(p preflight.Progress) {
		line := fmt.Sprintf("Waiting for %s (%s left)...", p.Message, p.Remaining.Round(time.Second))
		if sp == nil {
			if p.Done {
				return
			}
			fmt.Fprintln(a.Stderr, line)
			return
		}
		if p.Done {
			sp.Stop()
			return
		}
		sp.Lock()
		sp.Suffix = " " + line
		sp.Unlock()
		if !sp.Active() {
			sp.Start()
		}
	}
}

func jsonFormat(s *session) bool { return formatOf(s) == "json" }
