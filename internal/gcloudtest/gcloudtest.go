// Package gcloudtest provides a stand-in gcloud for tests: a shell script
// that records how it was run and answers as told.
package gcloudtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// WriteFile writes content to dir/name (creating directories) and returns
// the path.
func WriteFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Fake describes a stand-in gcloud: a shell script that appends its
// arguments (one per line, then a "--" line) to ArgsFile, prints Stdout to
// stdout and Stderr to stderr, and exits with Exit.
type Fake struct {
	Stdout, Stderr string
	Exit           int
	// Script, when set, replaces the body after the argument recording.
	Script string
}

// WriteFake writes the script as dir/gcloud and returns its path and
// the file where invocations are recorded.
func WriteFake(t *testing.T, dir string, f Fake) (path, argsFile string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in gcloud is a POSIX shell script")
	}
	argsFile = filepath.Join(dir, "gcloud-args.txt")
	body := f.Script
	if body == "" {
		body = fmt.Sprintf("printf '%%s' %s\nprintf '%%s' %s >&2\nexit %d\n", shQuote(f.Stdout), shQuote(f.Stderr), f.Exit)
	}
	script := fmt.Sprintf("#!/bin/sh\nfor a in \"$@\"; do printf '%%s\\n' \"$a\" >> %s; done\necho -- >> %s\n%s",
		shQuote(argsFile), shQuote(argsFile), body)
	path = filepath.Join(dir, "gcloud")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, argsFile
}

// Calls returns the argument lists the stand-in gcloud was run with.
func Calls(t *testing.T, argsFile string) [][]string {
	t.Helper()
	b, err := os.ReadFile(argsFile)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var calls [][]string
	cur := []string{}
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if l == "--" {
			calls = append(calls, cur)
			cur = []string{}
			continue
		}
		cur = append(cur, l)
	}
	return calls
}

func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// RealVariable switches on the tests that run the real gcloud (recordings,
// transcripts, live parity). scripts/test, which CI runs, sets it; a plain
// `go test ./...` leaves them out and stays fast.
const RealVariable = "RUNDEPLOY_GCLOUD_TESTS"

// Real returns the path of the real gcloud for a test that runs it. The test
// is skipped unless RUNDEPLOY_GCLOUD_TESTS=1; with the switch on, a missing
// gcloud fails the test rather than skipping it, so CI cannot pass without
// comparing against gcloud.
func Real(t testing.TB) string {
	t.Helper()
	if os.Getenv(RealVariable) != "1" {
		t.Skip("runs the real gcloud: set " + RealVariable + "=1 (scripts/test does)")
	}
	p, err := RealPath()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// RealPath finds the real gcloud: /usr/bin/gcloud (where CI's Debian
// package installs it), else the first gcloud on PATH.
func RealPath() (string, error) {
	if _, err := os.Stat("/usr/bin/gcloud"); err == nil {
		return "/usr/bin/gcloud", nil
	}
	p, err := exec.LookPath("gcloud")
	if err != nil {
		return "", fmt.Errorf("%s=1 but the real gcloud is not installed: %v", RealVariable, err)
	}
	return p, nil
}
