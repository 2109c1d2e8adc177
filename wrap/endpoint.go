package wrap

import (
	"net/http"
	"net/url"
	"os"
	"strings"
)

// APIs whose endpoints rundeploy calls; each honours gcloud's
// api_endpoint_overrides/<api> property (CLOUDSDK_API_ENDPOINT_OVERRIDES_<API>).
const (
	APIRun                   = "run"
	APIArtifactRegistry      = "artifactregistry"
	APICloudResourceManager  = "cloudresourcemanager"
	APIIAMCredentials        = "iamcredentials"
	APIPolicyTroubleshooter  = "policytroubleshooter"
	APIOAuth2                = "oauth2"
	registryOverrideVariable = "RUNDEPLOY_REGISTRY_OVERRIDE"
)

// Endpoint returns the property api_endpoint_overrides/<api> (flag layer,
// CLOUDSDK_API_ENDPOINT_OVERRIDES_<API>, or the [api_endpoint_overrides]
// section of the properties files) as written, or "" when unset.
func (c *Config) Endpoint(api string) string {
	v, _ := c.Get("api_endpoint_overrides", api)
	return v
}

// RESTEndpoint is the base URL to pass to option.WithEndpoint for the REST
// client of api: the override with its trailing "/" removed, "" meaning the
// library default. gcloud overrides name the API root ("http://host:port/"),
// and the Go REST clients append "/v2/...", "/v1/..." themselves, so for run
// "http://run.fake:8765/" becomes "http://run.fake:8765".
func (c *Config) RESTEndpoint(api string) string {
	return strings.TrimRight(c.Endpoint(api), "/")
}

// NewTransport returns a clone of http.DefaultTransport, keeping its proxy
// (HTTPS_PROXY etc.), TLS and connection settings.
func NewTransport() *http.Transport {
	return http.DefaultTransport.(*http.Transport).Clone()
}

// RegistryTransport returns base (NewTransport() when nil) unless
// RUNDEPLOY_REGISTRY_OVERRIDE=http://HOST:PORT is set (getenv nil means
// os.Getenv): then every request is sent to that scheme and host instead,
// with the original host kept in the Host header, so a fake registry can tell
// us-central1-docker.pkg.dev from gcr.io. Meant for go-containerregistry's
// remote.WithTransport.
func RegistryTransport(base http.RoundTripper, getenv func(string) string) http.RoundTripper {
	if getenv == nil {
		getenv = os.Getenv
	}
	if base == nil {
		base = NewTransport()
	}
	o := getenv(registryOverrideVariable)
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

const errBadOverride = overrideError(registryOverrideVariable + " must be http://HOST:PORT or https://HOST:PORT")

type failingTransport struct{ err error }

func (t *failingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	return nil, t.err
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
