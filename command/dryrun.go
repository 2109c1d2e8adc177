package command

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	run "cloud.google.com/go/run/apiv2"
	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/rundeploy/rundeploy/deploy"
	"github.com/rundeploy/rundeploy/preflight"
)

// dryRunError is a dry run that found the deploy would not go through.
type dryRunError struct{ msg string }

func (e *dryRunError) Error() string { return e.msg }
func (e *dryRunError) ExitCode() int { return 1 }

// dryRun validates the planned service with Cloud Run (validate_only),
// shows the grants that would be made and the fields that would change,
// and changes nothing.
func (a *app) dryRun(ctx context.Context, s *session, c *run.ServicesClient, existing *runpb.Service,
	build func(*runpb.Service) (*runpb.Service, error), pf *preflightResult) error {
	desired, err := build(existing)
	if err != nil {
		return err
	}
	var problems []string

	// Grants first: they are why rundeploy exists.
	wouldGrant := s.cmd.Preflight.GrantImageAccess.Set && s.cmd.Preflight.GrantImageAccess.Value
	for _, r := range pf.reports {
		plan := preflight.PlanGrants(r)
		if len(plan.Grants) == 0 {
			continue
		}
		plan.Render(a.Stderr)
		for _, g := range plan.Grants {
			if !g.CanGrant || !wouldGrant {
				problems = append(problems, fmt.Sprintf("%s cannot read the image yet", g.Member))
			}
		}
	}

	// Cloud Run's own validation of the service, with nothing created.
	if existing == nil {
		_, err = c.CreateService(ctx, &runpb.CreateServiceRequest{
			Parent: s.target.Parent(), ServiceId: s.target.Service, Service: desired, ValidateOnly: true,
		})
	} else {
		desired.Name, desired.Etag = s.target.Name(), existing.GetEtag()
		_, err = c.UpdateService(ctx, &runpb.UpdateServiceRequest{Service: desired, ValidateOnly: true})
	}
	if err != nil {
		msg := deploy.APIError(err).Error()
		fmt.Fprintf(a.Stderr, "Cloud Run would reject the service: %s\n", msg)
		problems = append(problems, "Cloud Run would reject the service")
	} else {
		fmt.Fprintln(a.Stderr, "Cloud Run validated the service.")
	}

	writeChanges(a.Stderr, s.target, existing, desired)

	if jsonFormat(s) {
		if err := writeReportsJSON(a.Stdout, pf.reports); err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return &dryRunError{msg: "Dry run: the deploy would not go through: " + strings.Join(problems, "; ") + "."}
	}
	fmt.Fprintln(a.Stderr, "Dry run: nothing was changed; the deploy would go through.")
	return nil
}

func writeReportsJSON(w io.Writer, reports []*preflight.Report) error {
	if len(reports) == 1 {
		return reports[0].WriteJSON(w)
	}
	b, err := json.MarshalIndent(reports, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// outputOnly are the Service fields the server sets: they are not part of
// what a deploy changes.
var outputOnly = map[string]bool{
	"uid": true, "generation": true, "createTime": true, "updateTime": true, "deleteTime": true,
	"expireTime": true, "creator": true, "lastModifier": true, "observedGeneration": true,
	"terminalCondition": true, "conditions": true, "latestReadyRevision": true,
	"latestCreatedRevision": true, "trafficStatuses": true, "uri": true, "urls": true,
	"satisfiesPzs": true, "reconciling": true, "etag": true, "name": true,
	"client": true, "clientVersion": true,
}

// writeChanges prints the fields the deploy would change, one per line.
func writeChanges(w io.Writer, t deploy.Target, existing, desired *runpb.Service) {
	before := flatten(existing)
	after := flatten(desired)
	var keys []string
	seen := map[string]bool{}
	for k := range before {
		keys, seen[k] = append(keys, k), true
	}
	for k := range after {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var lines []string
	for _, k := range keys {
		if strings.Contains(k, "client.knative.dev/nonce") {
			continue // a fresh nonce every deploy: it only forces a new revision
		}
		b, inB := before[k]
		v, inA := after[k]
		switch {
		case inB && inA && b != v:
			lines = append(lines, fmt.Sprintf("  ~ %s: %s → %s", k, b, v))
		case inA && !inB:
			lines = append(lines, fmt.Sprintf("  + %s: %s", k, v))
		case inB && !inA:
			lines = append(lines, fmt.Sprintf("  - %s: %s", k, b))
		}
	}
	if existing == nil {
		fmt.Fprintf(w, "Would create service [%s] in project [%s] region [%s] with:\n", t.Service, t.Project, t.Region)
	} else {
		fmt.Fprintf(w, "Would update service [%s] in project [%s] region [%s]:\n", t.Service, t.Project, t.Region)
	}
	if len(lines) == 0 {
		fmt.Fprintln(w, "  (no field changes; a new revision would be rolled out)")
	}
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

// flatten turns a service into path → JSON value, leaving out output-only
// fields.
func flatten(s *runpb.Service) map[string]string {
	out := map[string]string{}
	if s == nil {
		return out
	}
	b, err := protojson.Marshal(s)
	if err != nil {
		return out
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return out
	}
	for k, v := range m {
		if outputOnly[k] {
			continue
		}
		flattenInto(out, k, v)
	}
	return out
}

func flattenInto(out map[string]string, path string, v any) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			return
		}
		for k, e := range x {
			key := path + "." + k
			if strings.ContainsAny(k, "./") {
				key = fmt.Sprintf("%s[%q]", path, k)
			}
			flattenInto(out, key, e)
		}
	case []any:
		for i, e := range x {
			flattenInto(out, fmt.Sprintf("%s[%d]", path, i), e)
		}
	default:
		b, _ := json.Marshal(x)
		out[path] = string(b)
	}
}
