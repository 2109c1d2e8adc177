package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"cloud.google.com/go/iam/apiv1/iampb"
	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	run "cloud.google.com/go/run/apiv2"
	"cloud.google.com/go/run/apiv2/runpb"
	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"
)

// InvokerChange is what --[no-]allow-unauthenticated (or the prompt) asks
// of the service's IAM policy.
type InvokerChange int

const (
	// InvokerUnchanged leaves the service's IAM policy alone.
	InvokerUnchanged InvokerChange = iota
	// InvokerAllowAll adds allUsers to roles/run.invoker.
	InvokerAllowAll
	// InvokerRestrict removes allUsers from roles/run.invoker.
	InvokerRestrict
)

const (
	invokerRole = "roles/run.invoker"
	allUsers    = "allUsers"
)

// Deployment is one create-or-update of a Cloud Run service and the wait
// for it, reported like gcloud reports it.
type Deployment struct {
	Client *run.ServicesClient
	Target Target
	// Existing is the service as read before planning; nil means create.
	Existing *runpb.Service
	// Build returns the service to send given the current one (nil on
	// create). It is called again after a concurrent modification.
	Build func(existing *runpb.Service) (*runpb.Service, error)

	Invoker InvokerChange
	Async   bool

	// Stderr receives the progress tracker; TTY selects the live form.
	Stderr io.Writer
	TTY    bool

	// Retry, when set, runs each attempt at the deploy (send, and wait
	// unless Async) and decides whether a failure is worth another attempt:
	// it is how a fresh IAM grant's propagation is waited out. May be nil.
	// note shows what a retry is waiting for inside the progress tracker.
	Retry func(ctx context.Context, note func(string), attempt func(context.Context) error) error

	// WaitTimeout is the long-poll timeout of each operations :wait call
	// (default 5s). Completion is seen as soon as the server answers.
	WaitTimeout time.Duration
}

// Outcome is what a deployment produced.
type Outcome struct {
	Service *runpb.Service // the service as the finished operation returned it
	Created bool
	Async   bool
	// IAMWarning is set when setting the invoker policy failed; the deploy
	// itself went through (gcloud warns and goes on).
	IAMWarning string
}

// FailedError is a deployment whose revision did not become ready (exit 1).
type FailedError struct{ Msg string }

func (e *FailedError) Error() string { return e.Msg }

// ExitCode is the process exit status.
func (e *FailedError) ExitCode() int { return 1 }

// Apply sends the service and, unless Async, waits for it to be ready.
func (d *Deployment) Apply(ctx context.Context) (*Outcome, error) {
	out := &Outcome{Created: d.Existing == nil, Async: d.Async}
	var tr *Tracker
	if !d.Async {
		header := "Deploying..."
		if out.Created {
			header = "Deploying new service..."
		}
		stages := []string{StageRevision}
		// gcloud shows the stage for a new service, or when the traffic
		// of the service as it was routes to the latest revision.
		if out.Created || routesLatest(d.Existing) {
			stages = append(stages, StageTraffic)
		}
		if d.Invoker != InvokerUnchanged {
			stages = append(stages, StageIAM)
		}
		tr = NewTracker(d.Stderr, d.TTY, header, stages...)
	}

	invokerDone := false
	var err error
	attempt := func(ctx context.Context) error {
		sent, opName, err := d.send(ctx)
		if err != nil {
			return err
		}
		out.Service = sent
		if d.Invoker != InvokerUnchanged && !invokerDone {
			// gcloud sets the policy right after the create/update,
			// before waiting, and also with --async.
			invokerDone = true
			tr.Start(StageIAM)
			if err := d.setInvoker(ctx); err != nil {
				out.IAMWarning = fmt.Sprintf("Setting IAM policy failed, try \"gcloud beta run services add-iam-policy-binding --region=%s --member=allUsers --role=roles/run.invoker %s\"", d.Target.Region, d.Target.Service)
				tr.Fail(StageIAM, out.IAMWarning)
			} else {
				tr.Done(StageIAM)
			}
		}
		if d.Async {
			return nil
		}
		tr.Start(StageRevision)
		tr.Start(StageTraffic)
		svc, err := d.wait(ctx, opName, tr)
		if err != nil {
			return err
		}
		out.Service = svc
		return nil
	}
	if d.Retry != nil {
		note := func(msg string) {
			if tr != nil {
				tr.Note(msg)
			} else {
				fmt.Fprintln(d.Stderr, msg)
			}
		}
		err = d.Retry(ctx, note, attempt)
	} else {
		err = attempt(ctx)
	}
	if err != nil {
		if tr != nil {
			msg := err.Error()
			var failed *FailedError
			if errors.As(err, &failed) {
				tr.Fail(StageRevision, failed.Msg)
			}
			tr.Finish(false, msg)
		}
		return nil, err
	}
	if tr != nil {
		tr.Done(StageRevision)
		tr.Done(StageTraffic)
		// A failed IAM stage is already shown; the deploy itself succeeded.
		tr.Finish(true, "")
	}
	return out, nil
}

// routesLatest reports whether the service's traffic includes the latest
// revision, i.e. whether gcloud would show the "Routing traffic..." stage.
func routesLatest(s *runpb.Service) bool {
	if len(s.GetTraffic()) == 0 {
		return true
	}
	for _, t := range s.GetTraffic() {
		if t.GetType() == runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST {
			return true
		}
	}
	return false
}

// send creates or updates the service, re-reading and re-planning on a
// concurrent modification.
func (d *Deployment) send(ctx context.Context) (*runpb.Service, string, error) {
	existing := d.Existing
	conflicts := 0
	for {
		desired, err := d.Build(existing)
		if err != nil {
			return nil, "", err
		}
		var opName string
		if existing == nil {
			var op *run.CreateServiceOperation
			op, err = d.Client.CreateService(ctx, &runpb.CreateServiceRequest{
				Parent:    d.Target.Parent(),
				ServiceId: d.Target.Service,
				Service:   desired,
			})
			if err == nil {
				opName = op.Name()
			}
		} else {
			desired.Name = d.Target.Name()
			desired.Etag = existing.GetEtag()
			var op *run.UpdateServiceOperation
			op, err = d.Client.UpdateService(ctx, &runpb.UpdateServiceRequest{Service: desired})
			if err == nil {
				opName = op.Name()
			}
		}
		if err == nil {
			return desired, opName, nil
		}
		if isConflict(err) && conflicts < 5 {
			// Someone changed (or created) the service since we read it:
			// read it again and re-apply the flags to what is there now.
			conflicts++
			existing, err = d.get(ctx)
			if err != nil {
				return nil, "", err
			}
			continue
		}
		return nil, "", APIError(err)
	}
}

func (d *Deployment) get(ctx context.Context) (*runpb.Service, error) {
	svc, err := d.Client.GetService(ctx, &runpb.GetServiceRequest{Name: d.Target.Name()})
	if IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, APIError(err)
	}
	return svc, nil
}

// Get reads the service; a missing service is (nil, nil).
func Get(ctx context.Context, c *run.ServicesClient, t Target) (*runpb.Service, error) {
	d := Deployment{Client: c, Target: t}
	return d.get(ctx)
}

// wait long-polls the operation until it is done, showing progress.
func (d *Deployment) wait(ctx context.Context, name string, tr *Tracker) (*runpb.Service, error) {
	timeout := d.WaitTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	for {
		op, err := d.Client.WaitOperation(ctx, &longrunningpb.WaitOperationRequest{
			Name:    name,
			Timeout: durationpb.New(timeout),
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if isRetryable(err) {
				continue
			}
			return nil, APIError(err)
		}
		if meta := op.GetMetadata(); meta != nil {
			var m runpb.Service
			if meta.UnmarshalTo(&m) == nil && revisionReady(&m) {
				tr.Done(StageRevision)
			}
		}
		if !op.GetDone() {
			tr.Tick()
			continue
		}
		if st := op.GetError(); st != nil {
			return nil, &FailedError{Msg: st.GetMessage()}
		}
		var svc runpb.Service
		if err := op.GetResponse().UnmarshalTo(&svc); err != nil {
			return nil, fmt.Errorf("reading the finished operation %s: %w", name, err)
		}
		if tc := svc.GetTerminalCondition(); tc != nil && tc.GetState() == runpb.Condition_CONDITION_FAILED {
			return nil, &FailedError{Msg: tc.GetMessage()}
		}
		return &svc, nil
	}
}

// revisionReady reports whether the service's configuration (its latest
// revision) is ready, which ends the "Creating Revision..." stage.
func revisionReady(s *runpb.Service) bool {
	for _, c := range s.GetConditions() {
		if c.GetType() == "ConfigurationsReady" && c.GetState() == runpb.Condition_CONDITION_SUCCEEDED {
			return true
		}
	}
	return false
}

// setInvoker adds or removes allUsers on roles/run.invoker with a
// read-modify-write of the service's policy, keeping everything else.
func (d *Deployment) setInvoker(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		p, err := d.Client.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{
			Resource: d.Target.Name(),
			Options:  &iampb.GetPolicyOptions{RequestedPolicyVersion: 3},
		})
		if err != nil {
			return err
		}
		if !editInvoker(p, d.Invoker) {
			return nil
		}
		_, err = d.Client.SetIamPolicy(ctx, &iampb.SetIamPolicyRequest{Resource: d.Target.Name(), Policy: p})
		if err == nil {
			return nil
		}
		if !isConflict(err) || attempt >= 4 {
			return err
		}
	}
}

// editInvoker applies c to p and reports whether p changed. Conditional
// bindings are never touched.
func editInvoker(p *iampb.Policy, c InvokerChange) bool {
	switch c {
	case InvokerAllowAll:
		for _, b := range p.Bindings {
			if b.Role == invokerRole && b.Condition == nil {
				for _, m := range b.Members {
					if m == allUsers {
						return false
					}
				}
				b.Members = append(b.Members, allUsers)
				return true
			}
		}
		p.Bindings = append(p.Bindings, &iampb.Binding{Role: invokerRole, Members: []string{allUsers}})
		return true
	case InvokerRestrict:
		changed := false
		kept := p.Bindings[:0]
		for _, b := range p.Bindings {
			if b.Role == invokerRole && b.Condition == nil {
				members := b.Members[:0]
				for _, m := range b.Members {
					if m == allUsers {
						changed = true
						continue
					}
					members = append(members, m)
				}
				b.Members = members
				if len(b.Members) == 0 {
					continue
				}
			}
			kept = append(kept, b)
		}
		p.Bindings = kept
		return changed
	}
	return false
}

// AllowsAllUsers reports whether the service's policy lets allUsers invoke
// it (used for the "Proxy locally with" hint). Errors count as public, as
// in gcloud.
func AllowsAllUsers(ctx context.Context, c *run.ServicesClient, t Target) bool {
	p, err := c.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: t.Name()})
	if err != nil {
		return true
	}
	for _, b := range p.GetBindings() {
		if b.GetRole() == invokerRole && b.GetCondition() == nil {
			for _, m := range b.GetMembers() {
				if m == allUsers {
					return true
				}
			}
		}
	}
	return false
}

// CanSetIamPolicy reports whether the caller may change the service's IAM
// policy (gcloud asks before offering the allow-unauthenticated prompt).
func CanSetIamPolicy(ctx context.Context, c *run.ServicesClient, t Target) bool {
	r, err := c.TestIamPermissions(ctx, &iampb.TestIamPermissionsRequest{
		Resource:    t.Name(),
		Permissions: []string{"run.services.setIamPolicy"},
	})
	if err != nil {
		return false
	}
	return len(r.GetPermissions()) > 0
}

// IsNotFound reports a NOT_FOUND API error.
func IsNotFound(err error) bool {
	var ae *apierror.APIError
	return errors.As(err, &ae) && (ae.HTTPCode() == http.StatusNotFound || ae.GRPCStatus().Code() == codes.NotFound)
}

func isConflict(err error) bool {
	var ae *apierror.APIError
	if !errors.As(err, &ae) {
		return false
	}
	if ae.HTTPCode() == http.StatusConflict {
		return true
	}
	switch ae.GRPCStatus().Code() {
	case codes.Aborted, codes.AlreadyExists:
		return true
	}
	return false
}

func isRetryable(err error) bool {
	var ae *apierror.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.HTTPCode() {
	case http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// APIError turns a Google API error into the text gcloud shows after
// "ERROR: (gcloud.run.deploy) ", e.g. "PERMISSION_DENIED: User must have
// permission to read the image, …".
func APIError(err error) error {
	var ae *apierror.APIError
	if !errors.As(err, &ae) {
		return err
	}
	status := ""
	if s := ae.GRPCStatus(); s != nil && s.Code() != codes.OK && s.Code() != codes.Unknown {
		status = codeName(s.Code())
	}
	msg := ae.Details().String()
	if s := ae.GRPCStatus(); s != nil {
		msg = s.Message()
	}
	if msg == "" {
		msg = ae.Error()
	}
	if status == "" {
		return &apiError{msg: msg, err: err}
	}
	return &apiError{msg: status + ": " + msg, err: err}
}

type apiError struct {
	msg string
	err error
}

func (e *apiError) Error() string { return e.msg }
func (e *apiError) Unwrap() error { return e.err }

// codeName is the canonical upper-case status name ("PERMISSION_DENIED").
func codeName(c codes.Code) string {
	s := c.String()
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}
