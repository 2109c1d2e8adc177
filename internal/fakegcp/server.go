// Package fakegcp is a local, in-memory emulation of the slice of Google
// Cloud that rundeploy (and gcloud) talk to: Cloud Run Admin API v2 (and the
// v1 Knative surface gcloud uses), Artifact Registry v1, Resource Manager v3,
// a Docker registry v2 for Artifact Registry hosts, IAM Credentials and an
// OAuth token endpoint. It speaks the real REST/JSON shapes, so the real
// Google client libraries work against it unchanged, and it evaluates IAM for
// the predefined roles that matter, including Cloud Run's post-2025
// image-read check.
//
// One listener serves every API: requests are routed by path and, for the
// registry, by Host header. The server also works as a plain-HTTP forward
// proxy (absolute-form request URIs), which is how the real gcloud is pointed
// at it; CONNECT is refused with 501 so stray HTTPS fails fast.
package fakegcp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/iam/apiv1/iampb"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// DefaultMember is the identity of requests that carry no credentials and of
// the token Env writes, unless Options.DefaultMember says otherwise.
const DefaultMember = "user:developer@example.com"

// DefaultToken is the access token New registers for Options.DefaultMember.
const DefaultToken = "ya29.fakegcp-default"

// Options configure a Server.
type Options struct {
	// OperationDelay is how long a Cloud Run create/update operation takes
	// to complete after it is accepted.
	OperationDelay time.Duration
	// Latency is added to every request (benchmarks, preflight timing).
	Latency time.Duration
	// PropagationDelay is how long an IAM policy written through an API
	// (setIamPolicy) takes to be enforced. getIamPolicy shows the new policy
	// at once; authorization (deploy checks, registry pulls,
	// testIamPermissions) uses the old one until the delay has passed.
	// Policies written with the test API (Grant, Revoke, SetPolicy) apply at
	// once. PropagateNow ends every pending delay.
	PropagationDelay time.Duration
	// DefaultMember is the caller for requests without an Authorization
	// header and the owner of DefaultToken. Empty means DefaultMember.
	DefaultMember string
}

// Server is a running fake control plane.
type Server struct {
	URL string // base URL, e.g. http://127.0.0.1:PORT

	opts Options
	ts   *httptest.Server
	tmp  string // lazily created scratch directory (token files)

	mu         sync.Mutex
	changed    chan struct{}          // closed and replaced whenever an operation may have finished
	projects   map[string]*Project    // by project ID
	services   map[string]*service    // Cloud Run v2 services by name
	operations map[string]*operation  // Cloud Run v2 operations by name
	v1services map[string]*v1service  // gcloud's v1 Knative objects by namespace/name
	v1ops      map[string]*v1service  // v1 operation id -> object
	repos      map[string]*Repository // by projects/P/locations/L/repositories/R
	manifests  map[string]*manifest   // by digest
	blobs      map[string][]byte      // by digest
	failImages map[string]string      // image reference -> failure message
	policies   map[string]*policyState
	tokens     map[string]string    // access token -> member
	regTokens  map[string]string    // registry token -> member ("" anonymous)
	saKeys     map[string]*saKey    // client_email -> key
	infos      map[string]tokenInfo // access token -> scope and expiry (issued tokens)
	races      map[string][]func(*iampb.Policy)
	log        []Request
	faults     []*Fault
	etagSeq    uint64
}

// Project is a fake project.
type Project struct {
	ID     string
	Number int64
}

// Repository is a fake Artifact Registry Docker repository.
type Repository struct {
	Name       string // projects/P/locations/L/repositories/R
	CreateTime time.Time
	// Images maps an image path inside the repository ("web", "team/web")
	// to its references ("v1", "sha256:…") and their digests.
	Images map[string]map[string]string
}

// Request is one recorded request.
type Request struct {
	Method string
	Host   string
	Path   string
	Query  string
	Body   string
	Member string // the caller, from the bearer token ("" if anonymous or unknown)
}

// Fault is an injected failure or delay for matching requests.
type Fault struct {
	Method  string        // "" matches any
	Path    string        // regexp on the URL path; "" matches any
	Status  int           // HTTP status to answer with (0: no error, only Latency)
	Count   int           // how many matching requests are affected (0: all)
	Latency time.Duration // extra delay for matching requests

	re   *regexp.Regexp
	hits int
}

var _ http.Handler = (*Server)(nil)

// New starts a server on a loopback port. Close it when done.
func New(opts Options) *Server {
	s := newServer(opts)
	s.ts = httptest.NewServer(s)
	s.URL = s.ts.URL
	return s
}

func newServer(opts Options) *Server {
	if opts.DefaultMember == "" {
		opts.DefaultMember = DefaultMember
	}
	s := &Server{
		opts:       opts,
		changed:    make(chan struct{}),
		projects:   map[string]*Project{},
		services:   map[string]*service{},
		operations: map[string]*operation{},
		v1services: map[string]*v1service{},
		v1ops:      map[string]*v1service{},
		repos:      map[string]*Repository{},
		manifests:  map[string]*manifest{},
		blobs:      map[string][]byte{},
		failImages: map[string]string{},
		policies:   map[string]*policyState{},
		tokens:     map[string]string{DefaultToken: opts.DefaultMember},
		regTokens:  map[string]string{},
		saKeys:     map[string]*saKey{},
		races:      map[string][]func(*iampb.Policy){},
	}
	s.seedPublicImages()
	return s
}

// seedPublicImages adds Google's public sample image
// us-docker.pkg.dev/cloudrun/container/hello, readable by everyone, so the
// image gcloud's documentation deploys works out of the box.
func (s *Server) seedPublicImages() {
	s.AddProject("cloudrun", 999999999999)
	s.AddRepository("projects/cloudrun/locations/us/repositories/container")
	s.Grant("projects/cloudrun/locations/us/repositories/container", "roles/artifactregistry.reader", "allUsers")
	s.PushImage("us-docker.pkg.dev/cloudrun/container/hello:latest")
}

// Close shuts the server down and removes its scratch files.
func (s *Server) Close() {
	if s.ts != nil {
		s.ts.Close()
	}
	if s.tmp != "" {
		os.RemoveAll(s.tmp)
	}
}

// Client returns an HTTP client for the server (plain HTTP, no proxy).
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Addr is the listener's host:port.
func (s *Server) Addr() string { return s.ts.Listener.Addr().String() }

// ServeHTTP routes one request to the emulated API it addresses.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		http.Error(w, "fakegcp: CONNECT is not supported (plain-HTTP forward proxy only)", http.StatusNotImplemented)
		return
	}
	host := r.Host
	if r.URL.IsAbs() && r.URL.Host != "" {
		host = r.URL.Host // forward-proxy request: route on the path, remember the host
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	member, authed := s.caller(r)
	s.mu.Lock()
	s.log = append(s.log, Request{Method: r.Method, Host: host, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body), Member: member})
	fault := s.matchFault(r.Method, r.URL.Path)
	s.mu.Unlock()

	if d := s.opts.Latency; d > 0 {
		sleepCtx(r, d)
	}
	if fault != nil {
		if fault.Latency > 0 {
			sleepCtx(r, fault.Latency)
		}
		if fault.Status != 0 {
			writeError(w, fault.Status, faultMessage(fault.Status))
			return
		}
	}
	c := &call{s: s, w: w, r: r, host: host, body: body, member: member, authed: authed}
	if isRegistryHost(host) {
		s.serveRegistry(c)
		return
	}
	s.serveAPI(c)
}

// call is one request being served.
type call struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	host   string
	body   []byte
	member string // "" only for anonymous registry requests
	authed bool   // an Authorization header with a known credential was sent
}

func sleepCtx(r *http.Request, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

func (s *Server) matchFault(method, path string) *Fault {
	for _, f := range s.faults {
		if f.Method != "" && !strings.EqualFold(f.Method, method) {
			continue
		}
		if f.re != nil && !f.re.MatchString(path) {
			continue
		}
		if f.Count > 0 && f.hits >= f.Count {
			continue
		}
		f.hits++
		cp := *f
		return &cp
	}
	return nil
}

func faultMessage(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute' of service."
	case http.StatusServiceUnavailable:
		return "The service is currently unavailable."
	case http.StatusInternalServerError:
		return "Internal error encountered."
	}
	return http.StatusText(status)
}

// caller resolves the credential of a request: the member and whether a
// known credential was presented. Requests without Authorization act as
// Options.DefaultMember (authed false).
func (s *Server) caller(r *http.Request) (member string, authed bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return s.opts.DefaultMember, false
	}
	scheme, cred, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.tokens[cred]; ok {
		return m, true
	}
	if m, ok := s.regTokens[cred]; ok {
		return m, true
	}
	return "", false
}

func (s *Server) serveAPI(c *call) {
	p := c.r.URL.Path
	// Requests that presented an unknown credential are rejected like Google does.
	if c.r.Header.Get("Authorization") != "" && !c.authed && p != "/token" {
		writeError(c.w, http.StatusUnauthorized, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.")
		return
	}
	switch {
	case p == "/token" || p == "/oauth2/v4/token":
		s.serveToken(c)
	case p == "/tokeninfo" || strings.HasSuffix(p, "/tokeninfo"):
		s.serveTokenInfo(c)
	case strings.HasPrefix(p, "/v2/"):
		s.serveRunV2(c)
	case strings.HasPrefix(p, "/apis/serving.knative.dev/v1/"):
		s.serveRunV1Knative(c)
	case strings.HasPrefix(p, "/v3/iam:troubleshoot"):
		c.fail(errf(501, "fakegcp: Policy Troubleshooter is not emulated."))
	case strings.HasPrefix(p, "/v3/projects/"):
		s.serveResourceManager(c)
	case strings.HasPrefix(p, "/v1/projects/-/serviceAccounts/"):
		s.serveIAMCredentials(c)
	case strings.HasPrefix(p, "/v1/projects/") && strings.Contains(p, "/repositories/"):
		s.serveArtifactRegistry(c)
	case strings.HasPrefix(p, "/v1/projects/"):
		s.serveRunV1(c)
	default:
		writeError(c.w, http.StatusNotFound, fmt.Sprintf("fakegcp: no handler for %s %s", c.r.Method, p))
	}
}

// statusNames maps HTTP statuses to the google.rpc.Code names Google puts in
// error bodies.
var statusNames = map[int]string{
	400: "INVALID_ARGUMENT",
	401: "UNAUTHENTICATED",
	403: "PERMISSION_DENIED",
	404: "NOT_FOUND",
	409: "ABORTED",
	412: "FAILED_PRECONDITION",
	429: "RESOURCE_EXHAUSTED",
	500: "INTERNAL",
	501: "UNIMPLEMENTED",
	503: "UNAVAILABLE",
	504: "DEADLINE_EXCEEDED",
}

// apiError is an error answer in Google's JSON shape.
type apiError struct {
	Code    int
	Status  string // "" derives it from Code
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Code, e.status(), e.Message) }

func (e *apiError) status() string {
	if e.Status != "" {
		return e.Status
	}
	if n, ok := statusNames[e.Code]; ok {
		return n
	}
	return "UNKNOWN"
}

func errf(code int, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...)}
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeAPIError(w, &apiError{Code: code, Message: msg})
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Code, map[string]any{"error": map[string]any{
		"code": e.Code, "message": e.Message, "status": e.status(),
	}})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	w.Write(b)
}

func writeProto(w http.ResponseWriter, m proto.Message) {
	b, err := protojson.Marshal(m)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// readProto decodes a JSON request body into m. Numeric enums are accepted
// (REST clients send $alt=json;enum-encoding=int) and unknown fields are
// ignored, like Google's frontends do.
func (c *call) readProto(m proto.Message) *apiError {
	if len(bytes.TrimSpace(c.body)) == 0 {
		return nil
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(c.body, m); err != nil {
		return errf(400, "Invalid JSON payload received. %v", err)
	}
	return nil
}

func (c *call) fail(e *apiError) { writeAPIError(c.w, e) }

// Requests returns a copy of the recorded requests, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

// InjectFault makes matching requests fail with f.Status and/or wait
// f.Latency, for the first f.Count of them (all when Count is 0). Faults are
// tried in the order they were injected; the first match applies. It panics
// on an invalid Path regexp.
func (s *Server) InjectFault(f Fault) {
	if f.Path != "" {
		f.re = regexp.MustCompile(f.Path)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// notify wakes every long poll (operations :wait).
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// hostOnly strips a port from host.
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}
