package wrap

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/rundeploy/rundeploy/internal/gcloudtest"
)

// replaceHelperVariable makes the test binary act as a program that calls
// Replace (see TestReplace).
const replaceHelperVariable = "WRAP_TEST_REPLACE_WITH"

func TestMain(m *testing.M) {
	if p := os.Getenv(replaceHelperVariable); p != "" {
		err := Replace(p, []string{"run", "services", "list"}, nil)
		os.Stderr.WriteString("Replace returned: " + err.Error() + "\n")
		os.Exit(99)
	}
	os.Exit(m.Run())
}

func TestFindGcloud(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX stand-in gcloud")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	first, second, linked, noexec := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	real1, _ := gcloudtest.WriteFake(t, first, gcloudtest.Fake{})
	real2, _ := gcloudtest.WriteFake(t, second, gcloudtest.Fake{})
	// A directory where "gcloud" is a symlink to this very binary (rundeploy
	// installed as gcloud), one with a non-executable gcloud.
	if err := os.Symlink(self, filepath.Join(linked, "gcloud")); err != nil {
		t.Fatal(err)
	}
	gcloudtest.WriteFile(t, noexec, "gcloud", "#!/bin/sh\n")
	// A hard link to this binary, where the file system allows it.
	hard := t.TempDir()
	hardOK := os.Link(self, filepath.Join(hard, "gcloud")) == nil
	// A directory named gcloud.
	dirNamed := t.TempDir()
	os.Mkdir(filepath.Join(dirNamed, "gcloud"), 0o755)

	join := func(dirs ...string) string { return strings.Join(dirs, string(os.PathListSeparator)) }
	tests := []struct {
		name    string
		env     env
		want    string
		wantErr string
	}{
		{name: "first on PATH", env: env{"PATH": join(first, second)}, want: real1},
		{name: "skips a symlink to itself", env: env{"PATH": join(linked, second)}, want: real2},
		{name: "skips non-executables and directories", env: env{"PATH": join(noexec, dirNamed, first)}, want: real1},
		{name: "skips empty and relative entries", env: env{"PATH": join("", ".", "rel", second)}, want: real2},
		{name: "RUNDEPLOY_GCLOUD wins", env: env{"PATH": first, "RUNDEPLOY_GCLOUD": real2}, want: real2},
		{name: "RUNDEPLOY_GCLOUD missing", env: env{"PATH": first, "RUNDEPLOY_GCLOUD": "/nonexistent/gcloud"}, wantErr: "RUNDEPLOY_GCLOUD=/nonexistent/gcloud"},
		{name: "RUNDEPLOY_GCLOUD is itself", env: env{"RUNDEPLOY_GCLOUD": filepath.Join(linked, "gcloud")}, wantErr: "is rundeploy itself"},
		{name: "only itself on PATH", env: env{"PATH": linked}, wantErr: "not found"},
		{name: "empty PATH", env: env{}, wantErr: "not found"},
	}
	if hardOK {
		tests = append(tests, struct {
			name    string
			env     env
			want    string
			wantErr string
		}{name: "skips a hard link to itself", env: env{"PATH": join(hard, first)}, want: real1})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FindGcloud(tt.env.get)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("FindGcloud = %q, %v; want error containing %q", got, err, tt.wantErr)
				}
				if tt.wantErr == "not found" && !errors.Is(err, ErrGcloudNotFound) {
					t.Errorf("error %v is not ErrGcloudNotFound", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("FindGcloud = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestExecExitCodes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX stand-in gcloud")
	}
	tests := []struct {
		name     string
		fake     gcloudtest.Fake
		stdin    string
		want     int
		wantOut  string
		wantErr  string
		wantArgs []string
	}{
		{name: "success", fake: gcloudtest.Fake{Stdout: "out", Stderr: "err"}, want: 0, wantOut: "out", wantErr: "err"},
		{name: "exit code passed through", fake: gcloudtest.Fake{Stderr: "ERROR: (gcloud.run.services) boom\n", Exit: 3}, want: 3, wantErr: "ERROR: (gcloud.run.services) boom\n"},
		{name: "argument error", fake: gcloudtest.Fake{Exit: 2}, want: 2},
		{name: "killed by a signal", fake: gcloudtest.Fake{Script: "kill -TERM $$\n"}, want: 128 + int(syscall.SIGTERM)},
		{name: "stdin is connected", fake: gcloudtest.Fake{Script: "cat\n"}, stdin: "piped", want: 0, wantOut: "piped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, argsFile := gcloudtest.WriteFake(t, t.TempDir(), tt.fake)
			var out, errb bytes.Buffer
			args := []string{"run", "services", "list", "--format=value(name)", "a b"}
			code, err := Exec(context.Background(), path, args, nil, strings.NewReader(tt.stdin), &out, &errb)
			if err != nil || code != tt.want {
				t.Fatalf("Exec = %d, %v; want %d", code, err, tt.want)
			}
			if out.String() != tt.wantOut || errb.String() != tt.wantErr {
				t.Errorf("stdout %q stderr %q; want %q %q", out.String(), errb.String(), tt.wantOut, tt.wantErr)
			}
			if calls := gcloudtest.Calls(t, argsFile); len(calls) != 1 || !reflect.DeepEqual(calls[0], args) {
				t.Errorf("gcloud ran with %q, want %q", calls, args)
			}
		})
	}
}

func TestExecEnvironment(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX stand-in gcloud")
	}
	path, _ := gcloudtest.WriteFake(t, t.TempDir(), gcloudtest.Fake{Script: "printf '%s' \"$WRAP_TEST_VALUE\"\n"})
	var out bytes.Buffer
	code, err := Exec(context.Background(), path, nil, []string{"WRAP_TEST_VALUE=given"}, nil, &out, nil)
	if err != nil || code != 0 || out.String() != "given" {
		t.Errorf("Exec = %d, %v, out %q", code, err, out.String())
	}
}

func TestExecNotStarted(t *testing.T) {
	code, err := Exec(context.Background(), filepath.Join(t.TempDir(), "missing"), nil, nil, nil, nil, nil)
	if err == nil || code != -1 {
		t.Errorf("Exec = %d, %v; want -1 and an error", code, err)
	}
}

// readyWriter signals the first write.
type readyWriter struct {
	once  sync.Once
	ready chan struct{}
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.ready) })
	return len(p), nil
}

func TestExecCancel(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX stand-in gcloud")
	}
	// The child reports SIGTERM by exiting 42 once it has started.
	path, _ := gcloudtest.WriteFake(t, t.TempDir(), gcloudtest.Fake{Script: "trap 'exit 42' TERM\necho ready\nwhile :; do sleep 0.01; done\n"})
	ctx, cancel := context.WithCancel(context.Background())
	w := &readyWriter{ready: make(chan struct{})}
	go func() { <-w.ready; cancel() }()
	code, err := Exec(ctx, path, nil, nil, nil, w, nil)
	if code != 42 || !errors.Is(err, context.Canceled) {
		t.Errorf("Exec = %d, %v; want 42, context.Canceled", code, err)
	}
}

func TestReplace(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX stand-in gcloud")
	}
	path, argsFile := gcloudtest.WriteFake(t, t.TempDir(), gcloudtest.Fake{Stdout: "replaced", Exit: 5})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), replaceHelperVariable+"="+path)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 5 {
		t.Fatalf("helper exited with %v (stderr %q); want status 5 from the replacement", err, errb.String())
	}
	if out.String() != "replaced" {
		t.Errorf("stdout %q", out.String())
	}
	if calls := gcloudtest.Calls(t, argsFile); len(calls) != 1 || !slices.Equal(calls[0], []string{"run", "services", "list"}) {
		t.Errorf("calls %q", calls)
	}

	// A missing program: Replace returns an error.
	cmd = exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), replaceHelperVariable+"="+filepath.Join(t.TempDir(), "missing"))
	errb.Reset()
	cmd.Stderr = &errb
	err = cmd.Run()
	if !errors.As(err, &ee) || ee.ExitCode() != 99 || !strings.Contains(errb.String(), "Replace returned:") {
		t.Errorf("missing program: %v, stderr %q", err, errb.String())
	}
}

func TestSplitAlias(t *testing.T) {
	tests := []struct {
		args []string
		ok   bool
		want []string
	}{
		{[]string{"run", "deploy", "svc", "--image", "x"}, true, []string{"svc", "--image", "x"}},
		{[]string{"run", "deploy"}, true, []string{}},
		{[]string{"--project", "p", "run", "deploy", "svc", "--image", "x"}, true, []string{"--project", "p", "svc", "--image", "x"}},
		{[]string{"--project", "run", "run", "deploy", "svc"}, true, []string{"--project", "run", "svc"}},
		{[]string{"--project", "deploy", "run", "deploy"}, true, []string{"--project", "deploy"}},
		{[]string{"--project=p", "-q", "--format", "json", "run", "deploy", "s"}, true, []string{"--project=p", "-q", "--format", "json", "s"}},
		{[]string{"run", "--region", "r", "deploy", "s"}, false, nil}, // --region is not gcloud-wide
		{[]string{"run", "--account", "a@b.c", "deploy", "s"}, true, []string{"--account", "a@b.c", "s"}},
		{[]string{"--verbosity=debug", "--log-http", "--no-user-output-enabled", "run", "deploy", "s", "--verbosity", "info"}, true,
			[]string{"--verbosity=debug", "--log-http", "--no-user-output-enabled", "s", "--verbosity", "info"}},
		{[]string{"--configuration", "prod", "--impersonate-service-account", "sa@p.iam.gserviceaccount.com", "--access-token-file", "/t", "--billing-project", "b", "--flags-file", "f.yaml", "--trace-token", "t", "--flatten", "x", "--universe-domain", "u", "--credential-file-override", "k", "--http-timeout", "5", "--authority-selector", "a", "--authorization-token-file", "z", "run", "deploy"}, true,
			[]string{"--configuration", "prod", "--impersonate-service-account", "sa@p.iam.gserviceaccount.com", "--access-token-file", "/t", "--billing-project", "b", "--flags-file", "f.yaml", "--trace-token", "t", "--flatten", "x", "--universe-domain", "u", "--credential-file-override", "k", "--http-timeout", "5", "--authority-selector", "a", "--authorization-token-file", "z"}},
		{[]string{"run", "deploy", "svc", "--", "--help"}, true, []string{"svc", "--", "--help"}},
		// Not handled: passed through to gcloud.
		{[]string{"beta", "run", "deploy", "svc"}, false, nil},
		{[]string{"alpha", "run", "deploy"}, false, nil},
		{[]string{"run", "deploy", "--help"}, false, nil},
		{[]string{"run", "deploy", "svc", "-h"}, false, nil},
		{[]string{"run", "deploy", "--document=style=markdown"}, false, nil},
		{[]string{"--help", "run", "deploy"}, false, nil},
		{[]string{"run", "-h", "deploy"}, false, nil},
		{[]string{"--version"}, false, nil},
		{[]string{"run", "services", "list"}, false, nil},
		{[]string{"run"}, false, nil},
		{[]string{"deploy", "run"}, false, nil},
		{[]string{}, false, nil},
		{[]string{"--project"}, false, nil},
		{[]string{"--project", "p"}, false, nil},
		{[]string{"--proj", "p", "run", "deploy"}, false, nil}, // gcloud does not accept abbreviations
		{[]string{"--quiet=true", "run", "deploy"}, false, nil},
		{[]string{"--", "run", "deploy"}, false, nil},
		{[]string{"app", "deploy"}, false, nil},
		{[]string{"run", "jobs", "deploy"}, false, nil},
	}
	for _, tt := range tests {
		ok, got := SplitAlias(tt.args)
		if ok != tt.ok || (ok && !slices.Equal(got, tt.want)) {
			t.Errorf("SplitAlias(%q) = %v, %q; want %v, %q", tt.args, ok, got, tt.ok, tt.want)
		}
	}
}

func FuzzSplitAlias(f *testing.F) {
	f.Add("run\x00deploy\x00svc\x00--image\x00x")
	f.Add("--project\x00p\x00run\x00deploy")
	f.Add("--project\x00run\x00run\x00deploy\x00--help")
	f.Add("beta\x00run\x00deploy")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		ok, got := SplitAlias(args)
		if !ok {
			if got != nil {
				t.Fatalf("not handled but args returned: %q", got)
			}
			return
		}
		// Exactly two tokens ("run" and "deploy") removed, order kept.
		if len(got) != len(args)-2 {
			t.Fatalf("SplitAlias(%q) = %q: want two tokens fewer", args, got)
		}
		if !removesRunDeploy(args, got) {
			t.Fatalf("SplitAlias(%q) = %q: not args minus a \"run\" and a later \"deploy\"", args, got)
		}
		for _, a := range got {
			if a == "--" {
				break
			}
			if a == "--help" || a == "-h" {
				t.Fatalf("help request handled: %q", args)
			}
		}
	})
}

// removesRunDeploy reports whether got is args without one "run" and one
// later "deploy".
func removesRunDeploy(args, got []string) bool {
	for i := range args {
		for j := i + 1; j < len(args); j++ {
			if args[i] != "run" || args[j] != "deploy" {
				continue
			}
			rest := slices.Concat(args[:i], args[i+1:j], args[j+1:])
			if slices.Equal(rest, got) {
				return true
			}
		}
	}
	return false
}
