package main

import (
	"context"
	"os"

	"golang.org/x/term"

	"github.com/rundeploy/rundeploy/cli"
)

// app is rundeploy's front door (cli.Front) with deploys and the emulator
// run in this process.
type app struct {
	cli.Front
	// stdinTTY/stderrTTY: prompting needs a terminal on stdin, the live
	// tracker one on stderr.
	stdinTTY, stderrTTY bool
}

func newApp() *app {
	a := &app{
		Front: cli.Front{
			Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
			Getenv: os.Getenv, Environ: os.Environ(),
			Version: cli.Version(version),
		},
		stdinTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		stderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
	a.CheckFrontVersion()
	a.Deploy = a.deploy
	a.Emulator = func(ctx context.Context, inv cli.Invocation) int { return a.emulator(ctx, inv.Args) }
	return a
}
