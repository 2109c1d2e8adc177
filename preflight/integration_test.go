package preflight

// Integration tests: the real client libraries (Artifact Registry v1,
// Resource Manager v3 and Policy Troubleshooter v3 REST clients,
// go-containerregistry) against the emulated control plane.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	artifactregistry "cloud.google.com/go/artifactregistry/apiv1"
	"cloud.google.com/go/iam/apiv1/iampb"
	troubleshooter "cloud.google.com/go/policytroubleshooter/iam/apiv3"
	resourcemanager "cloud.google.com/go/resourcemanager/apiv3"
	"golang.org/x/oauth2"
	"google.golang.org/api/option"
	"google.golang.org/genproto/googleapis/type/expr"
	"google.golang.org/protobuf/proto"

	"github.com/rundeploy/rundeploy/cli"
	"github.com/rundeploy/rundeploy/internal/fakegcp"
)

const (
	deployProject = "my-proj"
	deployNumber  = 123456789012
	imageProject  = "img-proj"
	imageNumber   = 987654321098
	ciToken       = "tok-ci"
	adminToken    = "tok-admin"
	deployAgent   = "serviceAccount:service-123456789012@serverless-robot-prod.iam.gserviceaccount.com"

	sameRepo  = "projects/my-proj/locations/us-central1/repositories/apps"
	sameImage = "us-central1-docker.pkg.dev/my-proj/apps/web:v3"
	crossRepo = "projects/img-proj/locations/us-central1/repositories/shared"
	crossImg  = "us-central1-docker.pkg.dev/img-proj/shared/team/web:v1"
	adminUser = "user:admin@example.com"
)

// overrideTransport is what the lead's registry transport does with
// RUNDEPLOY_REGISTRY_OVERRIDE: send every registry request to the fake,
// keeping the Host header the client addressed.
type overrideTransport struct{ target *url.URL }

func (o overrideTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Host = r.URL.Host
	r.URL.Scheme, r.URL.Host = o.target.Scheme, o.target.Host
	return http.DefaultTransport.RoundTrip(r)
}

// world is a fake control plane with two projects: my-proj (the deploy
// target, with repository apps) and img-proj (repository shared). The CI
// service account may deploy to my-proj; the admin owns both projects.
func world(t *testing.T, opts fakegcp.Options) *fakegcp.Server {
	t.Helper()
	s := fakegcp.New(opts)
	t.Cleanup(s.Close)
	s.AddProject(deployProject, deployNumber)
	s.AddProject(imageProject, imageNumber)
	s.AddToken(ciToken, ciMember)
	s.AddToken(adminToken, adminUser)
	s.Grant("projects/"+deployProject, "roles/run.developer", ciMember)
	s.Grant("projects/"+deployProject, "roles/owner", adminUser)
	s.Grant("projects/"+imageProject, "roles/owner", adminUser)
	s.AddRepository(sameRepo)
	s.AddRepository(crossRepo)
	s.PushImage(sameImage)
	s.PushImage(crossImg)
	return s
}

// clients builds the real REST clients, authenticated with token, against s.
func clients(t *testing.T, s *fakegcp.Server, token string, withTroubleshooter bool) Clients {
	t.Helper()
	ctx := context.Background()
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})
	opts := []option.ClientOption{option.WithEndpoint(s.URL), option.WithTokenSource(ts)}
	ar, err := artifactregistry.NewRESTClient(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	projects, err := resourcemanager.NewProjectsRESTClient(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ar.Close(); projects.Close() })
	target, _ := url.Parse(s.URL)
	c := Clients{AR: ar, Projects: projects, Registry: overrideTransport{target}, TokenSource: ts}
	if withTroubleshooter {
		pt, err := troubleshooter.NewPolicyTroubleshooterRESTClient(ctx, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pt.Close() })
		c.Troubleshooter = pt
	}
	return c
}

type findingWant struct {
	subject  string
	state    State
	canGrant bool
	reason   string // substring
}

func checkFindings(t *testing.T, r *Report, want []findingWant) {
	t.Helper()
	if len(r.Findings) != len(want) {
		var b bytes.Buffer
		r.Render(&b)
		t.Fatalf("%d findings, want %d:\n%s", len(r.Findings), len(want), b.String())
	}
	for i, w := range want {
		f := r.Findings[i]
		if f.Subject != w.subject || f.State != w.state || f.CanGrant != w.canGrant || !strings.Contains(f.Reason, w.reason) {
			t.Errorf("finding %d = {%s %s canGrant=%v %q}, want {%s %s canGrant=%v %q}", i, f.Subject, f.State, f.CanGrant, f.Reason, w.subject, w.state, w.canGrant, w.reason)
		}
	}
}

func noSleep(context.Context, time.Duration) error { return nil }

func TestCheckSameProject(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		setup  func(s *fakegcp.Server)
		scope  Scope
		caller string
		want   []findingWant
		exists bool
	}{
		{
			name:   "case A: caller missing, cannot grant",
			caller: ciMember,
			want:   []findingWant{{subject: SubjectCaller, state: StateMissing}},
		},
		{
			name:   "caller granted on the repository",
			setup:  func(s *fakegcp.Server) { s.Grant(sameRepo, ReaderRole, ciMember) },
			caller: ciMember,
			want:   []findingWant{{subject: SubjectCaller, state: StateGranted}},
			exists: true,
		},
		{
			name:   "caller granted through the project",
			setup:  func(s *fakegcp.Server) { s.Grant("projects/"+deployProject, "roles/viewer", ciMember) },
			caller: ciMember,
			want:   []findingWant{{subject: SubjectCaller, state: StateGranted}},
			exists: true,
		},
		{
			name: "case A: caller missing, may grant on the project",
			setup: func(s *fakegcp.Server) {
				s.Grant("projects/"+deployProject, "roles/resourcemanager.projectIamAdmin", ciMember)
			},
			scope:  ScopeProject,
			caller: ciMember,
			want:   []findingWant{{subject: SubjectCaller, state: StateMissing, canGrant: true}},
		},
		{
			name: "caller email unknown: never grantable",
			setup: func(s *fakegcp.Server) {
				s.Grant("projects/"+deployProject, "roles/resourcemanager.projectIamAdmin", ciMember)
			},
			scope:  ScopeProject,
			caller: "",
			want:   []findingWant{{subject: SubjectCaller, state: StateMissing}},
		},
		{
			name: "conditional reader binding does not count",
			setup: func(s *fakegcp.Server) {
				s.SetPolicy(sameRepo, &iampb.Policy{Version: 3, Bindings: []*iampb.Binding{{
					Role: ReaderRole, Members: []string{ciMember},
					Condition: &expr.Expr{Title: "until 2020", Expression: `request.time < timestamp("2020-01-01T00:00:00Z")`},
				}}})
			},
			caller: ciMember,
			want:   []findingWant{{subject: SubjectCaller, state: StateMissing}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := world(t, fakegcp.Options{})
			if tt.setup != nil {
				tt.setup(s)
			}
			r, err := Check(ctx, clients(t, s, ciToken, false), Options{Image: mustImage(t, sameImage), DeployProject: deployProject, Caller: tt.caller, Scope: tt.scope})
			if err != nil {
				t.Fatal(err)
			}
			checkFindings(t, r, tt.want)
			if r.Exists != tt.exists || (tt.exists && !strings.HasPrefix(r.Digest, "sha256:")) {
				t.Errorf("Exists = %v, Digest = %q; want exists %v", r.Exists, r.Digest, tt.exists)
			}
			// Same project: the service agent is not checked, so no
			// project lookup or policy read happened.
			for _, req := range s.Requests() {
				if strings.Contains(req.Path, "getIamPolicy") || req.Path == "/v3/projects/"+deployProject {
					t.Errorf("unexpected request %s %s", req.Method, req.Path)
				}
			}
		})
	}
}

func TestCheckCrossProject(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name           string
		setup          func(s *fakegcp.Server)
		troubleshooter bool
		want           []findingWant
	}{
		{
			name:  "case B: agent missing, caller can read and may not grant",
			setup: func(s *fakegcp.Server) { s.Grant("projects/"+imageProject, "roles/viewer", ciMember) },
			want: []findingWant{
				{subject: SubjectCaller, state: StateGranted},
				{subject: SubjectServiceAgent, state: StateMissing, reason: "no binding on " + crossRepo + " or projects/img-proj grants it"},
			},
		},
		{
			name: "case B: agent missing, caller may grant",
			setup: func(s *fakegcp.Server) {
				s.Grant(crossRepo, "roles/artifactregistry.admin", ciMember)
				s.Grant("projects/"+imageProject, "roles/iam.securityReviewer", ciMember)
			},
			want: []findingWant{
				{subject: SubjectCaller, state: StateGranted, canGrant: true},
				{subject: SubjectServiceAgent, state: StateMissing, canGrant: true},
			},
		},
		{
			name:  "case B: both missing",
			setup: func(s *fakegcp.Server) { s.Grant("projects/"+imageProject, "roles/iam.securityReviewer", ciMember) },
			want: []findingWant{
				{subject: SubjectCaller, state: StateMissing},
				{subject: SubjectServiceAgent, state: StateMissing},
			},
		},
		{
			name: "case B: neither missing",
			setup: func(s *fakegcp.Server) {
				s.Grant("projects/"+imageProject, "roles/viewer", ciMember)
				s.Grant(crossRepo, ReaderRole, deployAgent)
			},
			want: []findingWant{
				{subject: SubjectCaller, state: StateGranted},
				{subject: SubjectServiceAgent, state: StateGranted, reason: "granted by roles/artifactregistry.reader on " + crossRepo},
			},
		},
		{
			name: "agent granted through the image project",
			setup: func(s *fakegcp.Server) {
				s.Grant(crossRepo, ReaderRole, ciMember)
				s.Grant("projects/"+imageProject, "roles/iam.securityReviewer", ciMember)
				s.Grant("projects/"+imageProject, "roles/viewer", deployAgent)
			},
			want: []findingWant{
				{subject: SubjectCaller, state: StateGranted},
				{subject: SubjectServiceAgent, state: StateGranted, reason: "roles/viewer on projects/img-proj"},
			},
		},
		{
			name:  "agent unknown: the caller cannot read the policies",
			setup: func(s *fakegcp.Server) { s.Grant(crossRepo, ReaderRole, ciMember) },
			want: []findingWant{
				{subject: SubjectCaller, state: StateGranted},
				{subject: SubjectServiceAgent, state: StateUnknown, reason: "cannot read the IAM policy of " + crossRepo + " (PERMISSION_DENIED: Permission 'artifactregistry.repositories.getIamPolicy' denied"},
			},
		},
		{
			name:           "troubleshooter unavailable: falls back to the policies",
			troubleshooter: true,
			setup: func(s *fakegcp.Server) {
				s.Grant(crossRepo, ReaderRole, ciMember)
				s.Grant(crossRepo, ReaderRole, "group:deployers@example.com")
				s.Grant("projects/"+imageProject, "roles/iam.securityReviewer", ciMember)
			},
			want: []findingWant{
				{subject: SubjectCaller, state: StateGranted},
				{subject: SubjectServiceAgent, state: StateUnknown, reason: "whose membership cannot be checked"},
			},
		},
		{
			name: "agent has a conditional binding: unknown",
			setup: func(s *fakegcp.Server) {
				s.Grant("projects/"+imageProject, "roles/viewer", ciMember)
				s.SetPolicy(crossRepo, &iampb.Policy{Version: 3, Bindings: []*iampb.Binding{{
					Role: ReaderRole, Members: []string{deployAgent},
					Condition: &expr.Expr{Title: "prod only", Expression: `resource.name.endsWith("/prod")`},
				}}})
			},
			want: []findingWant{
				{subject: SubjectCaller, state: StateGranted},
				{subject: SubjectServiceAgent, state: StateUnknown, reason: `only under condition "prod only"`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := world(t, fakegcp.Options{})
			tt.setup(s)
			run := Start(ctx, clients(t, s, ciToken, tt.troubleshooter), Options{Image: mustImage(t, crossImg), DeployProject: deployProject, Caller: ciMember})
			r, err := run.Wait()
			if err != nil {
				t.Fatal(err)
			}
			checkFindings(t, r, tt.want)
			if r.Findings[1].Principal != deployAgent {
				t.Errorf("agent principal %q, want %q", r.Findings[1].Principal, deployAgent)
			}
		})
	}
}

// TestGrantAgentRepository is case B end to end: the preflight finds the
// agent missing, the caller may grant, Decide (with --grant-image-access)
// plans the grant, Grant makes it at repository scope, and the next check
// finds the agent granted. Every other binding is kept byte for byte.
func TestGrantAgentRepository(t *testing.T) {
	ctx := context.Background()
	s := world(t, fakegcp.Options{})
	s.Grant(crossRepo, "roles/artifactregistry.admin", ciMember)
	s.Grant("projects/"+imageProject, "roles/iam.securityReviewer", ciMember)
	cond := &expr.Expr{Title: "prod only", Expression: `resource.name.endsWith("/prod")`}
	before := s.Policy(crossRepo)
	before.Version = 3
	before.Bindings = append(before.Bindings,
		&iampb.Binding{Role: ReaderRole, Members: []string{"user:contractor@example.com"}, Condition: cond},
		&iampb.Binding{Role: "roles/artifactregistry.writer", Members: []string{"user:builder@example.com"}},
	)
	before.AuditConfigs = []*iampb.AuditConfig{{Service: "artifactregistry.googleapis.com", AuditLogConfigs: []*iampb.AuditLogConfig{{LogType: iampb.AuditLogConfig_DATA_READ}}}}
	s.SetPolicy(crossRepo, before)
	before = s.Policy(crossRepo)

	c := clients(t, s, ciToken, false)
	o := Options{Image: mustImage(t, crossImg), DeployProject: deployProject, Caller: ciMember}
	r, err := Check(ctx, c, o)
	if err != nil {
		t.Fatal(err)
	}
	checkFindings(t, r, []findingWant{
		{subject: SubjectCaller, state: StateGranted, canGrant: true},
		{subject: SubjectServiceAgent, state: StateMissing, canGrant: true},
	})
	plan, err := Decide(r, Consent{GrantImageAccess: cli.Bool{Set: true, Value: true}})
	if err != nil || len(plan.Grants) != 1 {
		t.Fatalf("Decide() = %+v, %v", plan, err)
	}
	g := plan.Grants[0]
	if g.Member != deployAgent || g.Resource != crossRepo || g.Scope != ScopeRepository || !g.CanGrant {
		t.Fatalf("grant %+v", g)
	}
	changed, err := plan.Apply(ctx, c, GrantOptions{Sleep: noSleep})
	if err != nil || len(changed) != 1 {
		t.Fatalf("Apply() = %v, %v", changed, err)
	}
	after := s.Policy(crossRepo)
	assertKept(t, before, after, deployAgent)

	// The preflight now finds the unconditional grant.
	r, err = Check(ctx, c, o)
	if err != nil {
		t.Fatal(err)
	}
	checkFindings(t, r, []findingWant{
		{subject: SubjectCaller, state: StateGranted, canGrant: true},
		{subject: SubjectServiceAgent, state: StateGranted, canGrant: true, reason: "granted by roles/artifactregistry.reader on " + crossRepo},
	})

	// Granting again changes nothing and writes nothing.
	s.ResetRequests()
	if ok, err := Grant(ctx, c, g, GrantOptions{Sleep: noSleep}); ok || err != nil {
		t.Errorf("second Grant() = %v, %v; want no change", ok, err)
	}
	for _, req := range s.Requests() {
		if strings.HasSuffix(req.Path, ":setIamPolicy") {
			t.Errorf("second Grant() wrote the policy: %s", req.Path)
		}
	}
}

// assertKept checks that after differs from before only by member added to
// the unconditional roles/artifactregistry.reader binding: every other
// binding (conditions included), the audit configs and the version are
// byte-identical.
func assertKept(t *testing.T, before, after *iampb.Policy, member string) {
	t.Helper()
	if after.Version != before.Version {
		t.Errorf("version %d, want %d", after.Version, before.Version)
	}
	if !holdsUnconditionally(after, ReaderRole, member) {
		t.Errorf("%s has no unconditional %s binding: %v", member, ReaderRole, after)
	}
	others := func(p *iampb.Policy) [][]byte {
		var out [][]byte
		for _, b := range p.Bindings {
			if b.Role == ReaderRole && b.Condition == nil {
				continue
			}
			bs, err := proto.MarshalOptions{Deterministic: true}.Marshal(b)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, bs)
		}
		return out
	}
	if ob, oa := others(before), others(after); !slices.EqualFunc(ob, oa, bytes.Equal) {
		t.Errorf("other bindings changed:\nbefore %v\nafter  %v", before.Bindings, after.Bindings)
	}
	if len(before.AuditConfigs) != len(after.AuditConfigs) {
		t.Fatalf("audit configs changed: %v -> %v", before.AuditConfigs, after.AuditConfigs)
	}
	for i := range before.AuditConfigs {
		if !proto.Equal(before.AuditConfigs[i], after.AuditConfigs[i]) {
			t.Errorf("audit config %d changed: %v -> %v", i, before.AuditConfigs[i], after.AuditConfigs[i])
		}
	}
	// The unconditional reader binding only gained member.
	var was, is []string
	for _, b := range before.Bindings {
		if b.Role == ReaderRole && b.Condition == nil {
			was = b.Members
		}
	}
	for _, b := range after.Bindings {
		if b.Role == ReaderRole && b.Condition == nil {
			is = b.Members
		}
	}
	if want := append(slices.Clone(was), member); !slices.Equal(is, want) {
		t.Errorf("reader members %v, want %v", is, want)
	}
}

// TestGrantConcurrentWriter: another writer changes the policy between our
// read and our write; setIamPolicy answers 409 ABORTED, Grant re-reads and
// retries, and both changes survive.
func TestGrantConcurrentWriter(t *testing.T) {
	for _, scope := range []Scope{ScopeRepository, ScopeProject} {
		t.Run(string(scope), func(t *testing.T) {
			ctx := context.Background()
			s := world(t, fakegcp.Options{})
			c := clients(t, s, adminToken, false)
			img := mustImage(t, crossImg)
			resource := crossRepo
			if scope == ScopeProject {
				resource = "projects/" + imageProject
			}
			s.SetPolicy(resource, &iampb.Policy{Version: 3, Bindings: append(s.Policy(resource).Bindings,
				&iampb.Binding{Role: ReaderRole, Members: []string{"user:old@example.com"}},
				&iampb.Binding{Role: ReaderRole, Members: []string{ciMember}, Condition: &expr.Expr{Title: "t", Expression: "true"}},
			)})
			before := s.Policy(resource)
			const other = "user:other-writer@example.com"
			s.RaceNextSetIamPolicy(resource, func(p *iampb.Policy) {
				p.Bindings = append(p.Bindings, &iampb.Binding{Role: "roles/artifactregistry.writer", Members: []string{other}})
			})
			var slept []time.Duration
			g := GrantRequest{Member: ciMember, Role: ReaderRole, Scope: scope, Resource: resource, image: img}
			changed, err := Grant(ctx, c, g, GrantOptions{
				Sleep:  func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil },
				Jitter: func() float64 { return 0.5 },
			})
			if err != nil || !changed {
				t.Fatalf("Grant() = %v, %v", changed, err)
			}
			if len(slept) != 1 || slept[0] != 500*time.Millisecond {
				t.Errorf("slept %v, want one 500ms backoff", slept)
			}
			after := s.Policy(resource)
			// The other writer's binding is there, and apart from it and
			// our member nothing changed.
			var found bool
			var rest []*iampb.Binding
			for _, b := range after.Bindings {
				if b.Role == "roles/artifactregistry.writer" && slices.Equal(b.Members, []string{other}) {
					found = true
					continue
				}
				rest = append(rest, b)
			}
			if !found {
				t.Errorf("the concurrent writer's binding was lost: %v", after.Bindings)
			}
			trimmed := proto.Clone(after).(*iampb.Policy)
			trimmed.Bindings = rest
			assertKept(t, before, trimmed, ciMember)
			var sets int
			for _, req := range s.Requests() {
				if strings.HasSuffix(req.Path, ":setIamPolicy") {
					sets++
				}
			}
			if sets != 2 {
				t.Errorf("%d setIamPolicy calls, want 2 (409, then success)", sets)
			}
		})
	}
}

func TestGrantGivesUp(t *testing.T) {
	ctx := context.Background()
	s := world(t, fakegcp.Options{})
	c := clients(t, s, adminToken, false)
	for range 3 {
		s.RaceNextSetIamPolicy(crossRepo, func(p *iampb.Policy) {
			p.Bindings = append(p.Bindings, &iampb.Binding{Role: "roles/artifactregistry.writer", Members: []string{"user:w@example.com"}})
		})
	}
	g := GrantRequest{Member: ciMember, Role: ReaderRole, Scope: ScopeRepository, Resource: crossRepo}
	_, err := Grant(ctx, c, g, GrantOptions{Attempts: 3, Sleep: noSleep})
	if err == nil || !isConcurrentChange(err) || !strings.Contains(err.Error(), "granting roles/artifactregistry.reader to "+ciMember+" on "+crossRepo) {
		t.Fatalf("Grant() = %v, want the 409 after 3 attempts", err)
	}
	// Other errors are not retried.
	s.ResetRequests()
	g.Member = "nobody"
	if _, err := Grant(ctx, c, g, GrantOptions{Sleep: noSleep}); err == nil || isConcurrentChange(err) {
		t.Fatalf("Grant(invalid member) = %v", err)
	}
	if n := len(s.Requests()); n != 2 {
		t.Errorf("%d requests for a non-retryable failure, want 2 (get, set)", n)
	}
}

// TestCallerGrantAndPropagation is case A with --grant-scope=project and a
// propagation delay: the caller may grant on the project, Decide asks (yes),
// the grant is made, and WaitForAccess polls until the fake enforces it.
func TestCallerGrantAndPropagation(t *testing.T) {
	ctx := context.Background()
	s := world(t, fakegcp.Options{PropagationDelay: time.Hour})
	s.Grant("projects/"+imageProject, "roles/resourcemanager.projectIamAdmin", ciMember)
	cond := &expr.Expr{Title: "weekdays", Expression: "request.time.getDayOfWeek() < 5"}
	p := s.Policy("projects/" + imageProject)
	p.Version = 3
	p.Bindings = append(p.Bindings, &iampb.Binding{Role: ReaderRole, Members: []string{ciMember}, Condition: cond})
	s.SetPolicy("projects/"+imageProject, p)
	before := s.Policy("projects/" + imageProject)

	c := clients(t, s, ciToken, false)
	img := mustImage(t, crossImg)
	o := Options{Image: img, DeployProject: imageProject, Caller: ciMember, Scope: ScopeProject}
	r, err := Check(ctx, c, o)
	if err != nil {
		t.Fatal(err)
	}
	checkFindings(t, r, []findingWant{{subject: SubjectCaller, state: StateMissing, canGrant: true}})
	if r.Exists {
		t.Error("Exists without read access")
	}
	var prompt bytes.Buffer
	plan, err := Decide(r, Consent{Interactive: true, In: strings.NewReader("y\n"), Out: &prompt})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Grant roles/artifactregistry.reader on project img-proj to " + ciMember + "? (y/N) "; prompt.String() != want {
		t.Errorf("prompt %q, want %q", prompt.String(), want)
	}
	if _, err := plan.Apply(ctx, c, GrantOptions{Sleep: noSleep}); err != nil {
		t.Fatal(err)
	}
	assertKept(t, before, s.Policy("projects/"+imageProject), ciMember)

	// Not enforced yet: the waiter polls, and the fake's clock is moved on
	// by the third sleep.
	clock := newFakeClock()
	clock.onWake = func(n int) {
		if n == 3 {
			s.PropagateNow()
		}
	}
	var updates []Progress
	w := &Waiter{Timeout: 5 * time.Minute, Interval: 10 * time.Second, Now: clock.Now, Sleep: clock.Sleep, Progress: func(p Progress) { updates = append(updates, p) }}
	if err := w.WaitForAccess(ctx, c, img); err != nil {
		t.Fatalf("WaitForAccess() = %v", err)
	}
	if len(clock.slept) != 3 || len(updates) != 4 || !updates[3].Done || updates[3].Attempt != 4 {
		t.Errorf("slept %v, updates %+v", clock.slept, updates)
	}
	if !strings.Contains(updates[0].Message, "read access to "+crossRepo) || updates[1].Elapsed != 10*time.Second || updates[1].Remaining != 4*time.Minute+50*time.Second {
		t.Errorf("updates %+v", updates)
	}
	r, err = Check(ctx, c, o)
	if err != nil {
		t.Fatal(err)
	}
	checkFindings(t, r, []findingWant{{subject: SubjectCaller, state: StateGranted, canGrant: true}})
	if !r.Exists {
		t.Error("image not found after the grant")
	}
}

func TestWaitForAccessTimesOut(t *testing.T) {
	s := world(t, fakegcp.Options{})
	c := clients(t, s, ciToken, false)
	clock := newFakeClock()
	w := &Waiter{Timeout: 30 * time.Second, Now: clock.Now, Sleep: clock.Sleep}
	err := w.WaitForAccess(context.Background(), c, mustImage(t, crossImg))
	var te *TimeoutError
	if !errors.As(err, &te) || te.Timeout != 30*time.Second || te.ExitCode() != 1 {
		t.Fatalf("WaitForAccess() = %v, want *TimeoutError", err)
	}
	if !strings.Contains(err.Error(), "IAM does not report "+PermDownload) {
		t.Errorf("error %q does not say what was missing", err)
	}
	if len(clock.slept) != 6 {
		t.Errorf("slept %v, want 6 × 5s", clock.slept)
	}
}

func TestCheckGCRImage(t *testing.T) {
	ctx := context.Background()
	s := world(t, fakegcp.Options{})
	const repo = "projects/img-proj/locations/us/repositories/gcr.io"
	s.AddRepository(repo)
	digest := s.PushImage("gcr.io/img-proj/web:v2")
	s.Grant(repo, ReaderRole, ciMember)
	s.Grant(repo, ReaderRole, deployAgent)
	s.Grant("projects/"+imageProject, "roles/iam.securityReviewer", ciMember)
	r, err := Check(ctx, clients(t, s, ciToken, false), Options{Image: mustImage(t, "gcr.io/img-proj/web:v2"), DeployProject: deployProject, Caller: ciMember})
	if err != nil {
		t.Fatal(err)
	}
	checkFindings(t, r, []findingWant{{subject: SubjectCaller, state: StateGranted}, {subject: SubjectServiceAgent, state: StateGranted}})
	if r.Digest != digest || r.Findings[0].Resource != repo {
		t.Errorf("digest %q resource %q, want %q %q", r.Digest, r.Findings[0].Resource, digest, repo)
	}
	var sawHost bool
	for _, req := range s.Requests() {
		if req.Host == "gcr.io" && strings.HasPrefix(req.Path, "/v2/img-proj/web/manifests/") {
			sawHost = true
		}
	}
	if !sawHost {
		t.Errorf("no manifest request to host gcr.io: %+v", s.Requests())
	}
}

func TestCheckNoIAMRegistries(t *testing.T) {
	for _, ref := range []string{"nginx", "docker.io/library/nginx:1.27", "ghcr.io/o/app:1"} {
		t.Run(ref, func(t *testing.T) {
			s := world(t, fakegcp.Options{})
			s.ResetRequests()
			r, err := Check(context.Background(), clients(t, s, ciToken, false), Options{Image: mustImage(t, ref), DeployProject: deployProject, Caller: ciMember})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Findings) != 0 || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "nothing to check") {
				t.Errorf("report %+v", r)
			}
			if n := len(s.Requests()); n != 0 {
				t.Errorf("%d requests for an image with no IAM check", n)
			}
			if plan, err := Decide(r, Consent{GrantImageAccess: cli.Bool{Set: true, Value: false}}); err != nil || len(plan.Grants) != 0 {
				t.Errorf("Decide() = %+v, %v", plan, err)
			}
		})
	}
}

func TestCheckImageNotFound(t *testing.T) {
	s := world(t, fakegcp.Options{})
	s.Grant(sameRepo, ReaderRole, ciMember)
	ref := "us-central1-docker.pkg.dev/my-proj/apps/web:nope"
	r, err := Check(context.Background(), clients(t, s, ciToken, false), Options{Image: mustImage(t, ref), DeployProject: deployProject, Caller: ciMember})
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.ExitCode() != 1 || err.Error() != "Image '"+ref+"' not found." {
		t.Fatalf("Check() error = %v, want *NotFoundError", err)
	}
	if r == nil || r.Exists {
		t.Errorf("report %+v", r)
	}
}

// TestCheckAPIErrors: when TestIamPermissions fails the registry decides,
// and when both fail the caller is unknown.
func TestCheckAPIErrors(t *testing.T) {
	tests := []struct {
		name   string
		grant  bool
		faults []fakegcp.Fault
		want   findingWant
		warn   string
	}{
		{name: "test errored, manifest read", grant: true, faults: []fakegcp.Fault{{Path: `:testIamPermissions$`, Status: 403}},
			want: findingWant{subject: SubjectCaller, state: StateGranted, reason: "the registry served the manifest (testing IAM permissions failed: PERMISSION_DENIED"}},
		{name: "test errored, manifest denied", faults: []fakegcp.Fault{{Path: `:testIamPermissions$`, Status: 503}},
			want: findingWant{subject: SubjectCaller, state: StateMissing, reason: "the registry refused to read the manifest (HTTP 403)"}},
		{name: "both errored", grant: true, faults: []fakegcp.Fault{{Path: `:testIamPermissions$`, Status: 503}, {Path: `^/v2/my-proj/`, Status: 400}},
			want: findingWant{subject: SubjectCaller, state: StateUnknown, reason: "testing IAM permissions failed (UNAVAILABLE"}},
		{name: "test granted, registry denies", grant: true, faults: []fakegcp.Fault{{Path: `^/v2/my-proj/`, Status: 403}},
			want: findingWant{subject: SubjectCaller, state: StateGranted},
			warn: "the registry refused to read the image manifest (HTTP 403) although IAM reports that you hold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := world(t, fakegcp.Options{})
			if tt.grant {
				s.Grant(sameRepo, ReaderRole, ciMember)
			}
			for _, f := range tt.faults {
				s.InjectFault(f)
			}
			r, err := Check(context.Background(), clients(t, s, ciToken, false), Options{Image: mustImage(t, sameImage), DeployProject: deployProject, Caller: ciMember})
			if err != nil {
				t.Fatal(err)
			}
			checkFindings(t, r, []findingWant{tt.want})
			if tt.warn != "" && (len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], tt.warn)) {
				t.Errorf("warnings %q, want %q", r.Warnings, tt.warn)
			}
		})
	}
}

// TestCheckTroubleshooter: when Policy Troubleshooter answers, its verdict
// is the agent's state; UNKNOWN_INFO falls back to reading the policies.
// (The fake does not emulate the troubleshooter, so a small handler does.)
func TestCheckTroubleshooter(t *testing.T) {
	tests := []struct {
		state string
		want  findingWant
	}{
		{"CAN_ACCESS", findingWant{subject: SubjectServiceAgent, state: StateGranted, reason: "Policy Troubleshooter reports access"}},
		{"CANNOT_ACCESS", findingWant{subject: SubjectServiceAgent, state: StateMissing, reason: "Policy Troubleshooter reports no access"}},
		{"UNKNOWN_INFO", findingWant{subject: SubjectServiceAgent, state: StateUnknown, reason: "Policy Troubleshooter: answered UNKNOWN_INFO; cannot read the IAM policy of " + crossRepo}},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			s := world(t, fakegcp.Options{})
			s.Grant(crossRepo, ReaderRole, ciMember)
			var body []byte
			pt := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != "/v3/iam:troubleshoot" {
					http.Error(w, "unexpected "+r.URL.Path, http.StatusNotFound)
					return
				}
				body, _ = io.ReadAll(r.Body)
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"overallAccessState": %q}`, tt.state)
			}))
			defer pt.Close()
			c := clients(t, s, ciToken, false)
			ptc, err := troubleshooter.NewPolicyTroubleshooterRESTClient(context.Background(), option.WithEndpoint(pt.URL), option.WithoutAuthentication())
			if err != nil {
				t.Fatal(err)
			}
			defer ptc.Close()
			c.Troubleshooter = ptc
			r, err := Check(context.Background(), c, Options{Image: mustImage(t, crossImg), DeployProject: deployProject, Caller: ciMember})
			if err != nil {
				t.Fatal(err)
			}
			checkFindings(t, r, []findingWant{{subject: SubjectCaller, state: StateGranted}, tt.want})
			for _, s := range []string{
				`"principal":"service-123456789012@serverless-robot-prod.iam.gserviceaccount.com"`,
				`"fullResourceName":"//artifactregistry.googleapis.com/` + crossRepo + `"`,
				`"permission":"` + PermDownload + `"`,
			} {
				if !strings.Contains(strings.ReplaceAll(string(body), " ", ""), s) {
					t.Errorf("troubleshoot request %s lacks %s", body, s)
				}
			}
		})
	}
}
