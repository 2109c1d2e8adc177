package deploy

// Revisions and traffic: the change that forces a new revision on every
// deploy, --revision-suffix, --tag and --no-traffic.

import (
	"fmt"
	"sort"
	"strings"

	"cloud.google.com/go/run/apiv2/runpb"

	"github.com/rundeploy/rundeploy/wrap"
)

// nonceLabel is the template label gcloud sets to force a new revision when
// it does not name the revision. v2 rejects labels only in the
// run.googleapis.com, cloud.googleapis.com, serving.knative.dev and
// autoscaling.knative.dev namespaces, so the label gcloud uses is accepted,
// and services deployed by gcloud already carry it (docs/differences.md).
const nonceLabel = "client.knative.dev/nonce"

const maxResourceNameLength = 63

// generateName reports whether the revision gets a generated name
// (deploy.py: --revision-suffix or --tag given).
func (p *planner) generateName() bool {
	return p.f.RevisionSuffix.Set || p.f.Tag.Set
}

// forceRevisionName is serverless_operations._NewRevisionForcingChange:
// {service}-{generation+1:05d}-{cvc}, and no nonce label.
func (p *planner) forceRevisionName() error {
	if !p.generateName() {
		return nil
	}
	w, err := p.rnd.word()
	if err != nil {
		return err
	}
	t := p.tmpl()
	delete(t.Labels, nonceLabel)
	gen := p.existing.GetGeneration()
	suffix := fmt.Sprintf("%05d-%s", gen+1, w)
	t.Revision = revisionName(p.t.Service, suffix)
	return nil
}

// revisionName is RevisionNameChanges: the service name, shortened so that
// the result fits in 63 characters, a dash and the suffix.
func revisionName(service, suffix string) string {
	max := maxResourceNameLength - len(suffix) - 1
	if max < 0 {
		max = 0
	}
	if len(service) > max {
		service = service[:max]
	}
	return service + "-" + suffix
}

// applyRevisionSuffix is RevisionNameChanges: "" leaves naming to the
// server.
func (p *planner) applyRevisionSuffix() error {
	if !p.f.RevisionSuffix.Set {
		return nil
	}
	t := p.tmpl()
	if p.f.RevisionSuffix.Value == "" {
		t.Revision = ""
		return nil
	}
	t.Revision = revisionName(p.t.Service, p.f.RevisionSuffix.Value)
	return nil
}

// forceRevisionNonce is _NewRevisionNonceChange: a random nonce label and
// no revision name, so that every deploy rolls out a new revision even when
// the template is otherwise unchanged.
func (p *planner) forceRevisionNonce() error {
	if p.generateName() {
		return nil
	}
	n, err := p.rnd.nonce()
	if err != nil {
		return err
	}
	t := p.tmpl()
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	t.Labels[nonceLabel] = n
	t.Revision = ""
	return nil
}

func latestTarget(percent int32) *runpb.TrafficTarget {
	return &runpb.TrafficTarget{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, Percent: percent}
}

func revisionTarget(rev string, percent int32, tag string) *runpb.TrafficTarget {
	return &runpb.TrafficTarget{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, Revision: rev, Percent: percent, Tag: tag}
}

func isLatest(t *runpb.TrafficTarget) bool {
	return t.GetType() == runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
}

// applyTag is TagOnDeployChange / TrafficTargets.UpdateTags: the tag moves
// to the new revision; targets left with no traffic and no tag are dropped;
// a service with no traffic section gets LATEST 100% first.
func (p *planner) applyTag() error {
	if !p.f.Tag.Set || p.f.Tag.Value == "" {
		return nil
	}
	tag := p.f.Tag.Value
	if len(p.svc.Traffic) == 0 {
		p.svc.Traffic = []*runpb.TrafficTarget{latestTarget(100)}
	}
	var out []*runpb.TrafficTarget
	for _, t := range p.svc.Traffic {
		if t.GetTag() == tag {
			t.Tag = ""
		}
		if t.GetPercent() != 0 || t.GetTag() != "" {
			out = append(out, t)
		}
	}
	out = append(out, revisionTarget(p.tmpl().Revision, 0, tag))
	p.svc.Traffic = out
	return nil
}

// applyNoTraffic is NoTrafficChange / TrafficTargets.ZeroLatestTraffic: the
// traffic LATEST had goes to the latest ready revision by name, so the new
// revision gets none.
func (p *planner) applyNoTraffic() error {
	if !p.f.NoTraffic {
		return nil
	}
	if p.create() {
		return wrap.ValueErrorf("--no-traffic not supported when creating a new service.")
	}
	// _GetNormalizedTraffic: tags on separate 0% targets, percents merged
	// per revision.
	var tagTargets []*runpb.TrafficTarget
	percents := map[string]int32{} // key: revision name, "" for LATEST
	var order []string
	hasLatest := false
	for _, t := range p.svc.Traffic {
		key := t.GetRevision()
		if isLatest(t) {
			key = ""
		}
		if t.GetTag() != "" {
			if isLatest(t) {
				tt := latestTarget(0)
				tt.Tag = t.GetTag()
				tagTargets = append(tagTargets, tt)
			} else {
				tagTargets = append(tagTargets, revisionTarget(key, 0, t.GetTag()))
			}
		}
		if t.GetPercent() != 0 {
			if _, ok := percents[key]; !ok {
				order = append(order, key)
			}
			percents[key] += t.GetPercent()
			if key == "" {
				hasLatest = true
			}
		}
	}
	if !hasLatest {
		return nil
	}
	ready := p.existing.GetLatestReadyRevision()
	ready = ready[strings.LastIndex(ready, "/")+1:]
	if ready == "" {
		return wrap.ValueErrorf("--no-traffic needs a ready revision to keep serving the traffic of service [%s], and it has none.", p.t.Service)
	}
	latest := percents[""]
	delete(percents, "")
	if _, ok := percents[ready]; !ok {
		order = append(order, ready)
	}
	percents[ready] += latest
	var revs []string
	for _, k := range order {
		if k != "" {
			revs = append(revs, k)
		}
	}
	sort.Strings(revs)
	var out []*runpb.TrafficTarget
	for _, r := range revs {
		out = append(out, revisionTarget(r, percents[r], ""))
	}
	p.svc.Traffic = append(out, tagTargets...)
	return nil
}
