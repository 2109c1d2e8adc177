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

// TestGrammarLinksNoGoogleClient keeps the command line readable without
// the Google client libraries: cli (grammar, help, hand-offs) must not
// import them, so that a light front door stays possible.
func TestGrammarLinksNoGoogleClient(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../../cli").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"cloud.google.com/", "google.golang.org/", "golang.org/x/oauth2",
			"github.com/google/go-containerregistry", "net/http", "github.com/rundeploy/rundeploy/deploy",
			"github.com/rundeploy/rundeploy/preflight", "github.com/rundeploy/rundeploy/internal/fakegcp"} {
			if strings.HasPrefix(pkg, banned) {
				t.Errorf("cli imports %s", pkg)
			}
		}
	}
}

// TestAloneDeploys: the one binary, copied alone into an empty directory,
// answers help, version and argument errors and deploys.
func TestAloneDeploys(t *testing.T) {
	b, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), filepath.Base(binary))
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, fakegcp.Options{})
	w.canReadImages()
	w.bin = p
	r := w.run("--help")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "Usage: rundeploy [SERVICE] [flags]")
	r = w.run("--version")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "rundeploy ")
	r = w.run("web", "--image", "x", "--bogus")
	wantCode(t, r, 2)
	wantContains(t, "stderr", r.stderr, "ERROR: (gcloud.run.deploy) unrecognized arguments: --bogus")
	r = w.run("web", "--image", "us-central1-docker.pkg.dev/my-proj/apps/web:v3")
	wantCode(t, r, 0)
	w.service("web")
}

// TestDeploysThroughLink: Homebrew links bin/rundeploy to the installed file.
func TestDeploysThroughLink(t *testing.T) {
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
}
