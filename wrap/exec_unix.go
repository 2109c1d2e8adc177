//go:build unix

package wrap

import (
	"os"
	"syscall"
)

// forwardedSignals are relayed to a child started by Exec.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

func terminate(p *os.Process) { _ = p.Signal(syscall.SIGTERM) }

// exitStatus is the shell-style status of a finished process: its exit code,
// or 128+N when signal N killed it. ok is false when there is no state.
func exitStatus(ps *os.ProcessState) (code int, ok bool) {
	if ps == nil {
		return -1, false
	}
	if ws, isWS := ps.Sys().(syscall.WaitStatus); isWS && ws.Signaled() {
		return 128 + int(ws.Signal()), true
	}
	return ps.ExitCode(), true
}

func replace(path string, args []string, env []string) error {
	argv := append([]string{path}, args...)
	if err := syscall.Exec(path, argv, env); err != nil {
		return &os.PathError{Op: "exec", Path: path, Err: err}
	}
	return nil
}
