package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rundeploy/rundeploy/internal/fakegcp"
)

// TestFrontLinksNoGoogleClient keeps rundeploy's front door small: help,
// argument errors and alias pass-through must not pay for initialising the
// Google client libraries (protobuf registrations, gRPC, OAuth), nor for
// net/http. Those belong to rundeploy-engine.
func TestFrontLinksNoGoogleClient(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"cloud.google.com/", "google.golang.org/", "golang.org/x/oauth2",
			"github.com/google/go-containerregistry", "net/http", "github.com/rundeploy/rundeploy/deploy",
			"github.com/rundeploy/rundeploy/preflight", "github.com/rundeploy/rundeploy/internal/fakegcp"} {
			if strings.HasPrefix(pkg, banned) {
				t.Errorf("rundeploy (the front door) imports %s", pkg)
			}
		}
	}
}

// alone copies the front binary into a directory of its own, with no
// rundeploy-engine beside it.
func alone(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), filepath.Base(binary))
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFrontAnswersWithoutEngine: help, version, argument errors and
// commands for gcloud are the front door's alone; only a deploy needs the
// engine, and without one it says how to install it and calls nothing.
func TestFrontAnswersWithoutEngine(t *testing.T) {
	w := newWorld(t, fakegcp.Options{})
	w.bin = alone(t)
	run := w.run

	r := run("--help")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "Usage: rundeploy [SERVICE] [flags]")
	r = run("--version")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "rundeploy ")
	r = run("web", "--image", "x", "--bogus")
	wantCode(t, r, 2)
	wantContains(t, "stderr", r.stderr, "ERROR: (gcloud.run.deploy) unrecognized arguments: --bogus")
	r = run("web", "--image", "x", "--grant-scope=org")
	wantCode(t, r, 2)

	r = run("web", "--image", "us-central1-docker.pkg.dev/my-proj/apps/web:v3")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "rundeploy-engine, which rundeploy runs to deploy, is not installed",
		"go install github.com/rundeploy/rundeploy/cmd/...@latest", "RUNDEPLOY_ENGINE")
	if n := len(w.s.Requests()); n != 0 {
		t.Errorf("without an engine rundeploy made %d requests", n)
	}
}

// TestFrontFindsEngineThroughLink: Homebrew links bin/rundeploy to the
// installed file; the engine is found beside the link's target.
func TestFrontFindsEngineThroughLink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links")
	}
	w := newWorld(t, fakegcp.Options{})
	w.canReadImages()
	link := filepath.Join(t.TempDir(), "rundeploy")
	if err := os.Symlink(binary, link); err != nil {
		t.Fatal(err)
	}
	w.bin = link
	r := w.run("web", "--image", "us-central1-docker.pkg.dev/my-proj/apps/web:v3")
	wantCode(t, r, 0)
	w.service("web")

	// RUNDEPLOY_ENGINE wins over the engine beside the binary.
	r = w.runEnv([]string{"RUNDEPLOY_ENGINE=" + filepath.Join(t.TempDir(), "missing-engine")},
		"web", "--image", "us-central1-docker.pkg.dev/my-proj/apps/web:v3")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "missing-engine")
}
