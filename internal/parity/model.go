// Package parity compares what rundeploy and the real gcloud send to Cloud
// Run. gcloud writes the Admin API v1 (Knative) object and rundeploy the v2
// Service; FromV1 and FromV2 reduce both to one flat service Model whose
// keys name a setting ("ctr[app].env.A", "tmpl.scaling.max", "traffic") and
// whose values are that setting's canonical text, so two requests agree
// exactly when their models are equal. Random parts (the nonce, generated
// revision and volume names, client name and version) are masked, and the
// defaults the server applies are filled in on both sides (Canonical).
//
// The harness (Run) executes a corpus of command lines with both tools
// against internal/fakegcp and reports per-case results; cmd-free entry
// points are used by scripts/parity and by parity_test.go.
package parity

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Model is a normalised service: setting key -> canonical value. An absent
// key means "not set" (the server default after Canonical).
type Model map[string]string

func (m Model) set(k, v string) {
	if v == "" {
		delete(m, k)
		return
	}
	m[k] = v
}

// setBool records b as "true" and deletes the key for false: in both APIs a
// false boolean is the default.
func (m Model) setBool(k string, b bool) {
	if b {
		m[k] = "true"
	} else {
		delete(m, k)
	}
}

func (m Model) setInt(k string, n int64) {
	if n == 0 {
		delete(m, k)
		return
	}
	m[k] = strconv.FormatInt(n, 10)
}

// Keys returns the model's keys, sorted.
func (m Model) Keys() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// String renders the model one "key = value" per line, sorted.
func (m Model) String() string {
	var b strings.Builder
	for _, k := range m.Keys() {
		fmt.Fprintf(&b, "%s = %s\n", k, m[k])
	}
	return b.String()
}

// Difference is one setting on which two models disagree.
type Difference struct {
	Key       string
	Gcloud    string // "" when gcloud's model lacks the key
	Rundeploy string
}

func (d Difference) String() string {
	show := func(s string) string {
		if s == "" {
			return "<unset>"
		}
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%s: gcloud %s, rundeploy %s", d.Key, show(d.Gcloud), show(d.Rundeploy))
}

// Diff lists the keys on which gcloud's and rundeploy's models differ,
// sorted by key.
func Diff(gcloud, rundeploy Model) []Difference {
	keys := map[string]bool{}
	for k := range gcloud {
		keys[k] = true
	}
	for k := range rundeploy {
		keys[k] = true
	}
	var out []Difference
	for k := range keys {
		if gcloud[k] != rundeploy[k] {
			out = append(out, Difference{Key: k, Gcloud: gcloud[k], Rundeploy: rundeploy[k]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Server defaults of Cloud Run that a request may leave unset; Canonical
// fills them so "unset" and "set to the default" compare equal (the fake's
// v2 surface fills them on write, so rundeploy's read-modify-write updates
// echo them back while gcloud's v1 objects do not carry them).
const (
	DefaultTimeout     = "300"
	DefaultConcurrency = "80"
	DefaultCPU         = "1000m"
	DefaultMemory      = "512Mi"
	DefaultPort        = "8080"
	DefaultIngress     = "all"
)

var computeSA = regexp.MustCompile(`^\d+-compute@developer\.gserviceaccount\.com$`)

// Canonical returns a copy of m with the server defaults filled in.
func (m Model) Canonical() Model {
	out := Model{}
	for k, v := range m {
		out[k] = v
	}
	fill := func(k, v string) {
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	fill("tmpl.timeout", DefaultTimeout)
	fill("tmpl.concurrency", DefaultConcurrency)
	fill("svc.ingress", DefaultIngress)
	fill("traffic", "LATEST:100")
	fill("tmpl.cpu-throttling", "true")
	if computeSA.MatchString(out["tmpl.service-account"]) {
		delete(out, "tmpl.service-account")
	}
	for _, c := range strings.Split(out["tmpl.containers"], ",") {
		p := "ctr[" + c + "]."
		fill(p+"limits.cpu", DefaultCPU)
		fill(p+"limits.memory", DefaultMemory)
		if c == out["tmpl.ingress-container"] {
			fill(p+"port", DefaultPort)
			fill(p+"port-name", "http1")
		}
	}
	return out
}

// revisionName matches generated revision names: SERVICE-NNNNN-xyz.
var revisionName = regexp.MustCompile(`-(\d{5})-[a-z0-9]{3}$`)

// maskRevision hides the random letters of a generated revision name,
// keeping the generation number.
func maskRevision(name string) string {
	return revisionName.ReplaceAllString(name, "-$1-xxx")
}

// generatedVolume matches names gcloud and rundeploy generate for secret
// volumes (SECRET-xxx-xxx) and --add-volume mount-path shortcuts.
var generatedVolume = regexp.MustCompile(`^.+-[a-z0-9]{3}-[a-z0-9]{3}$`)

// volume is one normalised volume before naming.
type volume struct {
	name string
	desc string // canonical content
}

// addVolumes records volumes and the containers' mounts, renaming
// generated volume names after where they are mounted (or their content)
// so random names compare equal.
// templateLabels records the revision template's labels; the nonce label
// every deploy sets is recorded as present (or malformed), not by value.
func (m Model) templateLabels(labels map[string]string) {
	for k, v := range labels {
		if k == nonceLb {
			if nonce.MatchString(v) {
				m.set("tmpl.nonce", "set")
			} else {
				m.set("tmpl.nonce", "bad:"+v)
			}
			continue
		}
		m.set("tmpl.labels."+k, "="+v)
	}
}

func (m Model) addVolumes(vols []volume, mounts map[string][][2]string) {
	rename := map[string]string{}
	for _, v := range vols {
		if !generatedVolume.MatchString(v.name) {
			continue
		}
		var paths []string
		for _, ms := range mounts {
			for _, mt := range ms {
				if mt[0] == v.name {
					paths = append(paths, mt[1])
				}
			}
		}
		slices.Sort(paths)
		if len(paths) > 0 {
			rename[v.name] = "gen@" + strings.Join(paths, "+")
		} else {
			rename[v.name] = "gen:" + v.desc
		}
	}
	name := func(n string) string {
		if r, ok := rename[n]; ok {
			return r
		}
		return n
	}
	for _, v := range vols {
		m.set("vol["+name(v.name)+"]", v.desc)
	}
	for ctr, ms := range mounts {
		for _, mt := range ms {
			m.set("ctr["+ctr+"].mount["+mt[1]+"]", name(mt[0]))
		}
	}
}

// list renders a string list (order kept) as JSON-ish text.
func list(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = strconv.Quote(x)
	}
	return "[" + strings.Join(q, ",") + "]"
}

// probe is a normalised probe, shared by both APIs.
type probe struct {
	initialDelay, timeout, period, failure, success int64
	kind, path, service                             string
	port                                            int64
}

func (p *probe) String() string {
	if p == nil {
		return ""
	}
	var parts []string
	add := func(k string, n int64) {
		if n != 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", k, n))
		}
	}
	parts = append(parts, p.kind)
	add("port", p.port)
	if p.path != "" {
		parts = append(parts, "path="+p.path)
	}
	if p.service != "" {
		parts = append(parts, "service="+p.service)
	}
	add("initialDelaySeconds", p.initialDelay)
	add("timeoutSeconds", p.timeout)
	add("periodSeconds", p.period)
	add("failureThreshold", p.failure)
	add("successThreshold", p.success)
	return strings.Join(parts, " ")
}

// trafficEntry is one normalised traffic target.
type trafficEntry struct {
	latest   bool
	revision string
	percent  int64
	tag      string
}

func (t trafficEntry) String() string {
	s := "LATEST"
	if !t.latest {
		s = "REV=" + maskRevision(t.revision)
	}
	s += ":" + strconv.FormatInt(t.percent, 10)
	if t.tag != "" {
		s += ":tag=" + t.tag
	}
	return s
}

func trafficString(ts []trafficEntry) string {
	var xs []string
	for _, t := range ts {
		xs = append(xs, t.String())
	}
	sort.Strings(xs)
	return strings.Join(xs, " ")
}
