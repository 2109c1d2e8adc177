package deploy

// Argument types gcloud converts while parsing (ScaleValue, ScalingValue,
// Duration, the --concurrency and --port validators, choice flags), and the
// scaling, concurrency and timeout changes.

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/rundeploy/rundeploy/cli"
	"github.com/rundeploy/rundeploy/wrap"
)

// scaleValue is gcloud's ScaleValue (--min-instances, --max-instances,
// --min, --max): an instance count or "default".
type scaleValue struct {
	set            bool
	restoreDefault bool
	instanceCount  int32
}

// scalingValue is gcloud's ScalingValue (--scaling): "auto" or a count.
type scalingValue struct {
	set           bool
	auto          bool
	instanceCount int32
}

// parsedValues are the flag values gcloud converts at parse time.
type parsedValues struct {
	minInstances, maxInstances scaleValue
	serviceMin, serviceMax     scaleValue
	scaling                    scalingValue
	concurrency                *int32 // nil: not given; 0: "default"
	timeoutSeconds             int64  // 0: not given
}

func parseScale(s cli.String) (scaleValue, error) {
	if !s.Set {
		return scaleValue{}, nil
	}
	if s.Value == "default" {
		return scaleValue{set: true, restoreDefault: true}, nil
	}
	n, err := parseArgInt(s.Value)
	if err != nil {
		return scaleValue{}, &wrap.ValueError{Command: "gcloud", Msg: fmt.Sprintf("Instance count value %s is not an integer or 'default'.", s.Value)}
	}
	if n < 0 {
		return scaleValue{}, &wrap.ValueError{Command: "gcloud", Msg: fmt.Sprintf("Instance count value %s is negative.", s.Value)}
	}
	if n > math.MaxInt32 {
		return scaleValue{}, &wrap.ValueError{Command: "gcloud", Msg: fmt.Sprintf("Instance count value %s is not an integer or 'default'.", s.Value)}
	}
	return scaleValue{set: true, instanceCount: int32(n)}, nil
}

func parseScaling(s cli.String) (scalingValue, error) {
	if !s.Set {
		return scalingValue{}, nil
	}
	if s.Value == "auto" {
		return scalingValue{set: true, auto: true}, nil
	}
	n, err := parseArgInt(s.Value)
	if err != nil || n > math.MaxInt32 {
		return scalingValue{}, &wrap.ValueError{Command: "gcloud", Msg: fmt.Sprintf("Input value '%s' for --scaling flag is not an integer nor 'auto'.", s.Value)}
	}
	if n < 0 {
		return scalingValue{}, &wrap.ValueError{Command: "gcloud", Msg: fmt.Sprintf("Input value '%s' for --scaling flag should be a positive integer or 'auto'.", s.Value)}
	}
	return scalingValue{set: true, instanceCount: int32(n)}, nil
}

// parseArgInt parses an integer the way Python's int() does for the values users
// type: surrounding whitespace and a sign are allowed.
func parseArgInt(s string) (int64, error) {
	return strconv.ParseInt(strings.TrimSpace(s), 10, 64)
}

// parseValues converts the typed flags, failing with gcloud's argument
// errors. gcloud does this while parsing, before anything else.
func (p *planner) parseValues() error {
	f := p.f
	var err error
	// argparse converts in command-line order; rundeploy uses a fixed order.
	if f.Concurrency.Set {
		c, err := parseConcurrency(f.Concurrency.Value)
		if err != nil {
			return err
		}
		p.v.concurrency = &c
	}
	if f.Timeout.Set {
		if p.v.timeoutSeconds, err = parseTimeout(f.Timeout.Value); err != nil {
			return err
		}
	}
	if p.v.minInstances, err = parseScale(f.MinInstances); err != nil {
		return err
	}
	if p.v.maxInstances, err = parseScale(f.MaxInstances); err != nil {
		return err
	}
	if p.v.serviceMin, err = parseScale(f.Min); err != nil {
		return err
	}
	if p.v.serviceMax, err = parseScale(f.Max); err != nil {
		return err
	}
	if p.v.scaling, err = parseScaling(f.Scaling); err != nil {
		return err
	}
	for _, s := range p.scopes() {
		if s.flags.Port.Set {
			if _, err := parsePort(s.flags.Port.Value); err != nil {
				return err
			}
		}
		for _, pr := range probeFlags(s.flags) {
			if err := checkProbeKeys(pr); err != nil {
				return err
			}
		}
	}
	choices := []struct {
		flag    string
		v       cli.String
		allowed []string
	}{
		{"--ingress", f.Ingress, []string{"all", "internal", "internal-and-cloud-load-balancing"}},
		{"--vpc-egress", f.VpcEgress, []string{"all", "all-traffic", "private-ranges-only"}},
		{"--execution-environment", f.ExecutionEnvironment, []string{"gen1", "gen2"}},
		{"--post-key-revocation-action-type", f.PostKeyRevocationActionType, []string{"prevent-new", "shut-down"}},
	}
	for _, c := range choices {
		if c.v.Set && !contains(c.allowed, c.v.Value) {
			return wrap.ArgumentErrorf("argument %s: Invalid choice: '%s'.", c.flag, c.v.Value)
		}
	}
	return nil
}

// parseConcurrency is flags._ConcurrencyValue: an integer > 0 or "default"
// (returned as 0, the v2 "server default").
func parseConcurrency(v string) (int32, error) {
	if v == "default" {
		return 0, nil
	}
	n, err := parseArgInt(v)
	if err != nil || n <= 0 || n > math.MaxInt32 {
		return 0, wrap.ArgumentErrorf("argument --concurrency: Bad value [%s]: must be an integer greater than 0 or \"default\".", v)
	}
	return int32(n), nil
}

// parsePort is flags._PortValue: 1..65535 or "default" (returned as 0).
func parsePort(v string) (int32, error) {
	if v == "default" {
		return 0, nil
	}
	n, err := parseArgInt(v)
	if err != nil || n < 1 || n > 65535 {
		return 0, wrap.ArgumentErrorf("argument --port: Bad value [%s]: must be an integer between 1 and 65535, inclusive, or \"default\".", v)
	}
	return int32(n), nil
}

// parseTimeout is --timeout's argparse type (ParseTimeout) as whole
// seconds, like gcloud's timeoutSeconds.
func parseTimeout(v string) (int64, error) {
	secs, err := cli.ParseTimeout(v)
	if err != nil {
		return 0, err
	}
	return int64(secs), nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// applyRevisionScaling is flags._GetScalingChanges: --min-instances and
// --max-instances on the revision template (0 or "default" unsets min,
// "default" unsets max).
func (p *planner) applyRevisionScaling() error {
	mn, mx := p.v.minInstances, p.v.maxInstances
	if !mn.set && !mx.set {
		return nil
	}
	t := p.tmpl()
	if t.Scaling == nil {
		t.Scaling = &runpb.RevisionScaling{}
	}
	if mn.set {
		t.Scaling.MinInstanceCount = mn.instanceCount // 0 when restoring the default
	}
	if mx.set {
		t.Scaling.MaxInstanceCount = mx.instanceCount
	}
	return nil
}

// applyServiceScaling is flags._GetServiceScalingChanges: --min, --max and
// --scaling on the service.
func (p *planner) applyServiceScaling() error {
	mn, mx, sc := p.v.serviceMin, p.v.serviceMax, p.v.scaling
	if !mn.set && !mx.set && !sc.set {
		return nil
	}
	if mx.set && sc.set && !sc.auto {
		return wrap.ValueErrorf("Cannot set service max instances when scaling mode is manual.")
	}
	if p.svc.Scaling == nil {
		p.svc.Scaling = &runpb.ServiceScaling{}
	}
	s := p.svc.Scaling
	if mn.set {
		s.MinInstanceCount = mn.instanceCount
	}
	if mx.set {
		// gcloud crashes on --max=default; rundeploy restores the default.
		s.MaxInstanceCount = mx.instanceCount
	}
	if sc.set {
		if sc.auto {
			s.ManualInstanceCount = nil
			s.ScalingMode = runpb.ServiceScaling_AUTOMATIC
		} else {
			s.MinInstanceCount = 0
			s.MaxInstanceCount = 0
			s.ScalingMode = runpb.ServiceScaling_MANUAL
			n := sc.instanceCount
			s.ManualInstanceCount = &n
		}
	}
	return nil
}

// applyConcurrencyTimeout writes --concurrency and --timeout.
func (p *planner) applyConcurrencyTimeout() error {
	t := p.tmpl()
	if p.v.concurrency != nil {
		t.MaxInstanceRequestConcurrency = *p.v.concurrency
	}
	if p.v.timeoutSeconds > 0 {
		t.Timeout = &durationpb.Duration{Seconds: p.v.timeoutSeconds}
	}
	return nil
}
