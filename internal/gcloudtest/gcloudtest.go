// Package gcloudtest provides a stand-in gcloud for tests: a shell script
// that records how it was run and answers as told.
package gcloudtest

import (
	"fmt"
	"os"
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
