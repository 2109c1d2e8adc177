package preflight

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/grpc/status"

	"github.com/rundeploy/rundeploy/cli"
)

// Progress is one update while waiting for a grant to take effect.
type Progress struct {
	// Message says what is being waited for.
	Message string
	// Attempt counts the checks (or deploy attempts) so far, from 1.
	Attempt   int
	Elapsed   time.Duration
	Remaining time.Duration
	// Done is set on the last update, when the wait is over (either way).
	Done bool
}

// Waiter waits for IAM changes to propagate. The zero value waits
// cli.DefaultPropagationTimeout with real time; tests inject Now and Sleep.
type Waiter struct {
	// Timeout bounds the wait (--propagation-timeout; default 5m).
	Timeout time.Duration
	// Interval is the pause between checks (default 5s). Deploy retries
	// back off from it up to 30s.
	Interval time.Duration
	// Now and Sleep are the clock (default time.Now and a context-aware timer).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Progress, when set, is told about every attempt (the lead renders a
	// spinner on a terminal, plain lines otherwise).
	Progress func(Progress)
}

// TimeoutError is a grant that did not take effect within the timeout.
// Exit status 1.
type TimeoutError struct {
	What    string
	Timeout time.Duration
	Last    error // the last failure seen, if any
}

func (e *TimeoutError) Error() string {
	msg := fmt.Sprintf("Timed out after %s waiting for %s. IAM changes usually take effect within 2 minutes but can take 7 minutes or longer; rerun the deploy later or raise --propagation-timeout.", e.Timeout, e.What)
	if e.Last != nil {
		msg += " Last error: " + e.Last.Error()
	}
	return msg
}

// ExitCode is the process exit status for this error.
func (e *TimeoutError) ExitCode() int { return 1 }

func (e *TimeoutError) Unwrap() error { return e.Last }

func (w *Waiter) defaults() (timeout, interval time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error) {
	timeout, interval, now, sleep = w.Timeout, w.Interval, w.Now, w.Sleep
	if timeout <= 0 {
		timeout = cli.DefaultPropagationTimeout
	}
	if interval <= 0 {
		interval = 5 * time.Second
	}
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = sleepCtx
	}
	return
}

// poll calls try until it reports done, an error that is not retryable, or
// the timeout. next gives the pause after an attempt.
func (w *Waiter) poll(ctx context.Context, what string, next func(attempt int, interval time.Duration) time.Duration, try func(ctx context.Context) (done bool, retryable error, err error)) error {
	timeout, interval, now, sleep := w.defaults()
	start := now()
	var last error
	for attempt := 1; ; attempt++ {
		done, retryable, err := try(ctx)
		elapsed := now().Sub(start)
		remaining := max(timeout-elapsed, 0)
		report := func(final bool) {
			if w.Progress != nil {
				w.Progress(Progress{Message: what, Attempt: attempt, Elapsed: elapsed, Remaining: remaining, Done: final})
			}
		}
		switch {
		case err != nil:
			report(true)
			return err
		case done:
			report(true)
			return nil
		}
		last = retryable
		if remaining <= 0 {
			report(true)
			return &TimeoutError{What: what, Timeout: timeout, Last: last}
		}
		report(false)
		if err := sleep(ctx, min(next(attempt, interval), remaining)); err != nil {
			return err
		}
	}
}

// WaitForAccess polls, after a grant to the caller, until the caller's
// access to img shows: TestIamPermissions reports downloadArtifacts and the
// registry serves the manifest (either alone when the other cannot be
// asked). It gives up with a *TimeoutError after the timeout.
func (w *Waiter) WaitForAccess(ctx context.Context, c Clients, img Image) error {
	what := fmt.Sprintf("read access to %s to take effect", img.RepositoryName())
	constant := func(_ int, interval time.Duration) time.Duration { return interval }
	return w.poll(ctx, what, constant, func(ctx context.Context) (bool, error, error) {
		if err := ctx.Err(); err != nil {
			return false, nil, err
		}
		var test testResult
		var head headResult
		done := make(chan struct{})
		go func() {
			defer close(done)
			test = testPermissions(ctx, c.AR.TestIamPermissions, img.RepositoryName(), PermDownload)
		}()
		head = headManifest(ctx, c, img)
		<-done
		denied := head.status == http.StatusForbidden || head.status == http.StatusUnauthorized
		switch {
		case test.err == nil && !test.granted[PermDownload]:
			return false, fmt.Errorf("IAM does not report %s on %s yet", PermDownload, img.RepositoryName()), nil
		case denied:
			return false, head.err, nil
		case test.err != nil && head.err != nil:
			return false, fmt.Errorf("%v; %v", test.err, head.err), nil
		}
		return true, nil, nil
	})
}

// RetryDeploy calls deploy until it does not fail with IsImageReadDenied,
// backing off from the interval up to 30s, within the timeout. Use it after
// granting to the Cloud Run service agent (whose access cannot be tested)
// or when the caller's grant shows in IAM before Cloud Run honours it. what
// says what is waited for, e.g. "the Cloud Run service agent's new access to
// projects/p/locations/us/repositories/r". Other errors are returned at once.
func (w *Waiter) RetryDeploy(ctx context.Context, what string, deploy func(ctx context.Context) error) error {
	backoff := func(attempt int, interval time.Duration) time.Duration {
		d := interval
		for i := 1; i < attempt && d < 30*time.Second; i++ {
			d *= 2
		}
		return min(d, max(30*time.Second, interval))
	}
	return w.poll(ctx, what, backoff, func(ctx context.Context) (bool, error, error) {
		err := deploy(ctx)
		switch {
		case err == nil:
			return true, nil, nil
		case IsImageReadDenied(err):
			return false, err, nil
		}
		return false, nil, err
	})
}

// IsImageReadDenied reports whether err is Cloud Run refusing an image
// because a principal may not read it: the synchronous PERMISSION_DENIED
// "User must have permission to read the image, …" of create/update (the
// deployer), and the revision/operation failure "Google Cloud Run Service
// Agent service-N@… must have permission to read the image, …" (the
// service agent). Both can be IAM propagation delay after a fresh grant.
func IsImageReadDenied(err error) bool {
	if err == nil {
		return false
	}
	msgs := []string{err.Error()}
	var ae *apierror.APIError
	if errors.As(err, &ae) {
		msgs = append(msgs, ae.GRPCStatus().Message())
	} else if s, ok := status.FromError(err); ok {
		msgs = append(msgs, s.Message())
	}
	for _, m := range msgs {
		l := strings.ToLower(m)
		if strings.Contains(l, "permission to read the image") || strings.Contains(l, "container_permission_denied") {
			return true
		}
	}
	return false
}
