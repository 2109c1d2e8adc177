// Package fakegcp is a local, in-memory emulation of the slice of Google
// Cloud that rundeploy (and gcloud) talk to: Cloud Run Admin API v2 (and the
// v1 Knative surface gcloud uses), Artifact Registry v1, Resource Manager v3,
// a Docker registry v2 for Artifact Registry hosts, and an OAuth token
// endpoint. It speaks the real REST/JSON shapes, so the real Google client
// libraries work against it unchanged, and it evaluates IAM for the
// predefined roles that matter, including Cloud Run's post-2025 image-read
// check.
//
// One listener serves every API: requests are routed by path and, for the
// registry, by Host header. The server also works as a plain-HTTP forward
// proxy, which is how the real gcloud is pointed at it.
package fakegcp

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"cloud.google.com/go/iam/apiv1/iampb"
	"cloud.google.com/go/run/apiv2/runpb"
)

// Options configure a Server.
type Options struct {
	// OperationDelay is how long a Cloud Run create/update operation takes
	// to complete after it is accepted.
	OperationDelay time.Duration
	// Latency is added to every request (benchmarks, preflight timing).
	Latency time.Duration
}

// Server is a running fake control plane.
type Server struct {
	URL string // base URL, e.g. http://127.0.0.1:PORT

	opts Options
	ts   *httptest.Server

	mu       sync.Mutex
	projects map[string]*Project    // by project ID
	services map[string]*service    // Cloud Run services by v2 name
	repos    map[string]*Repository // by projects/P/locations/L/repositories/R
	tokens   map[string]string      // bearer token -> member ("user:a@b", "serviceAccount:x")
	log      []Request
	faults   []*Fault
}

// Project is a fake project: its number and its IAM allow policy.
type Project struct {
	ID     string
	Number int64
	Policy *iampb.Policy
}

// Repository is a fake Artifact Registry Docker repository.
type Repository struct {
	Name     string // projects/P/locations/L/repositories/R
	Policy   *iampb.Policy
	Images   map[string]string // "image:tag" and "image@sha256:..." -> digest
}

type service struct {
	svc    *runpb.Service
	policy *iampb.Policy
}

// Request is one recorded request.
type Request struct {
	Method string
	Host   string
	Path   string
	Query  string
	Body   string
	Member string // the caller, from the bearer token ("" if unknown)
}

// Fault is an injected failure or delay for matching requests.
type Fault struct {
	Method  string        // "" matches any
	Path    string        // regexp on the URL path; "" matches any
	Status  int           // HTTP status to answer with (0: no error, only Latency)
	Count   int           // how many matching requests fail (0: all)
	Latency time.Duration // extra delay for matching requests
	hits    int
}

var _ http.Handler = (*Server)(nil)
