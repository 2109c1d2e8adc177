package cli

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/rundeploy/rundeploy/wrap"
)

func TestReadInvocation(t *testing.T) {
	tests := []struct {
		argv []string
		want Invocation
	}{
		{[]string{"rundeploy", "web", "--image=x"}, Invocation{Kind: KindDeploy, Args: []string{"web", "--image=x"},
			Gcloud: []string{"run", "deploy", "web", "--image=x"}, Argv: []string{"web", "--image=x"}}},
		{[]string{"/usr/bin/rundeploy"}, Invocation{Kind: KindDeploy, Args: []string{}, Gcloud: []string{"run", "deploy"}, Argv: []string{}}},
		{[]string{"rundeploy", "--version"}, Invocation{Kind: KindVersion, Argv: []string{"--version"}}},
		{[]string{"rundeploy", "version"}, Invocation{Kind: KindVersion, Argv: []string{"version"}}},
		// A service named "version" with flags is a deploy.
		{[]string{"rundeploy", "version", "--image=x"}, Invocation{Kind: KindDeploy, Args: []string{"version", "--image=x"},
			Gcloud: []string{"run", "deploy", "version", "--image=x"}, Argv: []string{"version", "--image=x"}}},
		{[]string{"rundeploy", "emulator", "--addr", ":0"}, Invocation{Kind: KindEmulator, Args: []string{"--addr", ":0"},
			Argv: []string{"emulator", "--addr", ":0"}}},
		{[]string{"rundeploy", "gcloud", "--project", "p", "run", "deploy", "web"}, Invocation{Kind: KindDeploy,
			Args: []string{"--project", "p", "web"}, Gcloud: []string{"--project", "p", "run", "deploy", "web"},
			Argv: []string{"gcloud", "--project", "p", "run", "deploy", "web"}}},
		{[]string{"rundeploy", "gcloud", "compute", "instances", "list"}, Invocation{Kind: KindGcloud,
			Args: []string{"compute", "instances", "list"}, Argv: []string{"gcloud", "compute", "instances", "list"}}},
		// Run through a link named gcloud, the deploy is told so.
		{[]string{"/opt/bin/gcloud", "run", "deploy", "web"}, Invocation{Kind: KindDeploy, Args: []string{"web"},
			Gcloud: []string{"run", "deploy", "web"}, Argv: []string{"gcloud", "run", "deploy", "web"}}},
		{[]string{"gcloud.exe", "beta", "run", "deploy"}, Invocation{Kind: KindGcloud,
			Args: []string{"beta", "run", "deploy"}, Argv: []string{"gcloud", "beta", "run", "deploy"}}},
	}
	for _, tt := range tests {
		got := ReadInvocation(tt.argv)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ReadInvocation(%q)\n got %+v\nwant %+v", tt.argv, got, tt.want)
		}
	}
}

func TestStripOwnFlags(t *testing.T) {
	in := []string{"run", "deploy", "web", "--grant-image-access", "--grant-scope", "project", "--source=.",
		"--no-preflight", "--dry-run", "--propagation-timeout=5m", "--grant-scope=repository", "--region", "r",
		"--no-grant-image-access", "--preflight", "--no-dry-run", "--propagation-timeout", "1m", "--quiet"}
	want := []string{"run", "deploy", "web", "--source=.", "--region", "r", "--quiet"}
	if got := StripOwnFlags(in); !reflect.DeepEqual(got, want) {
		t.Errorf("StripOwnFlags = %q, want %q", got, want)
	}
	// Every flag of PreflightFlags is known, with whether it takes a value.
	g, err := loadGrammar()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range g.flags {
		if f.group != "rundeploy" {
			continue
		}
		takes, ok := ownFlags["--"+f.name]
		if !ok || takes != f.takesArg {
			t.Errorf("ownFlags[--%s] = %v, %v; want %v, true", f.name, takes, ok, f.takesArg)
		}
		if f.negatable {
			if _, ok := ownFlags["--no-"+f.name]; !ok {
				t.Errorf("ownFlags lacks --no-%s", f.name)
			}
		}
	}
}

// TestFrontRun covers the decisions Front makes before a deploy starts:
// help, version, errors with gcloud's exit status, hand-offs to
// gcloud, and a checked deploy passed on.
func TestFrontRun(t *testing.T) {
	var deployed *Command
	var stdout, stderr bytes.Buffer
	f := &Front{
		Stdout: &stdout, Stderr: &stderr, Version: "1.2.3",
		Getenv: func(k string) string {
			if k == "CLOUDSDK_CONFIG" {
				return t.TempDir()
			}
			if k == wrap.GcloudVariable {
				return "/nonexistent/gcloud"
			}
			return ""
		},
		Deploy: func(_ context.Context, cmd *Command, inv Invocation) int { deployed = cmd; return 42 },
	}
	run := func(args ...string) int {
		stdout.Reset()
		stderr.Reset()
		deployed = nil
		return f.Run(context.Background(), append([]string{"rundeploy"}, args...))
	}
	if code := run("--version"); code != 0 || stdout.String() != "rundeploy 1.2.3\n" {
		t.Errorf("--version: %d %q", code, stdout.String())
	}
	if code := run("web", "--image=x", "--memory", "1Gi", "-h"); code != 0 || stdout.String() != Help || deployed != nil {
		t.Errorf("-h: %d, deployed=%v", code, deployed != nil)
	}
	if code := run("web", "--image=x", "--bogus"); code != 2 || !strings.HasPrefix(stderr.String(), "ERROR: (gcloud.run.deploy) unrecognized arguments: --bogus") {
		t.Errorf("--bogus: %d %q", code, stderr.String())
	}
	if code := run("web", "--image=x", "--max-instances=lots"); code != 1 || deployed != nil {
		t.Errorf("--max-instances=lots: %d %q", code, stderr.String())
	}
	if code := run("web", "--image=x", "--grant-scope=folder"); code != 2 || deployed != nil {
		t.Errorf("--grant-scope=folder: %d %q", code, stderr.String())
	}
	// Source deploys go to gcloud (here missing: gcloud's not-found error).
	if code := run("web", "--source=."); code != 1 || !strings.Contains(stderr.String(), "rundeploy: source deploys are built by gcloud; handing this command to the real gcloud.") || deployed != nil {
		t.Errorf("--source: %d %q", code, stderr.String())
	}
	if code := run("web", "--image=x", "--platform=gke", "--cluster=c", "--cluster-location=l"); code != 1 || !strings.Contains(stderr.String(), "only the fully managed platform is handled here") {
		t.Errorf("--platform=gke: %d %q", code, stderr.String())
	}
	if code := run("web", "--image=x", "--memory=1Gi"); code != 42 || deployed == nil || deployed.Memory.Value != "1Gi" {
		t.Errorf("deploy: %d, deployed=%+v", code, deployed)
	}
}

func TestFailStatus(t *testing.T) {
	var b bytes.Buffer
	if code := Fail(&b, errors.New("boom")); code != 1 || b.String() != "ERROR: (gcloud.run.deploy) boom\n" {
		t.Errorf("plain error: %d %q", code, b.String())
	}
	b.Reset()
	if code := Fail(&b, &wrap.ValueError{Command: "gcloud", Msg: "bad"}); code != 1 || b.String() != "ERROR: (gcloud) bad\n" {
		t.Errorf("value error: %d %q", code, b.String())
	}
	b.Reset()
	if code := Fail(&b, &wrap.ArgumentError{Msg: "argument --x: bad"}); code != 2 || !strings.Contains(b.String(), "Usage: gcloud run deploy") {
		t.Errorf("argument error: %d %q", code, b.String())
	}
	b.Reset()
	if code := Fail(&b, &wrap.ArgumentError{Msg: "unrecognized arguments: --x", NoUsage: true}); code != 2 || b.String() != "ERROR: (gcloud.run.deploy) unrecognized arguments: --x\n" {
		t.Errorf("no-usage argument error: %d %q", code, b.String())
	}
}

func TestVersion(t *testing.T) {
	if v := Version("v1.0.0"); v != "v1.0.0" {
		t.Errorf("Version(stamped) = %q", v)
	}
}
