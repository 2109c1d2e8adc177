package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"

	"github.com/rundeploy/rundeploy/cli"
	"github.com/rundeploy/rundeploy/wrap"
)

// EngineVariable names the rundeploy-engine binary to run, for layouts
// where it is not installed beside rundeploy or on PATH.
const EngineVariable = "RUNDEPLOY_ENGINE"

// engineName is the file name of rundeploy-engine on this system.
var engineName = func() string {
	if runtime.GOOS == "windows" {
		return "rundeploy-engine.exe"
	}
	return "rundeploy-engine"
}()

// newFront is rundeploy's front door with deploys and the emulator handed
// to rundeploy-engine.
func newFront() *cli.Front {
	f := &cli.Front{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, Environ: os.Environ(),
		Version: cli.Version(version),
	}
	f.Deploy = func(ctx context.Context, _ *cli.Command, inv cli.Invocation) int { return runEngine(f, inv) }
	f.Emulator = func(ctx context.Context, inv cli.Invocation) int { return runEngine(f, inv) }
	return f
}

// runEngine runs rundeploy-engine with the same command line in place of
// this process (on Unix it inherits the PID, terminal and signals). It
// returns only when the engine cannot be run.
func runEngine(f *cli.Front, inv cli.Invocation) int {
	path, err := findEngine(f.Getenv)
	if err != nil {
		return f.Fail(err)
	}
	env := append(f.Environ[:len(f.Environ):len(f.Environ)], cli.FrontVersionVariable+"="+f.Version)
	if err := wrap.Replace(path, inv.Argv, env); err != nil {
		return f.Fail(fmt.Errorf("running %s: %w", path, err))
	}
	return 0
}

// errNoEngine is returned (wrapped) by findEngine.
var errNoEngine = errors.New("rundeploy-engine, which rundeploy runs to deploy, is not installed")

// findEngine locates rundeploy-engine: $RUNDEPLOY_ENGINE, else beside this
// executable (as installed by Homebrew, the release archives and
// `go install .../cmd/...`; also beside the target of a symbolic link to
// it), else on PATH.
func findEngine(getenv func(string) string) (string, error) {
	if p := getenv(EngineVariable); p != "" {
		return p, nil
	}
	if p, ok := wrap.FindBeside(engineName); ok {
		return p, nil
	}
	if p, err := exec.LookPath("rundeploy-engine"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w beside rundeploy or on PATH. Install both with:\n\n  $ go install github.com/rundeploy/rundeploy/cmd/...@latest\n\nor set %s to its path", errNoEngine, EngineVariable)
}
