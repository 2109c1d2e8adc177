package main

// End-to-end tests of the image access preflight (issue 3): the built
// binary against internal/fakegcp, in the two situations the preflight
// exists for.
//
//	A: the service and the image are in my-proj; the CI service account
//	   may deploy (run.developer, iam.serviceAccountUser) but not read the
//	   image.
//	B: the service is in run-proj, the image in images-proj; the caller
//	   and/or run-proj's Cloud Run service agent may lack read access.
//
// The report rundeploy prints on stderr is compared with golden files in
// testdata/e2e (digests and generated revision names normalised);
// regenerate them with
//
//	go test ./cmd/rundeploy -run 'TestE2EPreflight|TestE2EDryRun|TestE2ENoPreflight' -update-e2e-golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/iam/apiv1/iampb"
	"google.golang.org/genproto/googleapis/type/expr"
	"google.golang.org/protobuf/proto"

	"github.com/rundeploy/rundeploy/internal/fakegcp"
)

var updateE2EGolden = flag.Bool("update-e2e-golden", false, "rewrite testdata/e2e/*.golden from the binary's output")

const (
	imageA = "us-central1-docker.pkg.dev/my-proj/apps/web:v3"
	repoA  = "projects/my-proj/locations/us-central1/repositories/apps"
	// remedyA is the grant that lets the CI account read imageA.
	remedyA = "gcloud artifacts repositories add-iam-policy-binding apps --project=my-proj --location=us-central1 --member=serviceAccount:ci@my-proj.iam.gserviceaccount.com --role=roles/artifactregistry.reader"
	// remedyAProject is remedyA at project scope.
	remedyAProject = "gcloud projects add-iam-policy-binding my-proj --member=serviceAccount:ci@my-proj.iam.gserviceaccount.com --role=roles/artifactregistry.reader --condition=None"

	runProj      = "run-proj"
	runNumber    = 345678901234
	imagesProj   = "images-proj"
	imagesNumber = 456789012345
	repoB        = "projects/images-proj/locations/us-central1/repositories/apps"
	imageB       = "us-central1-docker.pkg.dev/images-proj/apps/web:v1"
	agentB       = "serviceAccount:service-345678901234@serverless-robot-prod.iam.gserviceaccount.com"
	remedyBAgent = "gcloud artifacts repositories add-iam-policy-binding apps --project=images-proj --location=us-central1 --member=" + agentB + " --role=roles/artifactregistry.reader"
	remedyBCI    = "gcloud artifacts repositories add-iam-policy-binding apps --project=images-proj --location=us-central1 --member=" + ciMember + " --role=roles/artifactregistry.reader"

	readerRole = "roles/artifactregistry.reader"
	// securityAdmin may change every IAM policy and read none of the data:
	// the real-world role that can grant on a repository without reading it.
	securityAdmin = "roles/iam.securityAdmin"
)

// newCrossWorld is newWorld plus case B: run-proj, where the CI account may
// deploy, and images-proj with the repository apps holding web:v1. Nobody
// but images-proj's owners may read it yet.
func newCrossWorld(t *testing.T, opts fakegcp.Options) *world {
	t.Helper()
	w := newWorld(t, opts)
	w.s.AddProject(runProj, runNumber)
	w.s.Grant("projects/"+runProj, "roles/run.developer", ciMember)
	w.s.Grant("projects/"+runProj, "roles/iam.serviceAccountUser", ciMember)
	w.s.AddProject(imagesProj, imagesNumber)
	w.s.AddRepository(repoB)
	w.s.PushImage(imageB)
	return w
}

// canGrantOnRepository lets the CI account change the IAM policy of
// my-proj's repositories without being able to read them.
func (w *world) canGrantOnRepository() {
	w.t.Helper()
	if !fakegcp.KnownRole(securityAdmin) {
		w.t.Skipf("internal/fakegcp does not know %s, the role that sets a repository's IAM policy without reading images", securityAdmin)
	}
	w.s.Grant("projects/my-proj", securityAdmin, ciMember)
}

// canGrantOnProject lets the CI account change my-proj's IAM policy.
func (w *world) canGrantOnProject() {
	w.s.Grant("projects/my-proj", "roles/resourcemanager.projectIamAdmin", ciMember)
}

// canReviewImagesProj lets the CI account read images-proj's IAM policies
// (not its images), so the service agent's access can be established.
func (w *world) canReviewImagesProj() {
	w.s.Grant("projects/"+imagesProj, "roles/iam.securityReviewer", ciMember)
}

// seedPolicy adds to resource's policy what a grant must leave alone: a
// conditional reader binding, another role and an audit config. It returns
// the policy as stored.
func (w *world) seedPolicy(resource string) *iampb.Policy {
	p := w.s.Policy(resource)
	p.Version = 3
	p.Bindings = append(p.Bindings,
		&iampb.Binding{Role: readerRole, Members: []string{"user:contractor@example.com"},
			Condition: &expr.Expr{Title: "until 2030", Expression: `request.time < timestamp("2030-01-01T00:00:00Z")`}},
		&iampb.Binding{Role: "roles/artifactregistry.writer", Members: []string{"user:builder@example.com"}},
	)
	p.AuditConfigs = []*iampb.AuditConfig{{Service: "artifactregistry.googleapis.com",
		AuditLogConfigs: []*iampb.AuditLogConfig{{LogType: iampb.AuditLogConfig_DATA_READ, ExemptedMembers: []string{"user:builder@example.com"}}}}}
	w.s.SetPolicy(resource, p)
	return w.s.Policy(resource)
}

// wantOneReaderBindingAdded checks that after is before plus exactly one
// unconditional roles/artifactregistry.reader binding holding only member:
// every other binding, the audit configs and the version byte-identical.
func wantOneReaderBindingAdded(t *testing.T, before, after *iampb.Policy, member string) {
	t.Helper()
	marshal := func(m proto.Message) string {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var kept []string
	added := 0
	for _, b := range after.GetBindings() {
		if b.GetRole() == readerRole && b.GetCondition() == nil {
			added++
			if !slices.Equal(b.GetMembers(), []string{member}) {
				t.Errorf("reader binding members %v, want [%s]", b.GetMembers(), member)
			}
			continue
		}
		kept = append(kept, marshal(b))
	}
	if added != 1 {
		t.Errorf("%d unconditional reader bindings, want 1:\n%v", added, after)
	}
	var was []string
	for _, b := range before.GetBindings() {
		if b.GetRole() == readerRole && b.GetCondition() == nil {
			t.Fatalf("the seed policy already has an unconditional reader binding: %v", before)
		}
		was = append(was, marshal(b))
	}
	if !slices.Equal(was, kept) {
		t.Errorf("other bindings changed:\nbefore %v\nafter  %v", before.GetBindings(), after.GetBindings())
	}
	if len(before.GetAuditConfigs()) != len(after.GetAuditConfigs()) {
		t.Fatalf("audit configs changed:\nbefore %v\nafter  %v", before.GetAuditConfigs(), after.GetAuditConfigs())
	}
	for i := range before.GetAuditConfigs() {
		if marshal(before.GetAuditConfigs()[i]) != marshal(after.GetAuditConfigs()[i]) {
			t.Errorf("audit config %d changed: %v -> %v", i, before.GetAuditConfigs()[i], after.GetAuditConfigs()[i])
		}
	}
	if before.GetVersion() != after.GetVersion() {
		t.Errorf("policy version %d, want %d", after.GetVersion(), before.GetVersion())
	}
}

// requestsMatching returns the recorded requests for which keep is true.
func (w *world) requestsMatching(keep func(fakegcp.Request) bool) []fakegcp.Request {
	var out []fakegcp.Request
	for _, r := range w.s.Requests() {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

func isSetIamPolicy(r fakegcp.Request) bool { return strings.HasSuffix(r.Path, ":setIamPolicy") }

// isServiceWrite is a Cloud Run create or update of a service.
func isServiceWrite(r fakegcp.Request) bool {
	return strings.Contains(r.Path, "/services") && !strings.Contains(r.Path, ":") &&
		(r.Method == "POST" || r.Method == "PATCH")
}

// isImageAccess is a request of the preflight: Artifact Registry, Resource
// Manager, token info or a container registry.
func isImageAccess(r fakegcp.Request) bool {
	host, _, _ := strings.Cut(r.Host, ":")
	registry := strings.HasSuffix(host, "docker.pkg.dev") || strings.HasSuffix(host, "gcr.io") ||
		strings.HasSuffix(host, "docker.io") ||
		strings.HasPrefix(r.Path, "/v2/") && !strings.HasPrefix(r.Path, "/v2/projects")
	return registry || strings.Contains(r.Path, "/repositories") || strings.HasPrefix(r.Path, "/v3/projects") ||
		strings.HasPrefix(r.Path, "/v3/iam") || strings.Contains(r.Path, "tokeninfo")
}

// isWrite is a request that changes state: an IAM policy, a service, an
// operation.
func isWrite(r fakegcp.Request) bool {
	return isSetIamPolicy(r) || isServiceWrite(r) || r.Method == "PATCH" || r.Method == "DELETE"
}

// wantNoWrites checks that nothing was written: no policy, no service.
func (w *world) wantNoWrites() {
	w.t.Helper()
	for _, r := range w.requestsMatching(isWrite) {
		w.t.Errorf("unexpected write %s %s?%s", r.Method, r.Path, r.Query)
	}
}

// wantSetIamPolicies checks how many setIamPolicy requests were made.
func (w *world) wantSetIamPolicies(n int) {
	w.t.Helper()
	if got := w.requestsMatching(isSetIamPolicy); len(got) != n {
		w.t.Errorf("%d setIamPolicy requests, want %d: %v", len(got), n, got)
	}
}

var (
	digestRE   = regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	revisionRE = regexp.MustCompile(`\b([a-z][-a-z0-9]*-\d{5})-[a-z0-9]{3}\b`)
	leftRE     = regexp.MustCompile(`\(\d+s left\)`)
)

// normalise replaces what changes from run to run: digests and the
// generated suffix of revision names.
func normalise(s string) string {
	s = digestRE.ReplaceAllString(s, "sha256:DIGEST")
	s = revisionRE.ReplaceAllString(s, "$1-xxx")
	return leftRE.ReplaceAllString(s, "(Ns left)")
}

// wantGolden compares got (normalised) with testdata/e2e/name.golden.
func wantGolden(t *testing.T, name, got string) {
	t.Helper()
	got = normalise(got)
	path := filepath.Join("testdata", "e2e", name+".golden")
	if *updateE2EGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-e2e-golden to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestE2EPreflightStops: the preflight finds missing access and stops
// before anything is written, printing the remedy. Each case is one
// command line against a fresh fake.
func TestE2EPreflightStops(t *testing.T) {
	t.Parallel()
	type tc struct {
		name  string
		setup func(w *world)
		cross bool
		args  []string
		// want are stderr substrings beside the golden file.
		want []string
	}
	cases := []tc{
		{
			name: "A-cannot-grant",
			args: []string{"web", "--image", imageA},
			want: []string{
				"  ✗ serviceAccount:ci@my-proj.iam.gserviceaccount.com (you) cannot read " + repoA + "\n",
				"ERROR: (gcloud.run.deploy) Image access is missing and rundeploy cannot grant it",
				"Ask an administrator of the image's project to run:\n  " + remedyA + "\n",
			},
		},
		{
			name: "A-cannot-grant-grant-flag",
			args: []string{"web", "--image", imageA, "--grant-image-access"},
			want: []string{"Ask an administrator of the image's project to run:\n  " + remedyA + "\n"},
		},
		{
			name:  "A-no-grant-flag",
			setup: (*world).canGrantOnProject,
			args:  []string{"web", "--image", imageA, "--grant-scope=project"},
			want: []string{
				"ERROR: (gcloud.run.deploy) Image access is missing, so nothing was deployed.\n",
				"To grant it, rerun with --grant-image-access, or run:\n  " + remedyAProject + "\n",
			},
		},
		{
			name:  "A-no-grant-image-access",
			setup: (*world).canGrantOnProject,
			args:  []string{"web", "--image", imageA, "--grant-scope=project", "--no-grant-image-access"},
			want: []string{
				"ERROR: (gcloud.run.deploy) Image access is missing and --no-grant-image-access was given, so nothing was deployed.\n",
				"To fix it, run:\n  " + remedyAProject + "\n",
			},
		},
		{
			name:  "B-caller-missing",
			cross: true,
			setup: func(w *world) {
				w.canReviewImagesProj()
				w.s.Grant(repoB, readerRole, agentB)
			},
			args: []string{"web", "--image", imageB, "--project", runProj},
			want: []string{
				"  ✗ " + ciMember + " (you) cannot read " + repoB + "\n",
				"  ✓ Cloud Run service agent " + agentB + " can read it\n",
				"  " + remedyBCI + "\n",
			},
		},
		{
			name:  "B-agent-missing",
			cross: true,
			setup: func(w *world) {
				w.canReviewImagesProj()
				w.s.Grant(repoB, readerRole, ciMember)
			},
			args: []string{"web", "--image", imageB, "--project", runProj, "--grant-image-access"},
			want: []string{
				"  ✓ " + ciMember + " (you) can read " + repoB + "\n",
				"  ✗ Cloud Run service agent " + agentB + " cannot read it\n",
				"rundeploy cannot grant it (you lack artifactregistry.repositories.setIamPolicy",
				"Ask an administrator of the image's project to run:\n  " + remedyBAgent + "\n",
			},
		},
		{
			name:  "B-both-missing",
			cross: true,
			setup: (*world).canReviewImagesProj,
			args:  []string{"web", "--image", imageB, "--project", runProj},
			want: []string{
				"  ✗ " + ciMember + " (you) cannot read " + repoB + "\n",
				"  ✗ Cloud Run service agent " + agentB + " cannot read it\n",
				"\n  " + remedyBCI + "\n  " + remedyBAgent + "\n",
			},
		},
		{
			name:  "B-caller-may-grant",
			cross: true,
			setup: func(w *world) {
				w.canReviewImagesProj()
				w.s.Grant(repoB, "roles/artifactregistry.admin", ciMember)
			},
			args: []string{"web", "--image", imageB, "--project", runProj},
			want: []string{
				"  ✗ Cloud Run service agent " + agentB + " cannot read it\n",
				"To grant it, rerun with --grant-image-access, or run:\n  " + remedyBAgent + "\n",
			},
		},
		{
			name:  "B-gcr",
			cross: true,
			setup: func(w *world) {
				w.s.AddRepository("projects/images-proj/locations/us/repositories/gcr.io")
				w.s.PushImage("gcr.io/images-proj/web:v1")
				w.s.Grant("projects/images-proj/locations/us/repositories/gcr.io", readerRole, ciMember)
				w.canReviewImagesProj()
			},
			args: []string{"web", "--image", "gcr.io/images-proj/web:v1", "--project", runProj},
			want: []string{
				"  ✓ image exists (sha256:",
				"  ✗ Cloud Run service agent " + agentB + " cannot read it\n",
				"  gcloud artifacts repositories add-iam-policy-binding gcr.io --project=images-proj --location=us --member=" + agentB + " --role=roles/artifactregistry.reader\n",
			},
		},
		{
			name:  "B-image-not-found",
			cross: true,
			setup: func(w *world) { w.s.Grant(repoB, readerRole, ciMember) },
			args:  []string{"web", "--image", "us-central1-docker.pkg.dev/images-proj/apps/web:nope", "--project", runProj, "--grant-image-access"},
			want:  []string{"ERROR: (gcloud.run.deploy) Image 'us-central1-docker.pkg.dev/images-proj/apps/web:nope' not found.\n"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var w *world
			if c.cross {
				w = newCrossWorld(t, fakegcp.Options{})
			} else {
				w = newWorld(t, fakegcp.Options{})
			}
			if c.setup != nil {
				c.setup(w)
			}
			r := w.run(c.args...)
			wantCode(t, r, 1)
			wantContains(t, "stderr", r.stderr, c.want...)
			if strings.Contains(r.stderr, "Deploying") {
				t.Errorf("the deploy started:\n%s", r.stderr)
			}
			w.wantNoWrites()
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			wantGolden(t, "stop-"+c.name, r.stderr)
		})
	}
}

// TestE2EPreflightNothingMissing: when everyone may read the image, or
// Cloud Run checks no IAM permission for it, the preflight writes nothing
// and the deploy goes ahead.
func TestE2EPreflightNothingMissing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		cross bool
		setup func(w *world)
		args  []string
		want  []string
		// noImageAccess: no Artifact Registry or registry request at all.
		noImageAccess bool
	}{
		{
			name:  "A-reader",
			setup: (*world).canReadImages,
			args:  []string{"web", "--image", imageA},
			want:  []string{"  ✓ " + ciMember + " (you) can read " + repoA + "\n"},
		},
		{
			name:  "B-neither-missing",
			cross: true,
			setup: func(w *world) {
				w.canReviewImagesProj()
				w.s.Grant(repoB, readerRole, ciMember)
				w.s.Grant("projects/"+imagesProj, readerRole, agentB)
			},
			args: []string{"web", "--image", imageB, "--project", runProj, "--grant-image-access"},
			want: []string{
				"  ✓ " + ciMember + " (you) can read " + repoB + "\n",
				"  ✓ Cloud Run service agent " + agentB + " can read it\n",
			},
		},
		{
			name:          "docker-hub",
			args:          []string{"web", "--image", "nginx:1.27"},
			want:          []string{"  - docker.io/library/nginx is a Docker Hub image: Cloud Run pulls public Docker Hub images without an IAM check, so there is nothing to check\n"},
			noImageAccess: true,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var w *world
			if c.cross {
				w = newCrossWorld(t, fakegcp.Options{})
			} else {
				w = newWorld(t, fakegcp.Options{})
			}
			if c.setup != nil {
				c.setup(w)
			}
			args := c.args
			r := w.run(args...)
			wantCode(t, r, 0)
			wantContains(t, "stderr", r.stderr, c.want...)
			wantContains(t, "stderr", r.stderr, "has been deployed and is serving 100 percent of traffic.\n")
			w.wantSetIamPolicies(0)
			if c.noImageAccess {
				for _, req := range w.requestsMatching(isImageAccess) {
					if !strings.Contains(req.Path, "tokeninfo") {
						t.Errorf("image access request for an image Cloud Run does not check: %s %s%s", req.Method, req.Host, req.Path)
					}
				}
			}
			wantGolden(t, "ok-"+c.name, r.stderr)
		})
	}
}

// TestE2EPreflightGrantCaller: case A with --grant-image-access: exactly
// one reader binding is added for the caller, every other part of the
// policy is kept byte for byte, and the deploy succeeds.
func TestE2EPreflightGrantCaller(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		setup    func(w *world)
		resource string
		args     []string
		granted  string
		// delay is the fake's propagation delay: rundeploy waits for the
		// grant to show (bounded by --propagation-timeout) before deploying.
		delay time.Duration
	}{
		{
			name:     "repository",
			setup:    (*world).canGrantOnRepository,
			resource: repoA,
			granted:  "Granted roles/artifactregistry.reader on repository apps (my-proj, us-central1) to " + ciMember + ".\n",
		},
		{
			name:     "project",
			setup:    (*world).canGrantOnProject,
			resource: "projects/my-proj",
			args:     []string{"--grant-scope=project"},
			granted:  "Granted roles/artifactregistry.reader on project my-proj to " + ciMember + ".\n",
		},
		{
			name:     "project-propagation",
			setup:    (*world).canGrantOnProject,
			resource: "projects/my-proj",
			args:     []string{"--grant-scope=project", "--propagation-timeout=2s"},
			granted:  "Granted roles/artifactregistry.reader on project my-proj to " + ciMember + ".\n",
			delay:    300 * time.Millisecond,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, fakegcp.Options{PropagationDelay: c.delay})
			c.setup(w)
			before := w.seedPolicy(c.resource)
			r := w.run(append([]string{"web", "--image", imageA, "--grant-image-access"}, c.args...)...)
			wantCode(t, r, 0)
			wantContains(t, "stderr", r.stderr,
				"  ✗ "+ciMember+" (you) cannot read "+repoA+"\n",
				c.granted,
				"Deploying new service...\n",
				"Service [web] revision [web-00001-")
			if strings.Index(r.stderr, c.granted) > strings.Index(r.stderr, "Deploying container") {
				t.Errorf("granted after the deploy started:\n%s", r.stderr)
			}
			wantOneReaderBindingAdded(t, before, w.s.Policy(c.resource), ciMember)
			w.wantSetIamPolicies(1)
			if img := w.service("web").GetTemplate().GetContainers()[0].GetImage(); img != imageA {
				t.Errorf("deployed image %q", img)
			}
			if c.delay > 0 {
				// Timing decides how many waits are shown: no golden file.
				wantContains(t, "stderr", r.stderr, "Waiting for read access to "+repoA+" to take effect (")
				return
			}
			wantGolden(t, "grant-caller-"+c.name, r.stderr)
		})
	}
}

// TestE2EPreflightGrantServiceAgent: case B, the service agent cannot read
// the image in images-proj; the caller administers the repository and may
// read images-proj's policies. With --grant-image-access the agent gets the
// reader binding on the repository and the deploy succeeds, retrying while
// the grant propagates (the fake enforces it after 300ms; the propagation
// timeout bounds the pause between deploy attempts).
func TestE2EPreflightGrantServiceAgent(t *testing.T) {
	t.Parallel()
	w := newCrossWorld(t, fakegcp.Options{PropagationDelay: 300 * time.Millisecond})
	w.canReviewImagesProj()
	w.s.Grant(repoB, "roles/artifactregistry.admin", ciMember)
	before := w.seedPolicy(repoB)
	r := w.run("web", "--image", imageB, "--project", runProj, "--grant-image-access", "--propagation-timeout=2s")
	wantCode(t, r, 0)
	wantContains(t, "stderr", r.stderr,
		"  ✓ "+ciMember+" (you) can read "+repoB+"\n",
		"  ✗ Cloud Run service agent "+agentB+" cannot read it\n",
		"Granted roles/artifactregistry.reader on repository apps (images-proj, us-central1) to "+agentB+".\n",
		"Waiting for Cloud Run to see the new image access",
		"Service [web] revision [web-0000",
		"] has been deployed and is serving 100 percent of traffic.\n")
	wantOneReaderBindingAdded(t, before, w.s.Policy(repoB), agentB)
	w.wantSetIamPolicies(1)
	// The first attempt was refused while the grant propagated; the retry
	// went through.
	if n := len(w.requestsMatching(isServiceWrite)); n < 2 {
		t.Errorf("%d create/update requests, want a refused one and a retry", n)
	}
	svc := w.s.Service("projects/run-proj/locations/us-central1/services/web")
	if svc == nil || svc.GetTemplate().GetContainers()[0].GetImage() != imageB {
		t.Fatalf("service not deployed with %s: %v", imageB, svc)
	}
	if rev := svc.GetLatestReadyRevision(); !strings.HasPrefix(rev[strings.LastIndex(rev, "/")+1:], "web-0000") {
		t.Errorf("no ready revision: %q", rev)
	}
}

// TestE2EPreflightConcurrentPolicyWriter: another writer changes the
// repository's policy between rundeploy's read and write; the grant is
// retried from a fresh read and both changes survive.
func TestE2EPreflightConcurrentPolicyWriter(t *testing.T) {
	t.Parallel()
	w := newCrossWorld(t, fakegcp.Options{})
	w.canReviewImagesProj()
	w.s.Grant(repoB, "roles/artifactregistry.admin", ciMember)
	before := w.seedPolicy(repoB)
	const other = "user:other-writer@example.com"
	w.s.RaceNextSetIamPolicy(repoB, func(p *iampb.Policy) {
		p.Bindings = append(p.Bindings, &iampb.Binding{Role: "roles/artifactregistry.repoAdmin", Members: []string{other}})
	})
	r := w.run("web", "--image", imageB, "--project", runProj, "--grant-image-access")
	wantCode(t, r, 0)
	wantContains(t, "stderr", r.stderr, "Granted roles/artifactregistry.reader on repository apps (images-proj, us-central1) to "+agentB+".\n")
	after := w.s.Policy(repoB)
	var rest []*iampb.Binding
	found := false
	for _, b := range after.GetBindings() {
		if b.GetRole() == "roles/artifactregistry.repoAdmin" && slices.Equal(b.GetMembers(), []string{other}) {
			found = true
			continue
		}
		rest = append(rest, b)
	}
	if !found {
		t.Errorf("the concurrent writer's binding was lost: %v", after.GetBindings())
	}
	trimmed := proto.Clone(after).(*iampb.Policy)
	trimmed.Bindings = rest
	wantOneReaderBindingAdded(t, before, trimmed, agentB)
	w.wantSetIamPolicies(2) // refused (409), then written
}

// TestE2EPreflightConditionalBinding: the service agent holds the reader
// role only under a condition the preflight cannot evaluate. It says so and
// does not grant or stop; Cloud Run's own verdict decides (the fake grants
// nothing through conditions, so the revision fails as it would).
func TestE2EPreflightConditionalBinding(t *testing.T) {
	t.Parallel()
	w := newCrossWorld(t, fakegcp.Options{})
	w.canReviewImagesProj()
	w.s.Grant(repoB, "roles/artifactregistry.admin", ciMember)
	p := w.s.Policy(repoB)
	p.Version = 3
	p.Bindings = append(p.Bindings, &iampb.Binding{Role: readerRole, Members: []string{agentB},
		Condition: &expr.Expr{Title: "weekdays", Expression: "request.time.getDayOfWeek() < 5"}})
	w.s.SetPolicy(repoB, p)
	r := w.run("web", "--image", imageB, "--project", runProj, "--grant-image-access")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr,
		"  ? Cloud Run service agent "+agentB+" might not be able to read it (unknown: ",
		`roles/artifactregistry.reader on `+repoB+` is granted to `+agentB+` only under condition "weekdays"`,
		"Deploying new service...\n",
		"ERROR: (gcloud.run.deploy) Revision 'web-00001-",
		"Google Cloud Run Service Agent service-345678901234@serverless-robot-prod.iam.gserviceaccount.com must have permission to read the image")
	w.wantSetIamPolicies(0)
}

// TestE2EDryRun: --dry-run runs the preflight, validates the service with
// Cloud Run (validate_only) and changes nothing: no policy write, no
// service. Its exit status says whether the deploy would go through.
func TestE2EDryRun(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		cross bool
		setup func(w *world)
		args  []string
		code  int
		want  []string
	}{
		{
			name: "A-missing",
			args: []string{"web", "--image", imageA, "--dry-run"},
			code: 1,
			want: []string{
				"Would grant roles/artifactregistry.reader on repository apps (my-proj, us-central1) to " + ciMember + "\n",
				"an administrator can run: " + remedyA + ")\n",
				"ERROR: (gcloud.run.deploy) Dry run: the deploy would not go through",
			},
		},
		{
			name:  "A-reader",
			setup: (*world).canReadImages,
			args:  []string{"web", "--image", imageA, "--dry-run", "--set-env-vars", "A=1"},
			code:  0,
			want: []string{
				"Would create service [web] in project [my-proj] region [us-central1] with:\n",
				`  + template.containers[0].env[0].name: "A"` + "\n",
				"Dry run: nothing was changed; the deploy would go through.\n",
			},
		},
		{
			name:  "B-grant",
			cross: true,
			setup: func(w *world) {
				w.canReviewImagesProj()
				w.s.Grant(repoB, "roles/artifactregistry.admin", ciMember)
			},
			args: []string{"web", "--image", imageB, "--project", runProj, "--dry-run", "--grant-image-access"},
			code: 0,
			want: []string{
				"Would grant roles/artifactregistry.reader on repository apps (images-proj, us-central1) to " + agentB + "\n",
				"Dry run: nothing was changed; the deploy would go through.\n",
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var w *world
			if c.cross {
				w = newCrossWorld(t, fakegcp.Options{})
			} else {
				w = newWorld(t, fakegcp.Options{})
			}
			if c.setup != nil {
				c.setup(w)
			}
			r := w.run(c.args...)
			wantCode(t, r, c.code)
			wantContains(t, "stderr", r.stderr, c.want...)
			wantDryRunWroteNothing(t, w)
			wantGolden(t, "dry-run-"+c.name, r.stderr)
		})
	}
}

// wantDryRunWroteNothing: no setIamPolicy, and the one create/update was
// Cloud Run's validate_only check, so no service exists.
func wantDryRunWroteNothing(t *testing.T, w *world) {
	t.Helper()
	w.wantSetIamPolicies(0)
	validations := 0
	for _, r := range w.requestsMatching(isWrite) {
		if isServiceWrite(r) && strings.Contains(r.Query, "validateOnly=true") {
			validations++
			continue
		}
		t.Errorf("dry run wrote: %s %s?%s", r.Method, r.Path, r.Query)
	}
	if validations != 1 {
		t.Errorf("%d validate_only requests, want 1", validations)
	}
	for _, p := range []string{"my-proj", runProj} {
		if svc := w.s.Service("projects/" + p + "/locations/us-central1/services/web"); svc != nil {
			t.Errorf("dry run created service %s", svc.GetName())
		}
	}
}

// TestE2EDryRunJSON: --dry-run --format=json prints the findings as JSON
// on stdout, and the human report stays off stderr.
func TestE2EDryRunJSON(t *testing.T) {
	t.Parallel()
	w := newCrossWorld(t, fakegcp.Options{})
	w.canReviewImagesProj()
	r := w.run("web", "--image", imageB, "--project", runProj, "--dry-run", "--format=json")
	wantCode(t, r, 1)
	wantDryRunWroteNothing(t, w)
	var findings []map[string]any
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.UseNumber()
	if err := dec.Decode(&findings); err != nil {
		t.Fatalf("stdout is not a JSON list of findings: %v\n%s", err, r.stdout)
	}
	if dec.More() {
		t.Errorf("more than one JSON value on stdout:\n%s", r.stdout)
	}
	want := []struct{ principal, subject, remedy string }{
		{ciMember, "you", remedyBCI},
		{agentB, "Cloud Run service agent", remedyBAgent},
	}
	if len(findings) != len(want) {
		t.Fatalf("%d findings, want %d:\n%s", len(findings), len(want), r.stdout)
	}
	for i, f := range findings {
		for _, k := range []string{"principal", "subject", "permission", "resource", "state", "remedy"} {
			if _, ok := f[k]; !ok {
				t.Errorf("finding %d has no %q: %v", i, k, f)
			}
		}
		if f["principal"] != want[i].principal || f["subject"] != want[i].subject ||
			f["permission"] != "artifactregistry.repositories.downloadArtifacts" ||
			f["resource"] != repoB || f["state"] != "missing" {
			t.Errorf("finding %d = %v", i, f)
		}
		remedy, _ := f["remedy"].(map[string]any)
		if remedy["command"] != want[i].remedy || remedy["role"] != readerRole || remedy["scope"] != "repository" {
			t.Errorf("finding %d remedy = %v, want command %q", i, f["remedy"], want[i].remedy)
		}
	}
	if strings.Contains(r.stderr, "Checking image access") {
		t.Errorf("the human report was printed with --format=json:\n%s", r.stderr)
	}
	if !bytes.HasSuffix([]byte(r.stdout), []byte("\n")) {
		t.Errorf("stdout does not end with a newline: %q", r.stdout)
	}
}

// TestE2ENoPreflight: --no-preflight deploys like gcloud: no Artifact
// Registry or registry request, and in case A Cloud Run's own refusal.
func TestE2ENoPreflight(t *testing.T) {
	t.Parallel()
	w := newWorld(t, fakegcp.Options{})
	r := w.run("web", "--image", imageA, "--no-preflight")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr,
		"ERROR: (gcloud.run.deploy) PERMISSION_DENIED: User must have permission to read the image, "+imageA+". ")
	if strings.Contains(r.stderr, "Checking image access") {
		t.Errorf("--no-preflight printed a report:\n%s", r.stderr)
	}
	for _, req := range w.requestsMatching(isImageAccess) {
		t.Errorf("--no-preflight made an image access request: %s %s%s", req.Method, req.Host, req.Path)
	}
	w.wantSetIamPolicies(0)
	if svc := w.s.Service("projects/my-proj/locations/us-central1/services/web"); svc != nil {
		t.Errorf("service created: %v", svc.GetName())
	}
	wantGolden(t, "no-preflight-A", r.stderr)
}

// TestE2EDemoWorld: the story scripts/demo tells, on the emulator's demo
// world: the cross-project image stops the deploy (no terminal) with the
// remedy for the service agent; --grant-image-access grants and deploys.
func TestE2EDemoWorld(t *testing.T) {
	t.Parallel()
	s := fakegcp.New(fakegcp.Options{})
	t.Cleanup(s.Close)
	s.SeedDemo()
	dir := t.TempDir()
	w := &world{t: t, s: s, dir: dir, env: append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"CLOUDSDK_CONFIG=" + filepath.Join(dir, "gcloud"),
		"CLOUDSDK_CORE_PROJECT=" + fakegcp.DemoProject,
		"CLOUDSDK_RUN_REGION=" + fakegcp.DemoRegion,
		"RUNDEPLOY_GCLOUD=" + filepath.Join(dir, "no-gcloud"),
	}, s.EnvWithToken(fakegcp.DemoToken)...)}
	const image = "us-central1-docker.pkg.dev/images-proj/apps/web:v1"
	agent := "serviceAccount:service-100000000001@serverless-robot-prod.iam.gserviceaccount.com"

	r := w.run("cross", "--image", image)
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr,
		"  ✓ "+fakegcp.DemoDeployer+" (you) can read projects/images-proj/locations/us-central1/repositories/apps\n",
		"  ✗ Cloud Run service agent "+agent+" cannot read it\n",
		"To grant it, rerun with --grant-image-access, or run:\n  gcloud artifacts repositories add-iam-policy-binding apps --project=images-proj --location=us-central1 --member="+agent+" --role=roles/artifactregistry.reader\n")
	w.wantNoWrites()

	r = w.run("cross", "--image", image, "--grant-image-access", "--allow-unauthenticated")
	wantCode(t, r, 0)
	wantContains(t, "stderr", r.stderr,
		"Granted roles/artifactregistry.reader on repository apps (images-proj, us-central1) to "+agent+".\n",
		"Setting IAM Policy...done\n",
		"Service [cross] revision [cross-00001-")
}
