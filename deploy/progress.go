package deploy

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/briandowns/spinner"
)

// The stage names gcloud shows (command_lib/run/stages.py). Users know them,
// so rundeploy uses the same words.
const (
	StageRevision = "Creating Revision..."
	StageTraffic  = "Routing traffic..."
	StageIAM      = "Setting IAM Policy..."
)

type stageState int

const (
	stagePending stageState = iota
	stageRunning
	stageDone
	stageFailed
)

type stage struct {
	name    string
	state   stageState
	message string
	printed bool // plain tracker: its line has been started
}

// Tracker renders gcloud's staged progress tracker: on a terminal a live
// spinner whose final screen is gcloud's
//
//	✓ Deploying new service... Done.
//	  ✓ Creating Revision...
//	  ✓ Routing traffic...
//	Done.
//
// and elsewhere (CI logs, Makefiles) gcloud's non-interactive form, one line
// per stage in the order the stages start, with a dot per tick:
//
//	Deploying new service...
//	Creating Revision......done
//	Routing traffic.....done
//	Done.
type Tracker struct {
	mu      sync.Mutex
	w       io.Writer
	header  string
	stages  []*stage
	order   []*stage // plain: the order stages started in
	current *stage   // plain: the stage whose line is open
	spin    *spinner.Spinner
	failed  bool
}

// NewTracker starts a tracker with the given header ("Deploying new
// service..." or "Deploying...") and stages. When tty is set, w must be
// the terminal *os.File and a spinner is shown.
func NewTracker(w io.Writer, tty bool, header string, stages ...string) *Tracker {
	t := &Tracker{w: w, header: header}
	for _, s := range stages {
		t.stages = append(t.stages, &stage{name: s})
	}
	if f, ok := w.(*os.File); ok && tty {
		t.spin = spinner.New([]string{"⠛", "⠹", "⠼", "⠶", "⠧", "⠏"}, 100*time.Millisecond,
			spinner.WithWriterFile(f))
		t.spin.Suffix = " " + header
		t.spin.Start()
		return t
	}
	fmt.Fprintln(w, header)
	return t
}

func (t *Tracker) find(name string) *stage {
	for _, s := range t.stages {
		if s.name == name {
			return s
		}
	}
	return nil
}

// Start marks a stage as running. All methods are no-ops on a nil
// Tracker (--async shows no tracker).
func (t *Tracker) Start(name string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.find(name)
	if s == nil || s.state != stagePending {
		return
	}
	s.state = stageRunning
	t.order = append(t.order, s)
	t.refresh()
}

// Tick shows progress on the running stage (a dot in the plain form).
func (t *Tracker) Tick() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.spin == nil && t.current != nil && t.current.state == stageRunning {
		fmt.Fprint(t.w, ".")
	}
}

// Done marks a stage as completed.
func (t *Tracker) Done(name string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.find(name)
	if s == nil || s.state == stageDone || s.state == stageFailed {
		return
	}
	if s.state == stagePending {
		t.order = append(t.order, s)
	}
	s.state = stageDone
	t.refresh()
}

// Fail marks a stage as failed with the given message.
func (t *Tracker) Fail(name, message string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.find(name)
	if s == nil {
		return
	}
	if s.state == stagePending {
		t.order = append(t.order, s)
	}
	s.state, s.message = stageFailed, message
	t.failed = true
	if t.spin != nil {
		t.refresh()
	}
}

// Note shows a message about the deploy as a whole (e.g. what a retry is
// waiting for). On a terminal it joins the live line; in the plain form the
// open stage line is broken, the note printed on its own line, and the
// stage line started again.
func (t *Tracker) Note(msg string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.spin != nil {
		t.spin.Lock()
		t.spin.Suffix = " " + t.header + " " + msg
		t.spin.Unlock()
		return
	}
	if t.current != nil {
		fmt.Fprintln(t.w)
	}
	fmt.Fprintln(t.w, msg)
	if t.current != nil {
		fmt.Fprint(t.w, t.current.name)
	}
}

// refresh updates the display after a state change. Called with t.mu held.
func (t *Tracker) refresh() {
	if t.spin != nil {
		var running []string
		for _, s := range t.stages {
			if s.state == stageRunning {
				running = append(running, strings.TrimSuffix(s.name, "..."))
			}
		}
		suffix := " " + t.header
		if len(running) > 0 {
			suffix += " " + strings.Join(running, ", ") + "..."
		}
		t.spin.Lock()
		t.spin.Suffix = suffix
		t.spin.Unlock()
		return
	}
	// Plain form: one line at a time, in start order.
	for {
		if t.current != nil {
			switch t.current.state {
			case stageDone:
				fmt.Fprintln(t.w, "done")
			case stageFailed:
				fmt.Fprintln(t.w, "failed")
			default:
				return
			}
			t.current = nil
		}
		var next *stage
		for _, s := range t.order {
			if !s.printed {
				next = s
				break
			}
		}
		if next == nil {
			return
		}
		next.printed = true
		t.current = next
		fmt.Fprint(t.w, next.name)
	}
}

// Finish ends the tracker. ok reports overall success; message is the
// header's failure message (the Ready condition's) when !ok.
func (t *Tracker) Finish(ok bool, message string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.spin != nil {
		var b strings.Builder
		mark := "✓"
		tail := "Done."
		if !ok {
			mark, tail = "X", message
		}
		fmt.Fprintf(&b, "%s %s %s\n", mark, t.header, tail)
		for _, s := range t.stages {
			switch s.state {
			case stageDone:
				fmt.Fprintf(&b, "  ✓ %s\n", s.name)
			case stageFailed:
				fmt.Fprintf(&b, "  X %s %s\n", s.name, s.message)
			default:
				fmt.Fprintf(&b, "  . %s\n", s.name)
			}
		}
		if ok {
			b.WriteString("Done.\n")
		} else {
			b.WriteString("Deployment failed\n")
		}
		t.spin.FinalMSG = b.String()
		t.mu.Unlock()
		t.spin.Stop()
		t.mu.Lock()
		return
	}
	if !ok {
		// Close the open line as failed, as gcloud does; stages that have
		// not printed their line yet are not shown.
		if t.current != nil {
			fmt.Fprintln(t.w, "failed")
			t.current = nil
		}
		fmt.Fprintln(t.w, "Deployment failed")
		return
	}
	fmt.Fprintln(t.w, "Done.")
}
