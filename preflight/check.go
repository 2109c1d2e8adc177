// Package preflight checks, before a Cloud Run deploy changes anything,
// that the container image can be read by the caller and, when the image
// lives in another project, by the deploying project's Cloud Run service
// agent; and it offers the least-privilege grant that fixes what is missing.
package preflight

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	artifactregistry "cloud.google.com/go/artifactregistry/apiv1"
	"cloud.google.com/go/iam/apiv1/iampb"
	troubleshooter "cloud.google.com/go/policytroubleshooter/iam/apiv3"
	ptpb "cloud.google.com/go/policytroubleshooter/iam/apiv3/iampb"
	resourcemanager "cloud.google.com/go/resourcemanager/apiv3"
	"cloud.google.com/go/resourcemanager/apiv3/resourcemanagerpb"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	gax "github.com/googleapis/gax-go/v2"
	"github.com/googleapis/gax-go/v2/apierror"
	"golang.org/x/oauth2"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Clients are the API clients the preflight uses. The caller builds them
// (endpoints, credentials, transports) and closes them.
type Clients struct {
	// AR is an Artifact Registry v1 client (REST transport).
	AR *artifactregistry.Client
	// Projects is a Resource Manager v3 projects client (REST transport).
	Projects *resourcemanager.ProjectsClient
	// Troubleshooter is an optional Policy Troubleshooter v3 client; nil
	// skips it and the service agent check reads allow policies directly.
	Troubleshooter *troubleshooter.PolicyTroubleshooterClient
	// Registry carries the container registry requests (nil:
	// remote.DefaultTransport). Pass a transport that honours
	// RUNDEPLOY_REGISTRY_OVERRIDE.
	Registry http.RoundTripper
	// TokenSource authenticates registry requests as the caller.
	TokenSource oauth2.TokenSource
}

// Options say what to check.
type Options struct {
	Image Image
	// DeployProject is the project the service is deployed to (ID or number).
	DeployProject string
	// Caller is the caller's IAM member ("user:a@b", "serviceAccount:x");
	// "" when the active credentials' identity is not known.
	Caller string
	// ResolveCaller, when Caller is "", finds the caller's member (e.g. with
	// a tokeninfo call). It runs beside the checks, so it costs no round
	// trip of its own; "" means unknown.
	ResolveCaller func(ctx context.Context) string
	// Scope is where a remedy would grant (default ScopeRepository).
	Scope Scope
}

// ServiceAgent is the Cloud Run service agent of the project with this number.
func ServiceAgent(projectNumber int64) string {
	return fmt.Sprintf("serviceAccount:service-%d@serverless-robot-prod.iam.gserviceaccount.com", projectNumber)
}

// NotFoundError is an image that does not exist while the caller may read
// its repository: deploying it would fail. Exit status 1.
type NotFoundError struct{ Image Image }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("Image '%s' not found.", e.Image.Ref)
}

// ExitCode is the process exit status for this error.
func (e *NotFoundError) ExitCode() int { return 1 }

// Run is a preflight check in progress. Start it before the deploy reads
// the existing service, and Wait for it after.
type Run struct {
	done   chan struct{}
	report *Report
	err    error
}

// Start begins the checks for o.Image and returns at once. All checks run
// concurrently; none of them writes anything.
func Start(ctx context.Context, c Clients, o Options) *Run {
	r := &Run{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.report, r.err = check(ctx, c, o)
	}()
	return r
}

// Wait returns the report once every check has finished. The error is a
// *NotFoundError when the image does not exist (the report is returned
// too), or the context's error; every other failure is a finding in state
// unknown or a warning.
func (r *Run) Wait() (*Report, error) {
	<-r.done
	return r.report, r.err
}

// Check runs the checks and waits for them: Start(ctx, c, o).Wait().
func Check(ctx context.Context, c Clients, o Options) (*Report, error) {
	return Start(ctx, c, o).Wait()
}

// testResult is a TestIamPermissions answer.
type testResult struct {
	granted map[string]bool
	err     error
}

// headResult is the manifest HEAD answer.
type headResult struct {
	digest string
	status int // HTTP status of a registry error, 0 when none or not HTTP
	err    error
}

// agentResult is the service agent check.
type agentResult struct {
	skip    bool // same project: the agent reads images there through roles/run.serviceAgent
	member  string
	project string // the deploy project's ID, for placeholders
	state   State
	reason  string
}

func check(ctx context.Context, c Clients, o Options) (*Report, error) {
	img := o.Image
	rep := &Report{Image: img}
	switch img.Kind {
	case KindDockerHub:
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s is a Docker Hub image: Cloud Run pulls public Docker Hub images without an IAM check, so there is nothing to check", img.Name()))
		return rep, nil
	case KindOther:
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s is not in Artifact Registry: Cloud Run checks no IAM permission for %s, so there is nothing to check", img.Name(), img.Host))
		return rep, nil
	}
	scope := o.Scope
	if scope == "" {
		scope = ScopeRepository
	}
	repo := img.RepositoryName()

	var (
		test, projTest testResult
		head           headResult
		agent          agentResult
		g              errgroup.Group
	)
	g.Go(func() error {
		test = testPermissions(ctx, c.AR.TestIamPermissions, repo, PermDownload, PermRepoSetIAM, PermRepoGetIAM)
		return nil
	})
	if scope == ScopeProject {
		g.Go(func() error {
			projTest = testPermissions(ctx, c.Projects.TestIamPermissions, "projects/"+img.Project, PermProjectSetIAM, PermProjectGetIAM)
			return nil
		})
	}
	g.Go(func() error {
		head = headManifest(ctx, c, img)
		return nil
	})
	g.Go(func() error {
		agent = checkAgent(ctx, c, o)
		return nil
	})
	if o.Caller == "" && o.ResolveCaller != nil {
		g.Go(func() error {
			o.Caller = o.ResolveCaller(ctx)
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return rep, err
	}

	// May the caller grant at the chosen scope?
	mayGrant, grantWhy := false, ""
	switch {
	case scope == ScopeProject && projTest.err != nil:
		grantWhy = fmt.Sprintf("could not test your permissions on projects/%s: %s", img.Project, describe(projTest.err))
	case scope == ScopeProject:
		mayGrant = projTest.granted[PermProjectSetIAM] && projTest.granted[PermProjectGetIAM]
	case test.err != nil:
		grantWhy = fmt.Sprintf("could not test your permissions on %s: %s", repo, describe(test.err))
	default:
		mayGrant = test.granted[PermRepoSetIAM] && test.granted[PermRepoGetIAM]
	}
	if !mayGrant && grantWhy == "" {
		if scope == ScopeProject {
			grantWhy = fmt.Sprintf("you lack %s or %s on projects/%s", PermProjectSetIAM, PermProjectGetIAM, img.Project)
		} else {
			grantWhy = fmt.Sprintf("you lack %s or %s on %s", PermRepoSetIAM, PermRepoGetIAM, repo)
		}
	}
	rep.cannotGrant = grantWhy

	// The caller, by the decision matrix of gcp-apis.md §2.3.
	caller := Finding{Principal: o.Caller, Subject: SubjectCaller, Permission: PermDownload, Resource: repo}
	member, placeholder := o.Caller, ""
	if member == "" {
		member = CallerPlaceholder
		placeholder = "replace PRINCIPAL with the member of the active credentials: user:EMAIL for a user account, serviceAccount:EMAIL for a service account (gcloud auth list shows the account)"
	}
	caller.Remedy = remedy(img, scope, member, placeholder)
	caller.CanGrant = mayGrant && o.Caller != ""
	if head.err == nil {
		rep.Exists, rep.Digest = true, head.digest
	}
	if head.status == http.StatusNotFound {
		return rep, &NotFoundError{Image: img}
	}
	denied := head.status == http.StatusForbidden || head.status == http.StatusUnauthorized
	switch {
	case test.err == nil && test.granted[PermDownload]:
		caller.State = StateGranted
		if denied {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("the registry refused to read the image manifest (HTTP %d) although IAM reports that you hold %s: a recent grant may still be propagating, or a deny policy or VPC Service Controls perimeter may block the pull", head.status, PermDownload))
		} else if head.err != nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("could not check that the image exists: %v", head.err))
		}
	case test.err == nil:
		caller.State = StateMissing
		caller.Reason = fmt.Sprintf("IAM reports that you lack %s on %s (or the repository does not exist)", PermDownload, repo)
	case head.err == nil:
		caller.State = StateGranted
		caller.Reason = fmt.Sprintf("the registry served the manifest (testing IAM permissions failed: %s)", describe(test.err))
	case denied:
		caller.State = StateMissing
		caller.Reason = fmt.Sprintf("the registry refused to read the manifest (HTTP %d)", head.status)
	default:
		caller.State = StateUnknown
		caller.Reason = fmt.Sprintf("testing IAM permissions failed (%s) and reading the manifest failed (%v)", describe(test.err), head.err)
	}
	rep.Findings = append(rep.Findings, caller)

	// The Cloud Run service agent, for images in another project.
	if !agent.skip {
		f := Finding{Principal: agent.member, Subject: SubjectServiceAgent, Permission: PermDownload, Resource: repo, State: agent.state, Reason: agent.reason}
		member, placeholder := agent.member, ""
		if member == "" {
			member = AgentPlaceholder
			placeholder = fmt.Sprintf("replace PROJECT_NUMBER with the number of project %s (gcloud projects describe %s --format='value(projectNumber)')", agent.project, agent.project)
		}
		f.Remedy = remedy(img, scope, member, placeholder)
		f.CanGrant = mayGrant && agent.member != ""
		rep.Findings = append(rep.Findings, f)
	}
	return rep, nil
}

// testPermissions asks which of perms the caller holds on resource.
func testPermissions(ctx context.Context, call func(context.Context, *iampb.TestIamPermissionsRequest, ...gax.CallOption) (*iampb.TestIamPermissionsResponse, error), resource string, perms ...string) testResult {
	resp, err := call(ctx, &iampb.TestIamPermissionsRequest{Resource: resource, Permissions: perms})
	if err != nil {
		return testResult{err: fmt.Errorf("testing permissions on %s: %w", resource, err)}
	}
	granted := map[string]bool{}
	for _, p := range resp.GetPermissions() {
		granted[p] = true
	}
	return testResult{granted: granted}
}

// headManifest asks the registry for the image manifest as the caller.
func headManifest(ctx context.Context, c Clients, img Image) headResult {
	ref, err := img.reference()
	if err != nil {
		return headResult{err: err}
	}
	opts := []remote.Option{
		remote.WithContext(ctx),
		// Retry server errors briefly; the deploy does not wait for the registry.
		remote.WithRetryBackoff(remote.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 2}),
	}
	if c.Registry != nil {
		opts = append(opts, remote.WithTransport(c.Registry))
	}
	if c.TokenSource != nil {
		opts = append(opts, remote.WithAuth(accessTokenAuth{c.TokenSource}))
	}
	desc, err := remote.Head(ref, opts...)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) {
			return headResult{status: te.StatusCode, err: fmt.Errorf("reading the manifest of %s: %w", ref, err)}
		}
		return headResult{err: fmt.Errorf("reading the manifest of %s: %w", ref, err)}
	}
	return headResult{digest: desc.Digest.String()}
}

// checkAgent finds out whether the deploy project's Cloud Run service agent
// may read the image's repository, when the image is in another project.
// The allow policies are read while the project number is looked up (and
// while Policy Troubleshooter is asked), so a troubleshooter that cannot
// answer costs no extra round trip.
func checkAgent(ctx context.Context, c Clients, o Options) agentResult {
	img := o.Image
	if img.Project == o.DeployProject {
		return agentResult{skip: true}
	}
	pols := readPolicies(ctx, c, img)
	res := agentResult{project: o.DeployProject}
	p, err := c.Projects.GetProject(ctx, &resourcemanagerpb.GetProjectRequest{Name: "projects/" + o.DeployProject})
	if err != nil {
		res.state = StateUnknown
		res.reason = fmt.Sprintf("could not read project %s to find its service agent: %s", o.DeployProject, describe(err))
		return res
	}
	if p.GetProjectId() == img.Project {
		return agentResult{skip: true}
	}
	number, err := strconv.ParseInt(strings.TrimPrefix(p.GetName(), "projects/"), 10, 64)
	if err != nil || number <= 0 {
		res.state = StateUnknown
		res.reason = fmt.Sprintf("project %s has no project number in %q", o.DeployProject, p.GetName())
		return res
	}
	res.member = ServiceAgent(number)

	why := ""
	if c.Troubleshooter != nil {
		state, reason, err := troubleshoot(ctx, c.Troubleshooter, res.member, img)
		if err == nil && state != StateUnknown {
			res.state, res.reason = state, reason
			return res
		}
		switch {
		case isUnimplemented(err):
			// Not available here (an emulator, a universe without it):
			// the allow policies speak alone.
		case err != nil:
			why = "Policy Troubleshooter: " + describe(err) + "; "
		default:
			why = "Policy Troubleshooter: " + reason + "; "
		}
	}
	res.state, res.reason = (<-pols).evaluate(res.member)
	if res.state == StateUnknown {
		res.reason = why + res.reason
	}
	return res
}

// troubleshoot asks Policy Troubleshooter whether member may download from
// img's repository.
func troubleshoot(ctx context.Context, t *troubleshooter.PolicyTroubleshooterClient, member string, img Image) (State, string, error) {
	resp, err := t.TroubleshootIamPolicy(ctx, &ptpb.TroubleshootIamPolicyRequest{
		AccessTuple: &ptpb.AccessTuple{
			Principal:        member[strings.Index(member, ":")+1:],
			FullResourceName: img.FullResourceName(),
			Permission:       PermDownload,
		},
	})
	if err != nil {
		return StateUnknown, "", fmt.Errorf("troubleshooting access to %s: %w", img.RepositoryName(), err)
	}
	switch s := resp.GetOverallAccessState(); s {
	case ptpb.TroubleshootIamPolicyResponse_CAN_ACCESS:
		return StateGranted, "Policy Troubleshooter reports access", nil
	case ptpb.TroubleshootIamPolicyResponse_CANNOT_ACCESS:
		return StateMissing, "Policy Troubleshooter reports no access", nil
	default:
		return StateUnknown, "answered " + s.String(), nil
	}
}

// allowPolicy is one allow policy read (or the error reading it).
type allowPolicy struct {
	resource string
	policy   *iampb.Policy
	err      error
}

// allowPolicies are the repository's and the image project's allow policies.
type allowPolicies []allowPolicy

// readPolicies reads, concurrently, the allow policies of img's repository
// and project (version 3) and delivers them on the returned channel.
func readPolicies(ctx context.Context, c Clients, img Image) <-chan allowPolicies {
	out := make(chan allowPolicies, 1)
	pols := allowPolicies{{resource: img.RepositoryName()}, {resource: "projects/" + img.Project}}
	opts := &iampb.GetPolicyOptions{RequestedPolicyVersion: 3}
	go func() {
		var g errgroup.Group
		g.Go(func() error {
			pols[0].policy, pols[0].err = c.AR.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: pols[0].resource, Options: opts})
			return nil
		})
		g.Go(func() error {
			pols[1].policy, pols[1].err = c.Projects.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: pols[1].resource, Options: opts})
			return nil
		})
		_ = g.Wait()
		out <- pols
	}()
	return out
}

// evaluate decides member's access from the policies: granted by any
// unconditional binding of a download role; unknown when a policy could not
// be read or a binding cannot be resolved; else missing.
func (pols allowPolicies) evaluate(member string) (State, string) {
	var unknown []string
	for _, p := range pols {
		if p.err != nil {
			unknown = append(unknown, fmt.Sprintf("cannot read the IAM policy of %s (%s)", p.resource, describe(p.err)))
			continue
		}
		ev := evaluatePolicy(p.policy, p.resource, member)
		if ev.granted {
			return StateGranted, "granted by " + ev.via
		}
		unknown = append(unknown, ev.unknown...)
	}
	if len(unknown) > 0 {
		return StateUnknown, strings.Join(unknown, "; ")
	}
	return StateMissing, fmt.Sprintf("no binding on %s or %s grants it (folder and organization policies were not read)", pols[0].resource, pols[1].resource)
}

// describe shortens an API error for a finding: "PERMISSION_DENIED: message".
func describe(err error) string {
	var ae *apierror.APIError
	if errors.As(err, &ae) {
		code := ae.GRPCStatus().Code()
		msg := ae.GRPCStatus().Message()
		if ae.HTTPCode() > 0 && msg == "" {
			msg = http.StatusText(ae.HTTPCode())
		}
		return fmt.Sprintf("%s: %s", codeName(code), msg)
	}
	if s, ok := status.FromError(err); ok && s.Code() != codes.Unknown {
		return fmt.Sprintf("%s: %s", codeName(s.Code()), s.Message())
	}
	return err.Error()
}

// codeName is the canonical upper-case name of a status code, as Google
// APIs write it ("PERMISSION_DENIED").
func codeName(c codes.Code) string {
	var b strings.Builder
	for i, r := range c.String() {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// isUnimplemented reports an API that is not served here (gRPC
// UNIMPLEMENTED, HTTP 501).
func isUnimplemented(err error) bool {
	if err == nil {
		return false
	}
	var ae *apierror.APIError
	if errors.As(err, &ae) && ae.HTTPCode() == http.StatusNotImplemented {
		return true
	}
	return status.Code(err) == codes.Unimplemented
}

// accessTokenAuth presents the caller's Google access token as the registry
// bearer token. Artifact Registry (and gcr.io) accept it directly, which
// saves the Docker token exchange: ping, then the manifest request.
type accessTokenAuth struct{ ts oauth2.TokenSource }

// Authorization implements authn.Authenticator.
func (a accessTokenAuth) Authorization() (*authn.AuthConfig, error) {
	tok, err := a.ts.Token()
	if err != nil {
		return nil, fmt.Errorf("getting an access token for the registry: %w", err)
	}
	return &authn.AuthConfig{RegistryToken: tok.AccessToken}, nil
}
