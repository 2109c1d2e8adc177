//go:build !unix

package wrap

import (
	"os"
)

// forwardedSignals are relayed to a child started by Exec.
var forwardedSignals = []os.Signal{os.Interrupt}

func terminate(p *os.Process) { _ = p.Kill() }

// exitStatus is the exit code of a finished process; ok is false when there
// is no state.
func exitStatus(ps *os.ProcessState) (code int, ok bool) {
	if ps == nil {
		return -1, false
	}
	return ps.ExitCode(), true
}

func replace(path string, args []string, env []string) error {
	return replaceByExec(path, args, env)
}
