// Package retry is rundeploy's one policy for calls that meet a transient
// failure: which errors are worth another attempt (HTTP 429, 500, 502, 503,
// 504, a reset or cut connection), how long to wait before it (jittered
// exponential backoff, or the server's Retry-After when it asks for
// longer), and how many attempts a call gets. It plugs into the Google
// client libraries as gax call options, and its Backoff paces loops that
// are not one call (the operation wait).
//
// Which calls may be retried is the caller's decision: reads always; a
// create, because an AlreadyExists answer to the retry is re-read by the
// deploy; writes guarded by an etag, because a retry of an applied write is
// refused as a conflict and re-planned from a fresh read.
package retry

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/googleapis/gax-go/v2"
	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/api/googleapi"
)

// Policy is how transient failures are retried.
type Policy struct {
	// Attempts bounds the attempts of one call, the first included
	// (default 6).
	Attempts int
	// Initial and Max bound the pause between attempts, which grows by
	// Multiplier with full jitter (defaults 500ms, 8s, 2).
	Initial, Max time.Duration
	Multiplier   float64
	// MaxRetryAfter caps how long a Retry-After header may make a call
	// wait (default 30s): longer asks end the retries.
	MaxRetryAfter time.Duration
	// Notify, when set, is told of each retry before its pause: the call's
	// name, the attempt about to be made (2 for the first retry), the pause
	// and the error that caused it. It is how retries are shown at
	// --verbosity=info and inside the progress tracker.
	Notify func(call string, attempt int, pause time.Duration, err error)
}

// Default is the policy for every call rundeploy makes.
var Default = Policy{}

func (p Policy) attempts() int {
	if p.Attempts <= 0 {
		return 6
	}
	return p.Attempts
}

// Backoff returns a fresh gax.Backoff with the policy's bounds.
func (p Policy) Backoff() *gax.Backoff {
	b := &gax.Backoff{Initial: p.Initial, Max: p.Max, Multiplier: p.Multiplier}
	if b.Initial <= 0 {
		b.Initial = 500 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 8 * time.Second
	}
	if b.Multiplier < 1 {
		b.Multiplier = 2
	}
	return b
}

// Retryer returns a gax.Retryer for one call named call (shown by Notify).
func (p Policy) Retryer(call string) gax.Retryer {
	return &retryer{p: p, call: call, bo: p.Backoff()}
}

// CallOptions are the gax options of one call: its deadline (covering every
// attempt; a context that already has one keeps it) and the retries.
func (p Policy) CallOptions(call string, timeout time.Duration) []gax.CallOption {
	return []gax.CallOption{
		gax.WithTimeout(timeout),
		gax.WithRetry(func() gax.Retryer { return p.Retryer(call) }),
	}
}

type retryer struct {
	p    Policy
	call string
	bo   *gax.Backoff
	n    int // retries so far
}

func (r *retryer) Retry(err error) (time.Duration, bool) {
	if r.n+1 >= r.p.attempts() || !Transient(err) {
		return 0, false
	}
	pause := r.bo.Pause()
	if ra, ok := RetryAfter(err); ok {
		limit := r.p.MaxRetryAfter
		if limit <= 0 {
			limit = 30 * time.Second
		}
		if ra > limit {
			return 0, false
		}
		if ra > pause {
			// A little jitter on top, so that clients told the same
			// instant do not all come back at once.
			pause = ra + time.Duration(rand.Int64N(int64(ra/10)+1))
		}
	}
	r.n++
	if r.p.Notify != nil {
		r.p.Notify(r.call, r.n+1, pause, err)
	}
	return pause, true
}

// Transient reports whether err is worth another attempt: HTTP 429, 500,
// 502, 503 or 504 from a Google API, or a connection that was reset or cut
// before the answer arrived.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	switch Status(err) {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case 0:
	default:
		return false
	}
	return Disconnected(err)
}

// Disconnected reports an error of the connection rather than an answer:
// reset, refused mid-way, closed before a response, or an HTTP/2 stream the
// server reset or went away from. The request may or may not have been
// applied.
func Disconnected(err error) bool {
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && !ne.Timeout() {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "read" {
			return true
		}
	}
	// net/http's bundled HTTP/2 errors have no exported types.
	s := err.Error()
	return strings.Contains(s, "stream error") || strings.Contains(s, "GOAWAY") ||
		strings.Contains(s, "server closed idle connection") || strings.Contains(s, "connection reset")
}

// Status is the HTTP status code of a Google API error, or 0.
func Status(err error) int {
	var ae *apierror.APIError
	if errors.As(err, &ae) && ae.HTTPCode() > 0 {
		return ae.HTTPCode()
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	return 0
}

// RetryAfter is the pause a Google API error's Retry-After header asks for
// (seconds or an HTTP date).
func RetryAfter(err error) (time.Duration, bool) {
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Header == nil {
		return 0, false
	}
	v := strings.TrimSpace(ge.Header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := time.Until(t)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}
