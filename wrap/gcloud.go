package wrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// GcloudVariable names an explicit gcloud binary, which FindGcloud prefers
// to searching PATH.
const GcloudVariable = "RUNDEPLOY_GCLOUD"

// ErrGcloudNotFound is returned (wrapped) by FindGcloud when there is no real
// gcloud to run.
var ErrGcloudNotFound = errors.New("the Google Cloud CLI (gcloud) was not found")

// FindGcloud locates the real gcloud: $RUNDEPLOY_GCLOUD if set (getenv nil
// means os.Getenv), else the first "gcloud" (on Windows "gcloud.cmd", then
// "gcloud.exe") in the directories of $PATH. Candidates that are this very
// executable are skipped — directly, through symbolic links (users link or
// alias rundeploy as gcloud) or as hard links — as are relative PATH entries.
func FindGcloud(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	self := selfExecutable()
	if p := getenv(GcloudVariable); p != "" {
		fi, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("%s=%s: %w", GcloudVariable, p, err)
		}
		if fi.IsDir() {
			return "", fmt.Errorf("%s=%s: is a directory", GcloudVariable, p)
		}
		if isSelf(p, self) {
			return "", fmt.Errorf("%s=%s: is rundeploy itself, not the Google Cloud CLI", GcloudVariable, p)
		}
		return p, nil
	}
	names := []string{"gcloud"}
	if runtime.GOOS == "windows" {
		names = []string{"gcloud.cmd", "gcloud.exe"}
	}
	path := getenv("PATH")
	for _, dir := range filepath.SplitList(path) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		for _, name := range names {
			p := filepath.Join(dir, name)
			if !isExecutable(p) || isSelf(p, self) {
				continue
			}
			return p, nil
		}
	}
	return "", fmt.Errorf("%w on PATH; install it (https://cloud.google.com/sdk/docs/install) or set %s to its path", ErrGcloudNotFound, GcloudVariable)
}

// selfExecutable is os.Executable with symbolic links resolved, or "".
func selfExecutable() string {
	p, err := os.Executable()
	if err != nil {
		return ""
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// isSelf reports whether p is (a link to) the executable self.
func isSelf(p, self string) bool {
	if self == "" {
		return false
	}
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return false
	}
	if r == self {
		return true
	}
	a, err1 := os.Stat(r)
	b, err2 := os.Stat(self)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	if err != nil || fi.IsDir() {
		return false
	}
	if runtime.GOOS == "windows" {
		return true
	}
	return fi.Mode().Perm()&0o111 != 0
}

// terminateGrace is how long Exec waits after asking the child to stop (on
// context cancellation) before killing it.
const terminateGrace = 5 * time.Second

// Exec runs the program at path with args (not including argv[0]) and env
// (nil means this process's environment), wired to stdin, stdout and stderr,
// and returns its exit status: the child's exit code, or 128+N when signal N
// killed it (as shells report). While it runs, SIGINT, SIGTERM and SIGHUP
// sent to this process are forwarded to the child rather than killing us.
// If ctx ends, the child is sent SIGTERM (killed on Windows), then killed
// after a grace period; Exec then returns the status and ctx.Err().
// err is also non-nil when the program cannot be started (status -1).
func Exec(ctx context.Context, path string, args []string, env []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)

	if err := cmd.Start(); err != nil {
		return -1, fmt.Errorf("running %s: %w", path, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var ctxErr error
	ctxDone := ctx.Done()
	var kill <-chan time.Time
	for {
		select {
		case s := <-sigs:
			_ = cmd.Process.Signal(s)
		case <-ctxDone:
			ctxErr = ctx.Err()
			ctxDone = nil
			terminate(cmd.Process)
			kill = time.After(terminateGrace)
		case <-kill:
			_ = cmd.Process.Kill()
		case err := <-done:
			code, ok := exitStatus(cmd.ProcessState)
			if !ok {
				return -1, fmt.Errorf("running %s: %w", path, err)
			}
			return code, ctxErr
		}
	}
}

// Replace runs gcloud (or any program) in place of this process when no
// post-processing is needed: on Unix with execve(2), so the program inherits
// the PID, terminal and signals; elsewhere with Exec followed by os.Exit with
// its status. It returns only on failure. env nil means os.Environ().
func Replace(path string, args []string, env []string) error {
	if env == nil {
		env = os.Environ()
	}
	return replace(path, args, env)
}

func replaceByExec(path string, args []string, env []string) error {
	code, err := Exec(context.Background(), path, args, env, os.Stdin, os.Stdout, os.Stderr)
	if err != nil && code < 0 {
		return err
	}
	os.Exit(code)
	return nil
}

// gcloud-wide flags that take a value (calliope's top-level arguments and
// surface/__init__.py). Global flags are accepted at every level of the
// command tree, so they may appear before "run", between "run" and "deploy",
// or after.
var globalValueFlags = map[string]bool{
	"--account":                     true,
	"--access-token-file":           true,
	"--authority-selector":          true,
	"--authorization-token-file":    true,
	"--billing-project":             true,
	"--configuration":               true,
	"--credential-file-override":    true,
	"--flags-file":                  true,
	"--flatten":                     true,
	"--format":                      true,
	"--http-timeout":                true,
	"--impersonate-service-account": true,
	"--project":                     true,
	"--trace-token":                 true,
	"--universe-domain":             true,
	"--verbosity":                   true,
}

// gcloud-wide flags without a value.
var globalBoolFlags = map[string]bool{
	"--quiet":                  true,
	"-q":                       true,
	"--log-http":               true,
	"--no-log-http":            true,
	"--user-output-enabled":    true,
	"--no-user-output-enabled": true,
}

// isHelpFlag reports the flags that make gcloud print help or its version
// instead of running the command.
func isHelpFlag(name string) bool {
	switch name {
	case "-h", "--help", "--document", "-v", "--version":
		return true
	}
	return false
}

// SplitAlias looks at the arguments after "gcloud" (rundeploy running as a
// gcloud alias) and reports whether they are the GA "run deploy" command
// that rundeploy handles. If so, deployArgs are the arguments with the "run"
// and "deploy" words removed and every other token, including gcloud-wide
// flags before or between them, kept in order. Values of gcloud-wide flags
// ("--project run") are never taken for command words. Anything else — other
// commands, "beta run deploy", help (-h, --help), unknown flags before
// "deploy", a missing flag value — is reported as false, to be passed to the
// real gcloud unchanged.
func SplitAlias(args []string) (isRunDeploy bool, deployArgs []string) {
	words := []string{"run", "deploy"}
	out := make([]string, 0, len(args))
	i := 0
	for i < len(args) && len(words) > 0 {
		a := args[i]
		if strings.HasPrefix(a, "-") && a != "-" {
			name, _, hasValue := strings.Cut(a, "=")
			switch {
			case a == "--":
				return false, nil
			case isHelpFlag(name):
				return false, nil
			case globalValueFlags[name]:
				if hasValue {
					out = append(out, a)
					i++
					continue
				}
				if i+1 >= len(args) {
					return false, nil
				}
				out = append(out, a, args[i+1])
				i += 2
				continue
			case globalBoolFlags[name] && !hasValue:
				out = append(out, a)
				i++
				continue
			default:
				return false, nil
			}
		}
		if a != words[0] {
			return false, nil
		}
		words = words[1:]
		i++
	}
	if len(words) > 0 {
		return false, nil
	}
	rest := args[i:]
	for _, a := range rest {
		if a == "--" {
			break
		}
		name, _, _ := strings.Cut(a, "=")
		if name == "-h" || name == "--help" || name == "--document" {
			return false, nil
		}
	}
	return true, append(out, rest...)
}
