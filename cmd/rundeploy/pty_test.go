package main

// Terminal tests: rundeploy on a pseudo-terminal (stdin, stdout and stderr)
// asks before granting image access, and shows gcloud's live progress
// tracker.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/rundeploy/rundeploy/internal/fakegcp"
)

// terminal is a running rundeploy whose controlling terminal is a pty.
type terminal struct {
	t    *testing.T
	cmd  *exec.Cmd
	ptmx io.ReadWriteCloser

	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{} // closed when the pty has no more output
}

// startTerminal starts rundeploy with args on a new pty.
func (w *world) startTerminal(args ...string) *terminal {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	w.t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append([]string{}, w.env...)
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 200})
	if err != nil {
		w.t.Fatalf("starting rundeploy on a pty: %v", err)
	}
	term := &terminal{t: w.t, cmd: cmd, ptmx: ptmx, done: make(chan struct{})}
	w.t.Cleanup(func() { ptmx.Close() })
	go func() {
		defer close(term.done)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				// EIO: every process holding the terminal has exited.
				if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.EIO) && !errors.Is(err, io.ErrClosedPipe) {
					w.t.Errorf("reading the pty: %v", err)
				}
				return
			}
		}
	}()
	return term
}

// output is everything rundeploy wrote to the terminal so far.
func (term *terminal) output() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.String()
}

// waitFor waits until the terminal shows s.
func (term *terminal) waitFor(s string) {
	term.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(term.output(), s) {
		select {
		case <-term.done:
			if strings.Contains(term.output(), s) {
				return
			}
			term.t.Fatalf("rundeploy ended without showing %q:\n%s", s, term.output())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("the terminal did not show %q:\n%s", s, term.output())
		}
	}
}

// answer types line and Enter.
func (term *terminal) answer(line string) {
	term.t.Helper()
	if _, err := io.WriteString(term.ptmx, line+"\r"); err != nil {
		term.t.Fatalf("typing %q: %v", line, err)
	}
}

// wait waits for rundeploy to exit and returns its exit status and what
// the terminal showed, with "\r\n" as "\n" and control sequences removed.
func (term *terminal) wait() (int, string) {
	term.t.Helper()
	err := term.cmd.Wait()
	<-term.done
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		term.t.Fatalf("running rundeploy: %v", err)
	}
	return code, screenText(term.output())
}

var controlSequence = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// screenText turns terminal output into plain lines.
func screenText(s string) string {
	s = controlSequence.ReplaceAllString(s, "")
	return strings.ReplaceAll(s, "\r\n", "\n")
}

// TestTerminalGrantPrompt: case A on a terminal. rundeploy asks before
// granting; "y" grants (one reader binding, nothing else changed) and
// deploys with the live tracker, "n" stops with the remedy and writes
// nothing.
func TestTerminalGrantPrompt(t *testing.T) {
	t.Parallel()
	cases := []struct {
		scope    string
		setup    func(w *world)
		resource string
		prompt   string
		remedy   string
	}{
		{
			scope:    "repository",
			setup:    (*world).canGrantOnRepository,
			resource: repoA,
			prompt:   "Grant roles/artifactregistry.reader on repository apps (my-proj, us-central1) to " + ciMember + "? (y/N) ",
			remedy:   remedyA,
		},
		{
			scope:    "project",
			setup:    (*world).canGrantOnProject,
			resource: "projects/my-proj",
			prompt:   "Grant roles/artifactregistry.reader on project my-proj to " + ciMember + "? (y/N) ",
			remedy:   remedyAProject,
		},
	}
	for _, c := range cases {
		for _, yes := range []bool{true, false} {
			name := c.scope + "/n"
			if yes {
				name = c.scope + "/y"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				w := newWorld(t, fakegcp.Options{})
				c.setup(w)
				before := w.seedPolicy(c.resource)
				// --no-allow-unauthenticated: a caller who may set the
				// service's policy would be asked about invokers too.
				term := w.startTerminal("web", "--image", imageA, "--grant-scope="+c.scope, "--no-allow-unauthenticated")
				term.waitFor(c.prompt)
				if n := len(w.requestsMatching(isWrite)); n != 0 {
					t.Errorf("%d writes before the answer", n)
				}
				if yes {
					term.answer("y")
				} else {
					term.answer("n")
				}
				code, screen := term.wait()
				if !yes {
					if code != 1 {
						t.Fatalf("exit status %d, want 1:\n%s", code, screen)
					}
					wantContains(t, "terminal", screen,
						"ERROR: (gcloud.run.deploy) Image access was not granted, so nothing was deployed.\n",
						"To grant it yourself, run:\n  "+c.remedy+"\n")
					w.wantNoWrites()
					return
				}
				if code != 0 {
					t.Fatalf("exit status %d, want 0:\n%s", code, screen)
				}
				wantContains(t, "terminal", screen,
					"Granted roles/artifactregistry.reader on ",
					"✓ Deploying new service... Done.\n",
					"  ✓ Creating Revision...\n",
					"  ✓ Routing traffic...\n",
					"Service [web] revision [web-00001-")
				wantOneReaderBindingAdded(t, before, w.s.Policy(c.resource), ciMember)
				w.wantSetIamPolicies(1)
				w.service("web")
			})
		}
	}
}

// TestTerminalServiceAgentRetry: case B on a terminal with
// --grant-image-access. The grant to the service agent propagates while
// the deploy is retried inside the live tracker, whose spinner stays alone
// on its line, and the tracker's final screen shows the success.
func TestTerminalServiceAgentRetry(t *testing.T) {
	t.Parallel()
	w := newCrossWorld(t, fakegcp.Options{PropagationDelay: 300 * time.Millisecond})
	w.canReviewImagesProj()
	w.s.Grant(repoB, "roles/artifactregistry.admin", ciMember)
	term := w.startTerminal("web", "--image", imageB, "--project", runProj, "--grant-image-access", "--propagation-timeout=2s")
	code, screen := term.wait()
	if code != 0 {
		t.Fatalf("exit status %d, want 0:\n%s", code, screen)
	}
	wantContains(t, "terminal", screen,
		"Granted roles/artifactregistry.reader on repository apps (images-proj, us-central1) to "+agentB+".\n",
		"✓ Deploying new service... Done.\n",
		"  ✓ Creating Revision...\n",
		"Service [web] revision [web-00002-")
	// The wait is shown inside the tracker's live line, by the tracker's
	// own (single) spinner.
	raw := term.output()
	if !strings.Contains(raw, "Deploying new service... Waiting for Cloud Run to see the new image access") {
		t.Errorf("the retry wait is not shown in the tracker's line:\n%q", raw)
	}
	if n := strings.Count(raw, "\x1b[?25l"); n != 1 {
		t.Errorf("%d spinners started, want the tracker's only:\n%q", n, raw)
	}
	if n := len(w.requestsMatching(isServiceWrite)); n < 2 {
		t.Errorf("%d create/update requests, want a refused one and a retry", n)
	}
}
