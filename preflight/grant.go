package preflight

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"cloud.google.com/go/iam/apiv1/iampb"
	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/rundeploy/rundeploy/cli"
)

// GrantRequest is one grant of a role to a member, at repository or
// project scope, that fixes a missing finding.
type GrantRequest struct {
	Member  string `json:"member"`
	Subject string `json:"subject"`
	Role    string `json:"role"`
	Scope   Scope  `json:"scope"`
	// Resource is projects/P/locations/L/repositories/R or projects/P.
	Resource string `json:"resource"`
	// Command is the gcloud command that makes the same grant.
	Command string `json:"command"`
	// Placeholder, when not empty, explains the placeholder Member stands
	// for (the principal is not known, so rundeploy cannot grant to it).
	Placeholder string `json:"placeholder,omitempty"`
	// CanGrant reports whether the caller may make it.
	CanGrant bool `json:"canGrant"`

	image Image
}

// Plan is the grants that fix every missing permission.
type Plan struct {
	Grants []GrantRequest `json:"grants"`
}

// PlanGrants returns the grants that would fix the report's missing
// findings, for --dry-run and for Decide. A grant to a principal that is not
// known names its placeholder (CallerPlaceholder, AgentPlaceholder) and has
// CanGrant false.
func PlanGrants(r *Report) Plan {
	var p Plan
	for _, f := range r.Missing() {
		if f.Remedy == nil {
			continue
		}
		member := f.Principal
		if member == "" {
			member = CallerPlaceholder
			if f.Subject == SubjectServiceAgent {
				member = AgentPlaceholder
			}
		}
		resource := r.Image.RepositoryName()
		if f.Remedy.Scope == ScopeProject {
			resource = "projects/" + r.Image.Project
		}
		p.Grants = append(p.Grants, GrantRequest{
			Member: member, Subject: f.Subject, Role: f.Remedy.Role, Scope: f.Remedy.Scope,
			Resource: resource, Command: f.Remedy.Command, Placeholder: f.Remedy.Placeholder,
			CanGrant: f.CanGrant && f.Principal != "", image: r.Image,
		})
	}
	return p
}

// Render writes the plan for --dry-run, one line per grant:
//
//	Would grant roles/artifactregistry.reader on repository apps (my-proj, us-central1) to serviceAccount:ci@…
//	  (you may not grant it; an administrator can run: gcloud artifacts repositories add-iam-policy-binding …)
func (p Plan) Render(w io.Writer) error {
	var b strings.Builder
	if len(p.Grants) == 0 {
		b.WriteString("No image access grants needed.\n")
	}
	for _, g := range p.Grants {
		fmt.Fprintf(&b, "Would grant %s on %s to %s\n", g.Role, g.Where(), g.Member)
		switch {
		case g.Placeholder != "":
			fmt.Fprintf(&b, "  (%s, then run: %s)\n", g.Placeholder, g.Command)
		case !g.CanGrant:
			fmt.Fprintf(&b, "  (you may not grant it; an administrator can run: %s)\n", g.Command)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Where names the grant's target for people: "repository apps (my-proj,
// us-central1)" or "project my-proj".
func (g GrantRequest) Where() string {
	if g.Scope == ScopeProject {
		return "project " + g.image.Project
	}
	return fmt.Sprintf("repository %s (%s, %s)", g.image.Repository, g.image.Project, g.image.Location)
}

// Consent is what Decide needs to know to apply the consent rules.
type Consent struct {
	// GrantImageAccess is --[no-]grant-image-access.
	GrantImageAccess cli.Bool
	// Quiet is --quiet (or core/disable_prompts): never ask.
	Quiet bool
	// Interactive reports whether the user can be asked (stdin and stderr
	// are terminals).
	Interactive bool
	// In is where answers are read from (stdin); Out is where questions go
	// (stderr).
	In  io.Reader
	Out io.Writer
}

// StoppedError stops the deploy before it changes anything because image
// access is missing. Exit status 1. Its message names what is missing and
// the exact commands that fix it.
type StoppedError struct {
	// Missing are the findings that stopped the deploy.
	Missing []Finding
	msg     string
}

func (e *StoppedError) Error() string { return e.msg }

// ExitCode is the process exit status for this error.
func (e *StoppedError) ExitCode() int { return 1 }

// Decide applies the consent rules to the report's missing findings and
// returns the grants to make before deploying:
//
//   - nothing missing: an empty plan;
//   - --no-grant-image-access: never grant; stop (*StoppedError) with the commands;
//   - the caller cannot grant (or a member is unknown): stop with the
//     commands for an administrator;
//   - --grant-image-access: grant without asking;
//   - otherwise, on a terminal without --quiet, ask for each grant
//     (default No; No stops); else stop with the commands.
func Decide(r *Report, c Consent) (Plan, error) {
	missing := r.Missing()
	if len(missing) == 0 {
		return Plan{}, nil
	}
	plan := PlanGrants(r)
	stop := func(intro string, outro string) (Plan, error) {
		return Plan{}, &StoppedError{Missing: missing, msg: stopMessage(r, missing, intro, outro)}
	}
	if c.GrantImageAccess.Set && !c.GrantImageAccess.Value {
		return stop("Image access is missing and --no-grant-image-access was given, so nothing was deployed.",
			"To fix it, run:")
	}
	for _, f := range missing {
		if f.Principal == "" || !f.CanGrant {
			why := r.cannotGrant
			switch {
			case f.Principal == "" && f.Subject == SubjectCaller:
				why = "the active credentials' identity is not known"
			case f.Principal == "":
				why = "the Cloud Run service agent of the deploy project is not known"
			}
			if why == "" {
				why = "you may not change the IAM policy"
			}
			return stop(fmt.Sprintf("Image access is missing and rundeploy cannot grant it (%s), so nothing was deployed.", why),
				"Ask an administrator of the image's project to run:")
		}
	}
	if c.GrantImageAccess.Set && c.GrantImageAccess.Value {
		return plan, nil
	}
	if !c.Interactive || c.Quiet || c.In == nil || c.Out == nil {
		return stop("Image access is missing, so nothing was deployed.",
			"To grant it, rerun with --grant-image-access, or run:")
	}
	in := bufio.NewReader(c.In)
	for _, g := range plan.Grants {
		fmt.Fprintf(c.Out, "Grant %s on %s to %s? (y/N) ", g.Role, g.Where(), g.Member)
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			fmt.Fprintln(c.Out)
		}
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			return stop("Image access was not granted, so nothing was deployed.", "To grant it yourself, run:")
		}
	}
	return plan, nil
}

// stopMessage lists what is missing and the commands that fix it.
func stopMessage(r *Report, missing []Finding, intro, outro string) string {
	var b strings.Builder
	b.WriteString(intro)
	for _, f := range missing {
		fmt.Fprintf(&b, "\n  %s lacks %s on %s", f.who(), f.Permission, f.Resource)
	}
	b.WriteString("\n" + outro)
	for _, f := range missing {
		if f.Remedy == nil {
			continue
		}
		b.WriteString("\n  " + f.Remedy.Command)
		if f.Remedy.Placeholder != "" {
			b.WriteString("\n  (" + f.Remedy.Placeholder + ")")
		}
	}
	return b.String()
}

// GrantOptions tune Grant's read-modify-write retries.
type GrantOptions struct {
	// Attempts bounds the read-modify-write cycles (default 5).
	Attempts int
	// Sleep waits between attempts (default: a timer honouring ctx).
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a number in [0,1) to spread retries (default math/rand).
	Jitter func() float64
}

// Grant makes one grant: read the IAM policy (version 3), add the member to
// the unconditional binding of the role (created when absent; conditional
// bindings are never touched), and write it back with the etag that was
// read. A concurrent change (ABORTED, HTTP 409) restarts the whole cycle
// after a jittered backoff, a bounded number of times. Every other
// binding, condition, audit config and the policy version are written back
// exactly as read. It reports whether the policy changed (false when the
// member already held the role).
func Grant(ctx context.Context, c Clients, g GrantRequest, o GrantOptions) (changed bool, err error) {
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	get, set := c.AR.GetIamPolicy, c.AR.SetIamPolicy
	if g.Scope == ScopeProject {
		get, set = c.Projects.GetIamPolicy, c.Projects.SetIamPolicy
	}
	for attempt := 1; ; attempt++ {
		policy, err := get(ctx, &iampb.GetIamPolicyRequest{Resource: g.Resource, Options: &iampb.GetPolicyOptions{RequestedPolicyVersion: 3}})
		if err != nil {
			return false, fmt.Errorf("reading the IAM policy of %s: %w", g.Resource, err)
		}
		if !addMember(policy, g.Role, g.Member) {
			return false, nil
		}
		_, err = set(ctx, &iampb.SetIamPolicyRequest{Resource: g.Resource, Policy: policy})
		if err == nil {
			return true, nil
		}
		if !isConcurrentChange(err) || attempt >= o.Attempts {
			return false, fmt.Errorf("granting %s to %s on %s: %w", g.Role, g.Member, g.Resource, err)
		}
		// 0.5s, 1s, 2s, … with ±50% jitter.
		d := time.Duration(float64(250*time.Millisecond<<attempt) * (0.5 + o.Jitter()))
		if err := o.Sleep(ctx, d); err != nil {
			return false, err
		}
	}
}

// Apply makes every grant of the plan, in order, and returns the grants
// that changed a policy.
func (p Plan) Apply(ctx context.Context, c Clients, o GrantOptions) (changed []GrantRequest, err error) {
	for _, g := range p.Grants {
		ok, err := Grant(ctx, c, g, o)
		if err != nil {
			return changed, err
		}
		if ok {
			changed = append(changed, g)
		}
	}
	return changed, nil
}

// isConcurrentChange reports a setIamPolicy that lost a race with another
// writer: gRPC ABORTED, HTTP 409.
func isConcurrentChange(err error) bool {
	var ae *apierror.APIError
	if errors.As(err, &ae) && ae.HTTPCode() == http.StatusConflict {
		return true
	}
	return status.Code(err) == codes.Aborted || (ae != nil && ae.GRPCStatus().Code() == codes.Aborted)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
