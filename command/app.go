// Package command is rundeploy's command: `gcloud run deploy` with the
// preflight, as an importable Options + Run in the style of gh's commands,
// so that tests drive a whole deploy in-process against internal/fakegcp.
// cli reads the command line (grammar, help, hand-offs to the real
// gcloud); this package resolves the configuration and credentials, runs
// the preflight beside the read of the service, deploys, reports, and runs
// the emulator.
package command

import (
	"context"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/rundeploy/rundeploy/cli"
)

// IOStreams are the command's standard streams and what is known of them.
type IOStreams struct {
	In          io.Reader
	Out, ErrOut io.Writer
	// InTTY and ErrTTY report terminals: prompting needs one on stdin (and
	// stderr, where questions go), the live tracker one on stderr.
	InTTY, ErrTTY bool
}

// Options are everything a run of the command depends on.
type Options struct {
	IO IOStreams
	// Getenv and Environ are the process environment.
	Getenv  func(string) string
	Environ []string
	// Version is rundeploy's version (cli.Version).
	Version string
}

// app is cli.Front with deploys and the emulator run in this process.
type app struct {
	cli.Front
	stdinTTY, stderrTTY bool
}

func newApp(o Options) *app {
	a := &app{
		Front: cli.Front{
			Stdin: o.IO.In, Stdout: o.IO.Out, Stderr: o.IO.ErrOut,
			Getenv: o.Getenv, Environ: o.Environ,
			Version: o.Version,
		},
		stdinTTY:  o.IO.InTTY,
		stderrTTY: o.IO.ErrTTY,
	}
	a.Deploy = a.deploy
	a.Emulator = func(ctx context.Context, inv cli.Invocation) int { return a.emulator(ctx, inv.Args) }
	return a
}

// Run runs the command line argv (argv[0] is the program name) and returns
// the exit status.
func Run(ctx context.Context, o Options, argv []string) int {
	return newApp(o).Run(ctx, argv)
}

// System returns the Options of this process: its standard streams,
// environment and version.
func System(version string) Options {
	return Options{
		IO: IOStreams{
			In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
			InTTY:  term.IsTerminal(int(os.Stdin.Fd())),
			ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		},
		Getenv:  os.Getenv,
		Environ: os.Environ(),
		Version: cli.Version(version),
	}
}
