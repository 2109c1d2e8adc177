package parity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rundeploy/rundeploy/internal/fakegcp"
)

// The world every case runs in.
const (
	Project       = "my-proj"
	ProjectNumber = 123456789012
	Region        = "us-central1"
)

// Images the corpus may deploy ($IMG, $IMG2, $SIDE, $SIDE2), all in a
// repository of Project the caller can read.
var Images = map[string]string{
	"IMG":   "us-docker.pkg.dev/my-proj/repo/app:1.0",
	"IMG2":  "us-docker.pkg.dev/my-proj/repo/app:2.0",
	"SIDE":  "us-docker.pkg.dev/my-proj/repo/side:1.0",
	"SIDE2": "us-docker.pkg.dev/my-proj/repo/side:2.0",
}

// Config configures a harness run.
type Config struct {
	Gcloud    string // the real gcloud (528); "" = only replay the recording
	Rundeploy string // the rundeploy binary
	DataDir   string // fixture files, $DATA in the corpus
	Workers   int    // cases run in parallel (default 4)
	// Preflight keeps rundeploy's image-access preflight on (the world
	// lets the caller and the service agent read every image); false passes
	// --no-preflight.
	Preflight bool
	Allow     []Allowance
	// Recording replays gcloud's side of cases it holds (unless Live) and
	// receives the observations of cases run live. May be nil.
	Recording *Recording
	// Live runs gcloud for every case, ignoring the recording.
	Live bool
	// Timeout bounds each tool invocation (default 60s).
	Timeout time.Duration
}

// Status is a case outcome.
type Status string

const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	// Documented: every difference is on the allow-list.
	Documented Status = "DIFF"
	Skip       Status = "SKIP"
)

// Result is the outcome of one case.
type Result struct {
	Case    Case
	Status  Status
	Details []string // differences and failures, one per line
	Elapsed time.Duration
	// Gcloud and Rundeploy are the canonical models compared (create and
	// update cases).
	Gcloud, Rundeploy Model
}

// Line is the one-line report of r.
func (r Result) Line() string {
	s := fmt.Sprintf("%-4s %-8s %s (%.1fs)", r.Status, r.Case.Kind, r.Case.Name, r.Elapsed.Seconds())
	if len(r.Details) > 0 {
		s += "\n        " + strings.Join(r.Details, "\n        ")
	}
	return s
}

// Run executes cases with up to cfg.Workers in parallel and returns their
// results in corpus order. report, if not nil, is called as each finishes
// (serialised).
func Run(ctx context.Context, cfg Config, cases []Case, report func(Result)) []Result {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	results := make([]Result, len(cases))
	var mu sync.Mutex
	sem := make(chan struct{}, cfg.Workers)
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			start := time.Now()
			r := cfg.runCase(ctx, c)
			r.Case, r.Elapsed = c, time.Since(start)
			results[i] = r
			if report != nil {
				mu.Lock()
				report(r)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return results
}

// Summary is the final line: "N passed, N failed[, N skipped]".
// Documented differences count as passed.
func Summary(results []Result) string {
	var pass, fail, skip int
	for _, r := range results {
		switch r.Status {
		case Pass, Documented:
			pass++
		case Skip:
			skip++
		default:
			fail++
		}
	}
	s := fmt.Sprintf("%d passed, %d failed", pass, fail)
	if skip > 0 {
		s += fmt.Sprintf(", %d skipped", skip)
	}
	return s
}

// tool is one side of a case: a fake server and how to run the binary.
type tool struct {
	name    string // "gcloud" or "rundeploy"
	bin     string
	extra   []string // appended to every command line
	env     []string
	srv     *fakegcp.Server
	dir     string
	rd      bool // rundeploy (v2) rather than gcloud (v1)
	timeout time.Duration
}

// outcome is one invocation.
type outcome struct {
	code     int
	stderr   string
	requests []fakegcp.Request
}

func newWorld() *fakegcp.Server {
	s := fakegcp.New(fakegcp.Options{})
	s.AddProject(Project, ProjectNumber)
	member := fakegcp.DefaultMember
	s.Grant("projects/"+Project, "roles/run.admin", member)
	s.Grant("projects/"+Project, "roles/iam.serviceAccountUser", member)
	repo := "projects/" + Project + "/locations/us/repositories/repo"
	s.AddRepository(repo)
	s.Grant(repo, "roles/artifactregistry.reader", member)
	for k, img := range Images {
		d := s.PushImage(img)
		if k == "IMG" {
			digestOnce.Do(func() { imgDigest = img[:strings.LastIndex(img, ":")] + "@" + d })
		}
	}
	return s
}

// imgDigest is $IMG_DIGEST: $IMG by digest (the fake's digests are
// deterministic).
var (
	digestOnce sync.Once
	imgDigest  string
)

func baseEnv(dir string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"LANG=C.UTF-8",
		"TERM=dumb",
		"CLOUDSDK_CORE_PROJECT=" + Project,
		"CLOUDSDK_RUN_REGION=" + Region,
	}
	if v := os.Getenv("CLOUDSDK_PYTHON"); v != "" {
		env = append(env, "CLOUDSDK_PYTHON="+v)
	}
	return env
}

func (cfg Config) newTool(name, dir string) *tool {
	srv := newWorld()
	t := &tool{name: name, srv: srv, dir: dir, timeout: cfg.Timeout}
	conf := filepath.Join(dir, "config")
	switch name {
	case "gcloud":
		t.bin = cfg.Gcloud
		t.env = append(baseEnv(dir), srv.GcloudEnv(conf)...)
	default:
		t.bin, t.rd = cfg.Rundeploy, true
		os.MkdirAll(conf, 0o700)
		t.env = append(baseEnv(dir), srv.Env()...)
		t.env = append(t.env,
			"CLOUDSDK_CONFIG="+conf,
			"CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true",
			"CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true",
			"CLOUDSDK_CORE_SHOULD_PROMPT_TO_ENABLE_API=false",
			"CLOUDSDK_CORE_CHECK_GCE_METADATA=false",
		)
		if !cfg.Preflight {
			t.extra = []string{"--no-preflight"}
		}
	}
	return t
}

func (t *tool) run(ctx context.Context, args []string) (outcome, error) {
	n := len(t.srv.Requests())
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	argv := append([]string{}, args...)
	if !t.rd {
		argv = append([]string{"run", "deploy"}, argv...)
	} else {
		// rundeploy's own flags go first: everything after --container
		// belongs to that container.
		argv = append(append([]string{}, t.extra...), argv...)
	}
	cmd := exec.CommandContext(ctx, t.bin, argv...)
	cmd.Env = t.env
	cmd.Dir = t.dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &bytes.Buffer{}
	err := cmd.Run()
	o := outcome{stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ctx.Err() == nil:
		o.code = ee.ExitCode()
	default:
		return o, fmt.Errorf("%s %s: %w (stderr: %s)", t.name, strings.Join(args, " "), err, firstLines(o.stderr, 5))
	}
	o.requests = t.srv.Requests()[n:]
	return o, nil
}

// isWrite reports whether r changes a Cloud Run service or its policy.
func isWrite(r fakegcp.Request) bool {
	switch {
	case strings.Contains(r.Query, "dryRun") || strings.Contains(r.Query, "validateOnly=true"):
		return false
	case strings.HasSuffix(r.Path, ":setIamPolicy"):
		return true
	case strings.HasPrefix(r.Path, "/apis/serving.knative.dev/v1/") && (r.Method == "POST" || r.Method == "PUT"):
		return true
	case strings.HasPrefix(r.Path, "/v2/") && strings.Contains(r.Path, "/services") &&
		(r.Method == "POST" || r.Method == "PATCH") && !strings.Contains(r.Path, ":"):
		return true
	}
	return false
}

// serviceWrites returns the create/update requests among reqs.
func serviceWrites(reqs []fakegcp.Request) []fakegcp.Request {
	var out []fakegcp.Request
	for _, r := range reqs {
		if isWrite(r) && !strings.HasSuffix(r.Path, ":setIamPolicy") {
			out = append(out, r)
		}
	}
	return out
}

var errorLine = regexp.MustCompile(`(?m)^ERROR: .*$`)

// firstError is the first "ERROR: " line of stderr.
func firstError(stderr string) string {
	return strings.TrimRight(errorLine.FindString(stderr), " \r")
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " | ")
}

// Observation is what one tool did with a case's command line: all the
// comparison needs, so gcloud's side can be recorded and replayed.
type Observation struct {
	BaseError string   `json:"baseError,omitempty"` // the base deploy failed
	Code      int      `json:"code"`
	ErrorLine string   `json:"error,omitempty"`  // first "ERROR: " line of stderr
	Stderr    string   `json:"stderr,omitempty"` // first lines of stderr, for reports
	Requests  int      `json:"requests"`         // requests made
	First     string   `json:"first,omitempty"`  // "METHOD HOST PATH" of the first request
	Writes    []string `json:"writes,omitempty"` // "METHOD PATH" of every write
	// The single service write (create/update), if there was exactly one.
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
	Query  string `json:"query,omitempty"`
	Body   string `json:"body,omitempty"`
	// Public: after the command, allUsers holds roles/run.invoker on the service.
	Public bool `json:"public,omitempty"`
	// Panic is the Go panic in stderr, with the top of its stack.
	Panic string `json:"panic,omitempty"`
	// ServiceWrites counts create/update requests.
	ServiceWrites int `json:"serviceWrites"`
}

// observe reduces an invocation to an Observation.
func (t *tool) observe(o outcome) Observation {
	ob := Observation{Code: o.code, ErrorLine: firstError(o.stderr), Stderr: firstLines(o.stderr, 8), Requests: len(o.requests)}
	if i := strings.Index(o.stderr, "panic: "); i >= 0 {
		ob.Panic = firstLines(o.stderr[i:], 40)
	}
	if len(o.requests) > 0 {
		q := o.requests[0]
		ob.First = q.Method + " " + q.Host + q.Path
	}
	for _, r := range o.requests {
		if isWrite(r) {
			ob.Writes = append(ob.Writes, r.Method+" "+r.Path)
		}
	}
	writes := serviceWrites(o.requests)
	ob.ServiceWrites = len(writes)
	if len(writes) != 1 {
		return ob
	}
	w := writes[0]
	ob.Method, ob.Path, ob.Query, ob.Body = w.Method, w.Path, w.Query, w.Body
	svc := w.Path[strings.LastIndex(w.Path, "/")+1:]
	switch {
	case t.rd && queryValue(w.Query, "serviceId") != "":
		svc = queryValue(w.Query, "serviceId")
	case !t.rd && w.Method == "POST":
		svc = v1Name(w.Body)
	}
	pol := t.srv.Policy(fmt.Sprintf("projects/%s/locations/%s/services/%s", Project, Region, svc))
	for _, b := range pol.GetBindings() {
		if b.GetRole() == "roles/run.invoker" && slices.Contains(b.GetMembers(), "allUsers") {
			ob.Public = true
		}
	}
	return ob
}

// Model normalises the observed service write: v1 for gcloud, v2 for
// rundeploy. The invoker policy becomes "iam.allUsers-invoker".
func (ob Observation) Model(v2 bool) (Model, error) {
	if ob.ServiceWrites != 1 {
		return nil, fmt.Errorf("%d service writes, want 1", ob.ServiceWrites)
	}
	tg := Target{Project, Region}
	var m Model
	var err error
	if v2 {
		m, err = FromV2([]byte(ob.Body), tg)
	} else {
		m, err = FromV1([]byte(ob.Body), tg)
	}
	if err != nil {
		return nil, err
	}
	if v2 && queryValue(ob.Query, "updateMask") != "" {
		m["request.update-mask"] = queryValue(ob.Query, "updateMask")
	}
	if ob.Public {
		m["iam.allUsers-invoker"] = "true"
	}
	return m, nil
}

var v1NameRe = regexp.MustCompile(`"metadata":\s*\{[^{}]*?"name":\s*"([^"]+)"`)

func v1Name(body string) string {
	var s v1Service
	if err := jsonUnmarshal([]byte(body), &s); err == nil && s.Metadata.Name != "" {
		return s.Metadata.Name
	}
	if mm := v1NameRe.FindStringSubmatch(body); mm != nil {
		return mm[1]
	}
	return ""
}

func queryValue(raw, key string) string {
	for _, kv := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k == key {
			return unescape(v)
		}
	}
	return ""
}

// execute runs base (if any) then args with t and observes the result.
func (t *tool) execute(ctx context.Context, base, args []string) (Observation, error) {
	if len(base) > 0 {
		o, err := t.run(ctx, base)
		if err != nil {
			return Observation{}, err
		}
		if o.code != 0 {
			return Observation{BaseError: fmt.Sprintf("exit %d: %s", o.code, firstLines(o.stderr, 6))}, nil
		}
	}
	o, err := t.run(ctx, args)
	if err != nil {
		return Observation{}, err
	}
	return t.observe(o), nil
}

// runCase runs one case with both tools (gcloud's side possibly replayed
// from the recording).
func (cfg Config) runCase(ctx context.Context, c Case) (res Result) {
	dir, err := os.MkdirTemp("", "parity-"+c.Name+"-")
	if err != nil {
		return Result{Status: Fail, Details: []string{err.Error()}}
	}
	defer os.RemoveAll(dir)
	rt := cfg.newTool("rundeploy", filepath.Join(dir, "rundeploy"))
	defer rt.srv.Close()
	vars := map[string]string{"DATA": cfg.DataDir, "IMG_DIGEST": imgDigest}
	for k, v := range Images {
		vars[k] = v
	}
	base, args := Expand(c.Base, vars), Expand(c.Args, vars)
	key := cfg.caseKey(c)

	var g, r Observation
	var gErr, rErr error
	var wg sync.WaitGroup
	recorded, ok := cfg.Recording.lookup(c.Name, key, cfg.DataDir)
	switch {
	case ok && !cfg.Live:
		g = recorded
	case cfg.Gcloud == "":
		return Result{Status: Skip, Details: []string{"no gcloud and no recording for this case"}}
	default:
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := cfg.newTool("gcloud", filepath.Join(dir, "gcloud"))
			defer t.srv.Close()
			g, gErr = t.execute(ctx, base, args)
			if gErr == nil {
				cfg.Recording.store(c.Name, key, cfg.DataDir, g)
			}
		}()
	}
	r, rErr = rt.execute(ctx, base, args)
	wg.Wait()
	for _, e := range []error{gErr, rErr} {
		if e != nil {
			return Result{Status: Fail, Details: []string{e.Error()}}
		}
	}
	return cfg.compare(c, g, r)
}

// compare judges a case from both observations.
func (cfg Config) compare(c Case, g, r Observation) Result {
	fail := func(format string, a ...any) Result {
		return Result{Status: Fail, Details: []string{fmt.Sprintf(format, a...)}}
	}
	if g.BaseError != "" {
		return fail("gcloud base deploy failed (corpus error): %s", g.BaseError)
	}
	if r.BaseError != "" {
		return fail("rundeploy base deploy failed, gcloud's succeeded: %s", r.BaseError)
	}
	if r.Panic != "" {
		return fail("rundeploy panicked: %s", r.Panic)
	}
	switch c.Kind {
	case Invalid, Error:
		var details []string
		if g.Code == 0 {
			return fail("gcloud accepted the line (corpus error): exit 0")
		}
		if g.Code != r.Code {
			details = append(details, fmt.Sprintf("exit code: gcloud %d, rundeploy %d", g.Code, r.Code))
		}
		if g.ErrorLine != r.ErrorLine {
			re := r.ErrorLine
			if re == "" {
				re = "(no ERROR line) " + r.Stderr
			}
			details = append(details, fmt.Sprintf("error line:\n          gcloud:    %s\n          rundeploy: %s", g.ErrorLine, re))
		}
		if c.Kind == Invalid && g.Requests > 0 {
			return fail("gcloud made %d requests before rejecting the line (corpus error: use kind error)", g.Requests)
		}
		if c.Kind == Invalid && r.Requests > 0 {
			details = append(details, fmt.Sprintf("rundeploy made %d requests before rejecting the line (first: %s)", r.Requests, r.First))
		}
		for _, w := range g.Writes {
			details = append(details, "gcloud wrote: "+w)
		}
		for _, w := range r.Writes {
			details = append(details, "rundeploy wrote: "+w)
		}
		return cfg.judge(c, details, nil)
	case Only578:
		if g.Code == 0 {
			return fail("gcloud 528 accepted a 578-only line: make it a create/update case")
		}
		if r.Code != 0 {
			return fail("rundeploy rejected (exit %d): %s", r.Code, r.Stderr)
		}
		if _, err := r.Model(true); err != nil {
			return fail("rundeploy request: %v", err)
		}
		return Result{Status: Pass}
	}

	// create / update
	if g.Code != 0 {
		return fail("gcloud failed (exit %d; corpus error?): %s", g.Code, g.Stderr)
	}
	if r.Code != 0 {
		d := fmt.Sprintf("rundeploy failed (exit %d), gcloud succeeded: %s", r.Code, r.Stderr)
		return cfg.judge(c, []string{d}, []Difference{{Key: "rejected"}})
	}
	gm, err := g.Model(false)
	if err != nil {
		return fail("gcloud request: %v", err)
	}
	rm, err := r.Model(true)
	if err != nil {
		return fail("rundeploy request: %v", err)
	}
	gc, rc := gm.Canonical(), rm.Canonical()
	diffs := Diff(gc, rc)
	var details []string
	for _, d := range diffs {
		details = append(details, d.String())
	}
	res := cfg.judge(c, details, diffs)
	res.Gcloud, res.Rundeploy = gc, rc
	return res
}

// judge turns the differences of a case into a result: PASS when there are
// none, DIFF when each is on the allow-list, else FAIL.
func (cfg Config) judge(c Case, details []string, diffs []Difference) Result {
	if len(details) == 0 {
		return Result{Status: Pass}
	}
	allowed := true
	var out []string
	for i, d := range details {
		var key string
		switch {
		case diffs != nil:
			key = diffs[i].Key
		case strings.HasPrefix(d, "exit code"):
			key = "exit"
		case strings.HasPrefix(d, "error line"):
			key = "error"
		case strings.HasPrefix(d, "rundeploy made"):
			key = "requests"
		default:
			key = "write"
		}
		if a, ok := Allowed(cfg.Allow, c.Name, key); ok {
			out = append(out, d+"  [documented: "+a.Reason+"]")
			continue
		}
		allowed = false
		out = append(out, d)
	}
	if allowed {
		return Result{Status: Documented, Details: out}
	}
	return Result{Status: Fail, Details: out}
}

// BuildRundeploy builds ./cmd/rundeploy of the module at root into dir and
// returns the path of the binary.
func BuildRundeploy(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "rundeploy")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(os.PathSeparator), "./cmd/rundeploy")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build rundeploy: %w\n%s", err, out)
	}
	return bin, nil
}
