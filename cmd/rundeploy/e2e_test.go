package main

// End-to-end tests: build the rundeploy binary once, run it as a user would
// against internal/fakegcp, and check its exit status, its output and the
// requests it made.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/run/apiv2/runpb"

	"github.com/rundeploy/rundeploy/internal/fakegcp"
)

// binary is the rundeploy executable built by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rundeploy-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "rundeploy")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	build := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building rundeploy:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	ciMember = "serviceAccount:ci@my-proj.iam.gserviceaccount.com"
	ciToken  = "ya29.ci-token"
)

// world is a fake control plane with the usual project set up: my-proj
// (number 123456789012), a repository apps with web:v3, and a CI service
// account that can deploy and read images.
type world struct {
	t   *testing.T
	s   *fakegcp.Server
	dir string // HOME and CLOUDSDK_CONFIG live here
	env []string
	bin string // the rundeploy to run; "" means binary
}

func newWorld(t *testing.T, opts fakegcp.Options) *world {
	t.Helper()
	s := fakegcp.New(opts)
	t.Cleanup(s.Close)
	s.AddProject("my-proj", 123456789012)
	s.AddToken(ciToken, ciMember)
	s.Grant("projects/my-proj", "roles/run.developer", ciMember)
	s.Grant("projects/my-proj", "roles/iam.serviceAccountUser", ciMember)
	s.AddRepository("projects/my-proj/locations/us-central1/repositories/apps")
	s.PushImage("us-central1-docker.pkg.dev/my-proj/apps/web:v3")
	s.PushImage("us-central1-docker.pkg.dev/my-proj/apps/web:v4")
	dir := t.TempDir()
	w := &world{t: t, s: s, dir: dir}
	w.env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"CLOUDSDK_CONFIG=" + filepath.Join(dir, "gcloud"),
		"CLOUDSDK_CORE_PROJECT=my-proj",
		"CLOUDSDK_RUN_REGION=us-central1",
		// Credentials never reach for a real gcloud in these tests.
		"RUNDEPLOY_GCLOUD=" + filepath.Join(dir, "no-gcloud"),
	}, s.EnvWithToken(ciToken)...)
	return w
}

// canReadImages gives the CI account reader on the project.
func (w *world) canReadImages() {
	w.s.Grant("projects/my-proj", "roles/artifactregistry.reader", ciMember)
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs rundeploy with args and no terminal.
func (w *world) run(args ...string) result {
	w.t.Helper()
	return w.runEnv(nil, args...)
}

func (w *world) runEnv(extra []string, args ...string) result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bin := binary
	if w.bin != "" {
		bin = w.bin
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(append([]string{}, w.env...), extra...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatalf("running rundeploy: %v", err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// writes counts the requests that change state.
func (w *world) writes() []fakegcp.Request {
	var out []fakegcp.Request
	for _, r := range w.s.Requests() {
		if r.Method == "PATCH" || (r.Method == "POST" && !strings.HasSuffix(r.Path, ":wait") &&
			!strings.HasSuffix(r.Path, ":testIamPermissions") && !strings.HasSuffix(r.Path, ":getIamPolicy") &&
			!strings.HasSuffix(r.Path, "/token")) {
			out = append(out, r)
		}
	}
	return out
}

func (w *world) service(name string) *runpb.Service {
	w.t.Helper()
	svc := w.s.Service("projects/my-proj/locations/us-central1/services/" + name)
	if svc == nil {
		w.t.Fatalf("service %s does not exist", name)
	}
	return svc
}

func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

func wantContains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("%s does not contain %q:\n%s", what, want, got)
		}
	}
}

func envValue(c *runpb.Container, name string) (string, bool) {
	for _, e := range c.GetEnv() {
		if e.GetName() == name {
			return e.GetValue(), true
		}
	}
	return "", false
}

func TestE2ECreate(t *testing.T) {
	w := newWorld(t, fakegcp.Options{})
	w.canReadImages()
	// Setting the invoker policy needs run.services.setIamPolicy.
	w.s.Grant("projects/my-proj", "roles/run.admin", ciMember)
	r := w.run("web", "--image", "us-central1-docker.pkg.dev/my-proj/apps/web:v3",
		"--set-env-vars", "A=1,B=2", "--memory", "512Mi", "--allow-unauthenticated")
	wantCode(t, r, 0)
	if r.stdout != "" {
		t.Errorf("stdout should be empty without --format, got %q", r.stdout)
	}
	wantContains(t, "stderr", r.stderr,
		"Deploying container to Cloud Run service [web] in project [my-proj] region [us-central1]\n",
		"Deploying new service...\n",
		"Setting IAM Policy...",
		"Creating Revision...",
		"Routing traffic...",
		"Done.\n",
		"Service [web] revision [web-00001-",
		"] has been deployed and is serving 100 percent of traffic.\n",
		"Service URL: https://web-")
	svc := w.service("web")
	c := svc.GetTemplate().GetContainers()[0]
	if c.GetImage() != "us-central1-docker.pkg.dev/my-proj/apps/web:v3" {
		t.Errorf("image = %q", c.GetImage())
	}
	if v, _ := envValue(c, "B"); v != "2" {
		t.Errorf("env B = %q, want 2", v)
	}
	if got := c.GetResources().GetLimits()["memory"]; got != "512Mi" {
		t.Errorf("memory = %q", got)
	}
	if !c.GetResources().GetStartupCpuBoost() {
		t.Error("a new service gets startup CPU boost, as with gcloud")
	}
	if svc.GetClient() != "rundeploy" {
		t.Errorf("client = %q, want rundeploy", svc.GetClient())
	}
	p := w.s.Policy("projects/my-proj/locations/us-central1/services/web")
	found := false
	for _, b := range p.GetBindings() {
		if b.GetRole() == "roles/run.invoker" {
			for _, m := range b.GetMembers() {
				found = found || m == "allUsers"
			}
		}
	}
	if !found {
		t.Errorf("--allow-unauthenticated did not add allUsers to roles/run.invoker: %v", p)
	}
}

func TestE2EUpdateKeepsUnrelatedSettings(t *testing.T) {
	w := newWorld(t, fakegcp.Options{})
	w.canReadImages()
	wantCode(t, w.run("web", "--image", "us-central1-docker.pkg.dev/my-proj/apps/web:v3",
		"--set-env-vars", "A=1,B=2", "--memory", "512Mi", "--labels", "team=x", "--concurrency", "7"), 0)
	r := w.run("web", "--image", "us-central1-docker.pkg.dev/my-proj/apps/web:v4", "--update-env-vars", "B=3,C=4")
	wantCode(t, r, 0)
	wantContains(t, "stderr", r.stderr, "Deploying...\n", "Service [web] revision [web-00002-")
	svc := w.service("web")
	c := svc.GetTemplate().GetContainers()[0]
	for k, want := range map[string]string{"A": "1", "B": "3", "C": "4"} {
		if v, _ := envValue(c, k); v != want {
			t.Errorf("env %s = %q, want %q", k, v, want)
		}
	}
	if c.GetImage() != "us-central1-docker.pkg.dev/my-proj/apps/web:v4" {
		t.Errorf("image = %q", c.GetImage())
	}
	if got := c.GetResources().GetLimits()["memory"]; got != "512Mi" {
		t.Errorf("memory = %q, want it kept", got)
	}
	if svc.GetLabels()["team"] != "x" {
		t.Errorf("labels = %v, want team=x kept", svc.GetLabels())
	}
	if svc.GetTemplate().GetMaxInstanceRequestConcurrency() != 7 {
		t.Errorf("concurrency = %d, want 7 kept", svc.GetTemplate().GetMaxInstanceRequestConcurrency())
	}
}

func TestE2EAsync(t *testing.T) {
	w := newWorld(t, fakegcp.Options{OperationDelay: time.Hour})
	w.canReadImages()
	r := w.run("web", "--image", "us-central1-docker.pkg.dev/my-proj/apps/web:v3", "--async")
	wantCode(t, r, 0)
	wantContains(t, "stderr", r.stderr, "Service [web] is deploying asynchronously.\n")
	for _, req := range w.s.Requests() {
		if strings.Contains(req.Path, "/operations/") {
			t.Errorf("--async must not wait on the operation: %s %s", req.Method, req.Path)
		}
	}
}

func TestE2ENoTrafficAndTag(t *testing.T) {
	w := newWorld(t, fakegcp.Options{})
	w.canReadImages()
	r := w.run("web", "--image", "us-central1-docker.pkg.dev/my-proj/apps/web:v3", "--no-traffic")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "ERROR: (gcloud.run.deploy) --no-traffic not supported when creating a new service.\n")
	if n := len(w.writes()); n != 0 {
		t.Errorf("--no-traffic on create made %d writes", n)
	}

	wantCode(t, w.run("web", "--image", "us-central1-docker.pkg.dev/my-proj/apps/web:v3"), 0)
	r = w.run("web", "--image", "us-central1-docker.pkg.dev/my-proj/apps/web:v4", "--no-traffic", "--tag", "blue")
	wantCode(t, r, 0)
	wantContains(t, "stderr", r.stderr,
		"has been deployed and is serving 0 percent of traffic.\n",
		"The revision can be reached directly at https://blue---web-")
	if strings.Contains(r.stderr, "Service URL:") {
		t.Errorf("no Service URL line at 0%%:\n%s", r.stderr)
	}
	svc := w.service("web")
	var latest, tagged bool
	for _, tt := range svc.GetTraffic() {
		if tt.GetType() == runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST {
			latest = true
		}
		if tt.GetTag() == "blue" && strings.HasPrefix(tt.GetRevision(), "web-00002-") {
			tagged = true
		}
	}
	if latest || !tagged {
		t.Errorf("traffic = %v: want LATEST pinned to the old revision and blue on the new one", svc.GetTraffic())
	}
}

func TestE2EFailedRevision(t *testing.T) {
	w := newWorld(t, fakegcp.Options{})
	w.canReadImages()
	w.s.FailImage("us-central1-docker.pkg.dev/my-proj/apps/web:v3", "")
	r := w.run("web", "--image", "us-central1-docker.pkg.dev/my-proj/apps/web:v3")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "Creating Revision", "failed\n", "Deployment failed\n",
		"ERROR: (gcloud.run.deploy) Revision 'web-00001-")
}

func TestE2EBadFlagMakesNoRequest(t *testing.T) {
	w := newWorld(t, fakegcp.Options{})
	for _, args := range [][]string{
		{"web", "--image", "x", "--bogus"},
		{"web", "--image", "x", "--args=-v,-v"},
		{"web", "--image", "x", "--set-env-vars", "A=1", "--clear-env-vars"},
	} {
		r := w.run(args...)
		wantCode(t, r, 2)
		wantContains(t, "stderr", r.stderr, "ERROR: (gcloud.run.deploy) ")
	}
	r := w.run("Bad_Name", "--image", "x")
	wantCode(t, r, 1)
	if n := len(w.s.Requests()); n != 0 {
		t.Errorf("bad command lines made %d requests", n)
	}
}

func TestE2EAliasPassesOtherCommandsToGcloud(t *testing.T) {
	w := newWorld(t, fakegcp.Options{})
	dir := t.TempDir()
	record := filepath.Join(dir, "argv")
	stand := filepath.Join(dir, "gcloud")
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + record + "\nexit 7\n"
	if err := os.WriteFile(stand, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := w.runEnv([]string{"RUNDEPLOY_GCLOUD=" + stand}, "gcloud", "compute", "instances", "list", "--format=json")
	wantCode(t, r, 7)
	got, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "compute\ninstances\nlist\n--format=json\n" {
		t.Errorf("stand-in gcloud got argv %q", got)
	}
	if n := len(w.s.Requests()); n != 0 {
		t.Errorf("a passed-through command made %d requests to the fake", n)
	}

	// `run deploy` is handled by rundeploy itself.
	w.canReadImages()
	r = w.runEnv([]string{"RUNDEPLOY_GCLOUD=" + stand}, "gcloud", "run", "deploy", "web",
		"--image", "us-central1-docker.pkg.dev/my-proj/apps/web:v3")
	wantCode(t, r, 0)
	w.service("web")
}

func TestE2EAllowUnauthenticatedWithoutPermissionWarns(t *testing.T) {
	w := newWorld(t, fakegcp.Options{})
	w.canReadImages()
	r := w.run("web", "--image", "us-central1-docker.pkg.dev/my-proj/apps/web:v3", "--allow-unauthenticated")
	wantCode(t, r, 0)
	wantContains(t, "stderr", r.stderr,
		"Setting IAM Policy...failed\n",
		`WARNING: Setting IAM policy failed, try "gcloud beta run services add-iam-policy-binding --region=us-central1 --member=allUsers --role=roles/run.invoker web"`)
}

// argparse reads "--flag=value with spaces" as a flag when --flag is
// known; only unknown arguments with spaces are positionals.
func TestE2EValuesWithSpaces(t *testing.T) {
	w := newWorld(t, fakegcp.Options{})
	w.canReadImages()
	r := w.run("web", "--image", "us-central1-docker.pkg.dev/my-proj/apps/web:v3",
		"--description=my svc", "--set-env-vars= A =x y")
	wantCode(t, r, 0)
	svc := w.service("web")
	if svc.GetDescription() != "my svc" {
		t.Errorf("description = %q", svc.GetDescription())
	}
	if v, ok := envValue(svc.GetTemplate().GetContainers()[0], "A"); !ok || v != "x y" {
		t.Errorf("env A = %q (set %v), want %q", v, ok, "x y")
	}
}

// Cloud Run for Anthos is not rundeploy's: the command goes to gcloud.
func TestE2EOtherPlatformsGoToGcloud(t *testing.T) {
	w := newWorld(t, fakegcp.Options{})
	dir := t.TempDir()
	record := filepath.Join(dir, "argv")
	stand := filepath.Join(dir, "gcloud")
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + record + "\nexit 0\n"
	if err := os.WriteFile(stand, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := w.runEnv([]string{"RUNDEPLOY_GCLOUD=" + stand}, "web", "--image", "x", "--platform", "gke", "--no-preflight")
	wantCode(t, r, 0)
	got, _ := os.ReadFile(record)
	if string(got) != "run\ndeploy\nweb\n--image\nx\n--platform\ngke\n" {
		t.Errorf("gcloud got argv %q", got)
	}
	if n := len(w.s.Requests()); n != 0 {
		t.Errorf("%d requests to the fake", n)
	}
}
