package fakegcp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// v1service is one object of the Knative-style Cloud Run v1 API that
// gcloud uses, kept as the JSON the client sent (plus the fields the server
// fills).
type v1service struct {
	obj     map[string]any
	readyAt time.Time
	ready   bool
	opID    string
	region  string
}

var (
	v1ServicePath = regexp.MustCompile(`^/apis/serving\.knative\.dev/v1/namespaces/([^/]+)/services(?:/([^/]+))?$`)
	v1IAMPath     = regexp.MustCompile(`^/v1/projects/([^/]+)/locations/([^/]+)/services/([^/:]+):(getIamPolicy|setIamPolicy|testIamPermissions)$`)
	v1WaitPath    = regexp.MustCompile(`^/v1/projects/([^/]+)/locations/([^/]+)/operations/([^/:]+):wait$`)
	v1Locations   = regexp.MustCompile(`^/v1/projects/([^/]+)/locations$`)
)

func rfc3339Now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000000Z") }

// regionFromHost recovers the region of gcloud's regional endpoint
// (us-central1-run.googleapis.com, us-central1-run.fake:PORT).
func regionFromHost(host string) string {
	h := hostOnly(host)
	if i := strings.Index(h, "-run."); i > 0 {
		return h[:i]
	}
	return "us-central1"
}

// serveRunV1Knative serves GET/POST/PUT of v1 services like the fake of
// gcloud-run-deploy.md Appendix B: objects are stored as sent, become Ready
// after Options.OperationDelay, and carry a run.googleapis.com/operation-id
// annotation so gcloud waits with operations:wait. There is no IAM
// enforcement on this surface.
func (s *Server) serveRunV1Knative(c *call) {
	m := v1ServicePath.FindStringSubmatch(c.r.URL.Path)
	if m == nil {
		c.fail(errf(404, "fakegcp: no handler for %s %s", c.r.Method, c.r.URL.Path))
		return
	}
	ns, name := m[1], m[2]
	dry := c.r.URL.Query().Has("dryRun")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	switch {
	case c.r.Method == http.MethodGet && name != "":
		st := s.v1services[ns+"/"+name]
		if st == nil {
			c.fail(errf(404, "Resource '%s' of kind 'SERVICE' in region '%s' in project '%s' does not exist.", name, regionFromHost(c.host), ns))
			return
		}
		writeJSON(c.w, http.StatusOK, st.obj)
	case c.r.Method == http.MethodPost || c.r.Method == http.MethodPut:
		var obj map[string]any
		if err := json.Unmarshal(c.body, &obj); err != nil {
			c.fail(errf(400, "Invalid JSON payload received. %v", err))
			return
		}
		md, _ := obj["metadata"].(map[string]any)
		if md == nil {
			md = map[string]any{}
			obj["metadata"] = md
		}
		if name == "" {
			name, _ = md["name"].(string)
		}
		key := ns + "/" + name
		old := s.v1services[key]
		if c.r.Method == http.MethodPost && old != nil && !dry {
			c.fail(&apiError{Code: 409, Status: "ALREADY_EXISTS", Message: fmt.Sprintf("Resource '%s' already exists.", name)})
			return
		}
		spec, _ := obj["spec"].(map[string]any)
		if spec == nil {
			spec = map[string]any{}
			obj["spec"] = spec
		}
		if tr, _ := spec["traffic"].([]any); len(tr) == 0 {
			spec["traffic"] = []any{map[string]any{"percent": 100, "latestRevision": true}}
		}
		gen := 1
		if old != nil && c.r.Method == http.MethodPut {
			if g, ok := old.obj["metadata"].(map[string]any)["generation"].(int); ok {
				gen = g + 1
			}
		}
		md["namespace"], md["generation"], md["resourceVersion"] = ns, gen, fmt.Sprintf("AAA%d", gen)
		if _, ok := md["uid"]; !ok {
			md["uid"] = newUID()
		}
		if _, ok := md["creationTimestamp"]; !ok {
			md["creationTimestamp"] = rfc3339Now()
		}
		st := &v1service{obj: obj, readyAt: time.Now().Add(s.opts.OperationDelay), opID: newUID(), region: regionFromHost(c.host)}
		ann, _ := md["annotations"].(map[string]any)
		if ann == nil {
			ann = map[string]any{}
			md["annotations"] = ann
		}
		ann["run.googleapis.com/operation-id"] = st.opID
		v1FinishStatus(obj, gen, st.region, ns)
		v1PendingStatus(obj)
		if dry {
			writeJSON(c.w, http.StatusOK, obj)
			return
		}
		s.v1services[key] = st
		s.v1ops[st.opID] = st
		writeJSON(c.w, http.StatusOK, obj)
	default:
		c.fail(errf(404, "fakegcp: no handler for %s %s", c.r.Method, c.r.URL.Path))
	}
}

// advanceV1Locked marks v1 objects Ready once their delay has passed.
func (s *Server) advanceV1Locked(now time.Time) {
	for _, st := range s.v1services {
		if st.ready || now.Before(st.readyAt) {
			continue
		}
		st.ready = true
		status, _ := st.obj["status"].(map[string]any)
		for _, x := range status["conditions"].([]any) {
			x.(map[string]any)["status"] = "True"
		}
	}
}

func v1PendingStatus(obj map[string]any) {
	status := obj["status"].(map[string]any)
	var conds []any
	for _, t := range []string{"Ready", "ConfigurationsReady", "RoutesReady"} {
		conds = append(conds, map[string]any{"type": t, "status": "Unknown", "lastTransitionTime": rfc3339Now()})
	}
	status["conditions"] = conds
}

func v1FinishStatus(obj map[string]any, gen int, region, ns string) {
	md := obj["metadata"].(map[string]any)
	spec := obj["spec"].(map[string]any)
	tmpl, _ := spec["template"].(map[string]any)
	if tmpl == nil {
		tmpl = map[string]any{}
		spec["template"] = tmpl
	}
	tmd, _ := tmpl["metadata"].(map[string]any)
	if tmd == nil {
		tmd = map[string]any{}
		tmpl["metadata"] = tmd
	}
	name, _ := md["name"].(string)
	rev, _ := tmd["name"].(string)
	if rev == "" {
		rev = fmt.Sprintf("%s-%05d-%s", name, gen, randomLetters(3))
	}
	n := runName{ns, region, name}
	hash, code := urlHash(n), regionCode(region)
	url := fmt.Sprintf("https://%s-%s-%s.a.run.app", name, hash, code)
	var traffic []any
	for _, t := range spec["traffic"].([]any) {
		t2 := map[string]any{}
		for k, v := range t.(map[string]any) {
			t2[k] = v
		}
		if lr, _ := t2["latestRevision"].(bool); lr {
			t2["revisionName"] = rev
		}
		if tag, _ := t2["tag"].(string); tag != "" {
			t2["url"] = fmt.Sprintf("https://%s---%s-%s-%s.a.run.app", tag, name, hash, code)
		}
		traffic = append(traffic, t2)
	}
	obj["status"] = map[string]any{
		"observedGeneration": gen, "latestCreatedRevisionName": rev, "latestReadyRevisionName": rev,
		"url": url, "address": map[string]any{"url": url}, "traffic": traffic,
	}
}

// serveRunV1 serves the non-Knative v1 paths gcloud uses: locations, the
// service IAM methods and operations:wait.
func (s *Server) serveRunV1(c *call) {
	p := c.r.URL.Path
	if m := v1Locations.FindStringSubmatch(p); m != nil && c.r.Method == http.MethodGet {
		var locs []any
		for _, r := range []string{"europe-west1", "us-central1", "us-east1"} {
			locs = append(locs, map[string]any{"locationId": r, "name": fmt.Sprintf("projects/%s/locations/%s", m[1], r)})
		}
		writeJSON(c.w, http.StatusOK, map[string]any{"locations": locs})
		return
	}
	if m := v1IAMPath.FindStringSubmatch(p); m != nil {
		s.serviceIAM(c, runName{s.projectID(m[1]), m[2], m[3]}, m[4], false)
		return
	}
	if m := v1WaitPath.FindStringSubmatch(p); m != nil && c.r.Method == http.MethodPost {
		s.waitV1(c, m[1], m[2], m[3])
		return
	}
	c.fail(errf(404, "fakegcp: no handler for %s %s", c.r.Method, p))
}

// waitV1 long-polls a v1 operation: done as soon as the object is Ready or
// the request's timeout has passed.
func (s *Server) waitV1(c *call, project, region, id string) {
	var req struct {
		Timeout string `json:"timeout"`
	}
	json.Unmarshal(c.body, &req)
	timeout := 10 * time.Second
	if d, err := time.ParseDuration(req.Timeout); err == nil && d > 0 {
		timeout = d
	}
	deadline := time.Now().Add(timeout)
	opName := fmt.Sprintf("projects/%s/locations/%s/operations/%s", project, region, id)
	for {
		s.mu.Lock()
		s.advanceLocked()
		st := s.v1ops[id]
		if st == nil {
			s.mu.Unlock()
			c.fail(errf(404, "operation not found"))
			return
		}
		if st.ready || !time.Now().Before(deadline) {
			resp := map[string]any{"name": opName, "done": st.ready}
			if st.ready {
				b, _ := json.Marshal(st.obj)
				var cp map[string]any
				json.Unmarshal(b, &cp)
				cp["@type"] = "type.googleapis.com/google.cloud.run.v1.Service"
				resp["response"] = cp
			}
			s.mu.Unlock()
			writeJSON(c.w, http.StatusOK, resp)
			return
		}
		wake := st.readyAt
		if deadline.Before(wake) {
			wake = deadline
		}
		s.mu.Unlock()
		sleepCtx(c.r, time.Until(wake))
		if c.r.Context().Err() != nil {
			return
		}
	}
}
