package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"github.com/rundeploy/rundeploy/deploy"
	"github.com/rundeploy/rundeploy/wrap"
)

// app holds the process's streams and environment so tests can run the
// whole command in-process.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	environ        []string
	// stdinTTY/stderrTTY: prompting needs a terminal on stdin, the live
	// tracker one on stderr.
	stdinTTY, stderrTTY bool
}

func newApp() *app {
	return &app{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		getenv: os.Getenv, environ: os.Environ(),
		stdinTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		stderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
}

// run dispatches on how rundeploy was invoked and returns the exit status.
//
//	rundeploy [SERVICE] [flags]      deploy
//	rundeploy gcloud ARGS...         alias mode: `run deploy` handled, the rest exec'd
//	gcloud ARGS... (a link named gcloud)   alias mode
//	rundeploy emulator [--addr A]    the local emulated control plane
//	rundeploy --version
func (a *app) run(ctx context.Context, argv []string) int {
	name := strings.TrimSuffix(filepath.Base(argv[0]), ".exe")
	args := argv[1:]
	if name == "gcloud" {
		return a.alias(ctx, args)
	}
	if len(args) > 0 {
		switch args[0] {
		case "gcloud":
			return a.alias(ctx, args[1:])
		case "emulator":
			return a.emulator(ctx, args[1:])
		case "--version", "version":
			if len(args) == 1 {
				fmt.Fprintf(a.stdout, "rundeploy %s\n", version)
				return 0
			}
		}
	}
	return a.deploy(ctx, args, append([]string{"run", "deploy"}, args...))
}

// alias handles `gcloud ARGS...`: GA `run deploy` is ours, everything else
// goes to the real gcloud with its exit status passed through.
func (a *app) alias(ctx context.Context, args []string) int {
	if ok, deployArgs := wrap.SplitAlias(args); ok {
		return a.deploy(ctx, deployArgs, args)
	}
	return a.gcloud(ctx, args)
}

// gcloud execs the real gcloud with args.
func (a *app) gcloud(ctx context.Context, args []string) int {
	path, err := wrap.FindGcloud(a.getenv)
	if err != nil {
		a.fail(err)
		return 1
	}
	code, err := wrap.Exec(ctx, path, args, a.environ, a.stdin, a.stdout, a.stderr)
	if err != nil {
		a.fail(err)
		return 1
	}
	return code
}

// fail prints err the way gcloud prints errors and returns its exit code:
// "ERROR: (gcloud.run.deploy) MESSAGE", then, for most argument errors,
// gcloud's usage block.
func (a *app) fail(err error) int {
	command := "gcloud.run.deploy"
	var ve *deploy.ValueError
	if errors.As(err, &ve) && ve.Command != "" {
		command = ve.Command
	}
	var ae *deploy.ArgumentError
	isArg := errors.As(err, &ae)
	if isArg && ae.Command != "" {
		command = ae.Command
	}
	fmt.Fprintf(a.stderr, "ERROR: (%s) %s\n", command, err)
	if isArg && !ae.NoUsage {
		fmt.Fprint(a.stderr, usageText())
	}
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		return coded.ExitCode()
	}
	return 1
}
