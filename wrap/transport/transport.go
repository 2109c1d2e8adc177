// Package transport builds the HTTP transports rundeploy's clients use:
// http.DefaultTransport's proxy (HTTPS_PROXY, NO_PROXY) and TLS
// (SSL_CERT_FILE) behaviour kept, with gcloud's endpoint overrides applied
// where a client library takes no endpoint option. It is apart from package
// wrap so that the grammar (package cli, which uses wrap) links no net/http.
package transport

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/rundeploy/rundeploy/wrap"
)

// RegistryOverrideVariable, set to http://HOST:PORT, sends every registry
// request to that host (tests and the emulator; see Registry).
const RegistryOverrideVariable = "RUNDEPLOY_REGISTRY_OVERRIDE"

// New returns a clone of http.DefaultTransport, keeping its proxy
// (HTTPS_PROXY etc.), TLS and connection settings.
func New() *http.Transport {
	return http.DefaultTransport.(*http.Transport).Clone()
}

// Registry returns base (New() when nil) unless
// RUNDEPLOY_REGISTRY_OVERRIDE=http://HOST:PORT is set (getenv nil means
// os.Getenv): then every request is sent to that scheme and host instead,
// with the original host kept in the Host header, so a fake registry can tell
// us-central1-docker.pkg.dev from gcr.io. Meant for go-containerregistry's
// remote.WithTransport.
func Registry(base http.RoundTripper, getenv func(string) string) http.RoundTripper {
	if getenv == nil {
		getenv = os.Getenv
	}
	if base == nil {
		base = New()
	}
	o := getenv(RegistryOverrideVariable)
	if o == "" {
		return base
	}
	u, err := url.Parse(o)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return &failingTransport{err: &url.Error{Op: "parse", URL: o, Err: errBadOverride}}
	}
	return &hostRewriter{base: base, target: u, all: true, keepHost: true}
}

type overrideError string

func (e overrideError) Error() string { return string(e) }

const errBadOverride = overrideError(RegistryOverrideVariable + " must be http://HOST:PORT or https://HOST:PORT")

type failingTransport struct{ err error }

func (t *failingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	return nil, t.err
}

// Endpoint returns base with requests for host (such as
// "iamcredentials.googleapis.com") sent to api's endpoint override when one
// is set (api_endpoint_overrides/API), for clients that are not built with
// an endpoint option; base itself when there is none.
func Endpoint(c *wrap.Config, api, host string, base http.RoundTripper) (http.RoundTripper, error) {
	ep := c.Endpoint(api)
	if ep == "" {
		return base, nil
	}
	u, err := url.Parse(ep)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("invalid api_endpoint_overrides/%s %q", api, ep)
	}
	return &hostRewriter{base: base, target: u, host: host}, nil
}

// hostRewriter sends requests to target's scheme and host (and path
// prefix). With all false only requests for host are rewritten; with
// keepHost the original host stays in the Host header.
type hostRewriter struct {
	base     http.RoundTripper
	target   *url.URL
	host     string // rewrite only this host unless all
	all      bool
	keepHost bool
}

func (t *hostRewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.all && !strings.EqualFold(req.URL.Host, t.host) {
		return t.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	if !t.keepHost {
		r.Host = ""
	} else if r.Host == "" {
		r.Host = req.URL.Host
	}
	r.URL.Scheme = t.target.Scheme
	r.URL.Host = t.target.Host
	if p := strings.TrimRight(t.target.Path, "/"); p != "" {
		r.URL.Path = p + r.URL.Path
		if r.URL.RawPath != "" {
			r.URL.RawPath = p + r.URL.RawPath
		}
	}
	return t.base.RoundTrip(r)
}
