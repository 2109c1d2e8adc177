package preflight

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/api/googleapi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakeClock is a clock whose Sleep advances time at once.
type fakeClock struct {
	now    time.Time
	slept  []time.Duration
	onWake func(n int)
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	if c.onWake != nil {
		c.onWake(len(c.slept))
	}
	return nil
}

func imageDenied(msg string) error {
	herr := &googleapi.Error{Code: 403, Message: msg, Body: fmt.Sprintf(`{"error":{"code":403,"status":"PERMISSION_DENIED","message":%q}}`, msg)}
	ae, _ := apierror.FromError(herr)
	return ae
}

const userDenied = "User must have permission to read the image, us-central1-docker.pkg.dev/my-proj/apps/web:v3. Ensure that the provided container image URL is correct and that the above account has permission to access the image."

func TestIsImageReadDenied(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"deployer, REST", imageDenied(userDenied), true},
		{"deployer, wrapped", fmt.Errorf("creating service: %w", imageDenied(userDenied)), true},
		{"service agent, LRO status", status.Error(codes.FailedPrecondition, "Revision 'web-00002-abc' is not ready and cannot serve traffic. Google Cloud Run Service Agent service-123@serverless-robot-prod.iam.gserviceaccount.com must have permission to read the image, us-central1-docker.pkg.dev/other/apps/web:v3."), true},
		{"condition reason", errors.New("CONTAINER_PERMISSION_DENIED: image cannot be pulled"), true},
		{"other permission", imageDenied("Permission 'run.services.create' denied on resource 'projects/p/locations/r/services/s' (or it may not exist)."), false},
		{"image missing", status.Error(codes.InvalidArgument, "Image 'us-docker.pkg.dev/p/r/x:1' not found."), false},
		{"plain", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsImageReadDenied(tt.err); got != tt.want {
				t.Errorf("IsImageReadDenied(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestRetryDeploy(t *testing.T) {
	tests := []struct {
		name      string
		failures  int   // image-read denials before success
		other     error // returned after the denials instead of success
		timeout   time.Duration
		wantErr   string
		wantSleep []time.Duration
	}{
		{name: "first try", failures: 0},
		{name: "after backoff", failures: 4, timeout: 5 * time.Minute,
			wantSleep: []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 30 * time.Second}},
		{name: "times out", failures: 100, timeout: time.Minute, wantErr: "Timed out after 1m0s waiting for the service agent",
			wantSleep: []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 25 * time.Second}},
		{name: "other error at once", failures: 1, other: errors.New("quota"), timeout: time.Minute, wantErr: "quota",
			wantSleep: []time.Duration{5 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			var updates []Progress
			w := &Waiter{Timeout: tt.timeout, Now: clock.Now, Sleep: clock.Sleep, Progress: func(p Progress) { updates = append(updates, p) }}
			calls := 0
			err := w.RetryDeploy(context.Background(), "the service agent", func(ctx context.Context) error {
				calls++
				if calls <= tt.failures {
					return imageDenied(userDenied)
				}
				return tt.other
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("RetryDeploy() = %v, want error containing %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("RetryDeploy() = %v", err)
			}
			if fmt.Sprint(clock.slept) != fmt.Sprint(tt.wantSleep) {
				t.Errorf("slept %v, want %v", clock.slept, tt.wantSleep)
			}
			if len(updates) == 0 || !updates[len(updates)-1].Done || updates[0].Message != "the service agent" {
				t.Errorf("progress updates %+v", updates)
			}
			var te *TimeoutError
			if errors.As(err, &te) && (te.ExitCode() != 1 || !IsImageReadDenied(te)) {
				t.Errorf("TimeoutError does not carry the last denial: %v", te)
			}
		})
	}
}

func TestRetryDeployCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	clock := newFakeClock()
	clock.onWake = func(int) { cancel() }
	w := &Waiter{Now: clock.Now, Sleep: clock.Sleep}
	err := w.RetryDeploy(ctx, "x", func(ctx context.Context) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return imageDenied(userDenied)
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("RetryDeploy() = %v, want context.Canceled", err)
	}
}
