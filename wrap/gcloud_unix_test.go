//go:build unix

package wrap

import (
	"context"
	"os"
	"syscall"
	"testing"

	"github.com/rundeploy/rundeploy/internal/gcloudtest"
)

func TestExecForwardsSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			path, _ := gcloudtest.WriteFake(t, t.TempDir(), gcloudtest.Fake{Script: "trap 'exit 7' HUP INT TERM\necho ready\nwhile :; do sleep 0.01; done\n"})
			w := &readyWriter{ready: make(chan struct{})}
			go func() {
				<-w.ready
				// Sent to this (test) process: Exec must relay it instead of
				// letting it kill us.
				syscall.Kill(os.Getpid(), sig)
			}()
			code, err := Exec(context.Background(), path, nil, nil, nil, w, nil)
			if err != nil || code != 7 {
				t.Errorf("Exec = %d, %v; want 7 (the child got %v)", code, err, sig)
			}
		})
	}
}
