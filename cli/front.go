// Package cli is rundeploy's command line: the flags of `gcloud run deploy`
// and their values (Flags, Globals, PreflightFlags), the kong grammar that
// reads them with gcloud's argparse rules and messages (Parse), the help,
// and Front, which decides what a command line asks for. It needs no Google
// client library (a test keeps it so): help and argument errors are served
// before any of them is touched.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/rundeploy/rundeploy/wrap"
)

// Kind is what a rundeploy command line asks for.
type Kind int

const (
	// KindDeploy is `rundeploy [SERVICE] [flags]` or `gcloud run deploy ...`.
	KindDeploy Kind = iota
	// KindGcloud is any other gcloud command in alias mode: the real gcloud runs it.
	KindGcloud
	// KindEmulator is `rundeploy emulator [flags]`.
	KindEmulator
	// KindVersion is `rundeploy --version`.
	KindVersion
)

// Invocation is a rundeploy command line, read.
type Invocation struct {
	Kind Kind
	// Args are the deploy arguments (KindDeploy), gcloud's arguments
	// (KindGcloud) or the emulator's (KindEmulator).
	Args []string
	// Gcloud is the deploy as a gcloud command line (the words after
	// "gcloud"), for handing it to the real gcloud.
	Gcloud []string
	// Argv is the command line after the program name, with a leading
	// "gcloud" when the program ran as a link named gcloud: what makes
	// another rundeploy binary do the same thing.
	Argv []string
}

// ReadInvocation reads how rundeploy was invoked:
//
//	rundeploy [SERVICE] [flags]            deploy
//	rundeploy gcloud ARGS...               alias mode: `run deploy` ours, the rest gcloud's
//	gcloud ARGS... (a link named gcloud)   alias mode
//	rundeploy emulator [flags]             the local emulated control plane
//	rundeploy --version
func ReadInvocation(argv []string) Invocation {
	name := strings.TrimSuffix(filepath.Base(argv[0]), ".exe")
	args := argv[1:]
	if name == "gcloud" {
		return alias(args, append([]string{"gcloud"}, args...))
	}
	if len(args) > 0 {
		switch args[0] {
		case "gcloud":
			return alias(args[1:], args)
		case "emulator":
			return Invocation{Kind: KindEmulator, Args: args[1:], Argv: args}
		case "--version", "version":
			if len(args) == 1 {
				return Invocation{Kind: KindVersion, Argv: args}
			}
		}
	}
	return Invocation{Kind: KindDeploy, Args: args, Gcloud: append([]string{"run", "deploy"}, args...), Argv: args}
}

func alias(args, argv []string) Invocation {
	if ok, deployArgs := wrap.SplitAlias(args); ok {
		return Invocation{Kind: KindDeploy, Args: deployArgs, Gcloud: args, Argv: argv}
	}
	return Invocation{Kind: KindGcloud, Args: args, Argv: argv}
}

// Front is the part of rundeploy that needs no Google client library:
// reading the command line, help, version, argument errors, and handing
// commands to the real gcloud. Package command gives it Deploy and
// Emulator; keeping cli free of the Google clients keeps a light front
// door possible.
type Front struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Environ        []string
	Version        string

	// Deploy runs a deploy whose command line passed every check that
	// needs no API call. inv is the invocation it came from.
	Deploy func(ctx context.Context, cmd *Command, inv Invocation) int
	// Emulator runs `rundeploy emulator ARGS`.
	Emulator func(ctx context.Context, inv Invocation) int
}

// Run runs the command line argv (argv[0] is the program) and returns the
// exit status.
func (f *Front) Run(ctx context.Context, argv []string) int {
	inv := ReadInvocation(argv)
	switch inv.Kind {
	case KindGcloud:
		return f.Gcloud(ctx, inv.Args)
	case KindEmulator:
		return f.Emulator(ctx, inv)
	case KindVersion:
		fmt.Fprintf(f.Stdout, "rundeploy %s\n", f.Version)
		return 0
	}
	if WantsHelp(inv.Args) {
		fmt.Fprint(f.Stdout, Help)
		return 0
	}
	cmd, err := Parse(inv.Args, f.Getenv)
	if errors.Is(err, ErrNotManaged) {
		// Cloud Run for Anthos (--platform gke|kubernetes) is gcloud's.
		return f.HandOff(ctx, inv, "only the fully managed platform is handled here")
	}
	if err != nil {
		return f.Fail(err)
	}
	if cmd.HelpRequested {
		fmt.Fprint(f.Stdout, Help)
		return 0
	}
	if cmd.IsSourceDeploy() {
		return f.HandOff(ctx, inv, SourceDeployReason)
	}
	if err := cmd.Preflight.Validate(); err != nil {
		return f.Fail(err)
	}
	return f.Deploy(ctx, cmd, inv)
}

// SourceDeployReason is why a source deploy goes to gcloud.
const SourceDeployReason = "source deploys are built by gcloud"

// HandOff says why, then runs the deploy of inv with the real gcloud,
// without rundeploy's own flags.
func (f *Front) HandOff(ctx context.Context, inv Invocation, reason string) int {
	fmt.Fprintf(f.Stderr, "rundeploy: %s; handing this command to the real gcloud.\n", reason)
	return f.Gcloud(ctx, StripOwnFlags(inv.Gcloud))
}

// Gcloud runs the real gcloud with args and returns its exit status.
func (f *Front) Gcloud(ctx context.Context, args []string) int {
	path, err := wrap.FindGcloud(f.Getenv)
	if err != nil {
		return f.Fail(err)
	}
	code, err := wrap.Exec(ctx, path, args, f.Environ, f.Stdin, f.Stdout, f.Stderr)
	if err != nil {
		return f.Fail(err)
	}
	return code
}

// Fail prints err as gcloud prints errors (Fail) and returns the exit status.
func (f *Front) Fail(err error) int { return Fail(f.Stderr, err) }

// Fail prints err to w the way gcloud prints errors and returns its exit
// status: "ERROR: (gcloud.run.deploy) MESSAGE", then, for most argument
// errors, gcloud's usage block. The status is the error's ExitCode, else 1.
func Fail(w io.Writer, err error) int {
	command := "gcloud.run.deploy"
	var ve *wrap.ValueError
	if errors.As(err, &ve) && ve.Command != "" {
		command = ve.Command
	}
	var ae *wrap.ArgumentError
	isArg := errors.As(err, &ae)
	if isArg && ae.Command != "" {
		command = ae.Command
	}
	fmt.Fprintf(w, "ERROR: (%s) %s\n", command, err)
	if isArg && !ae.NoUsage {
		fmt.Fprint(w, usageText())
	}
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		return coded.ExitCode()
	}
	return 1
}

// IsSourceDeploy reports whether gcloud would build from source: --source
// given, or no --image anywhere.
func (f *Flags) IsSourceDeploy() bool {
	if f.Source.Set {
		return true
	}
	for _, c := range f.Containers {
		if c.Source.Set {
			return true
		}
	}
	if f.Image.Set {
		return false
	}
	for _, c := range f.Containers {
		if c.Image.Set {
			return false
		}
	}
	return true
}

// ownFlags are rundeploy's flags (PreflightFlags); the ones that take a
// value are true.
var ownFlags = map[string]bool{
	"--grant-image-access": false, "--no-grant-image-access": false, "--grant-scope": true,
	"--preflight": false, "--no-preflight": false, "--dry-run": false, "--no-dry-run": false,
	"--propagation-timeout": true,
}

// StripOwnFlags removes rundeploy's own flags before a command line is
// handed to gcloud, which would reject them.
func StripOwnFlags(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(a, "=")
		takesValue, own := ownFlags[name]
		switch {
		case !own:
			out = append(out, a)
		case takesValue && !hasValue:
			i++ // skip the value
		}
	}
	return out
}

// Version is the version to report: stamped (a release build's
// -X main.version) when not "dev", else the module version `go install
// ...@vX` recorded, else "dev".
func Version(stamped string) string {
	if stamped != "dev" && stamped != "" {
		return stamped
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
