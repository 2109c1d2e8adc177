package wrap

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestEndpoints(t *testing.T) {
	c := configFrom(t, env{
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN":              "http://run.fake:8765/",
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_ARTIFACTREGISTRY": "http://127.0.0.1:9/ar/",
	}, "[api_endpoint_overrides]\nrun = http://ignored/\ncloudresourcemanager = https://crm.example.com/\noauth2 = http://127.0.0.1:1/\n")
	tests := []struct{ api, endpoint, rest string }{
		{APIRun, "http://run.fake:8765/", "http://run.fake:8765"},
		{APIArtifactRegistry, "http://127.0.0.1:9/ar/", "http://127.0.0.1:9/ar"},
		{APICloudResourceManager, "https://crm.example.com/", "https://crm.example.com"},
		{APIOAuth2, "http://127.0.0.1:1/", "http://127.0.0.1:1"},
		{APIIAMCredentials, "", ""},
		{APIPolicyTroubleshooter, "", ""},
	}
	for _, tt := range tests {
		if got := c.Endpoint(tt.api); got != tt.endpoint {
			t.Errorf("Endpoint(%s) = %q, want %q", tt.api, got, tt.endpoint)
		}
		if got := c.RESTEndpoint(tt.api); got != tt.rest {
			t.Errorf("RESTEndpoint(%s) = %q, want %q", tt.api, got, tt.rest)
		}
	}
}

func TestRegistryTransport(t *testing.T) {
	type seen struct{ host, path, query string }
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.Host, r.URL.Path, r.URL.RawQuery}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()

	rt := RegistryTransport(nil, env{"RUNDEPLOY_REGISTRY_OVERRIDE": srv.URL}.get)
	client := &http.Client{Transport: rt}
	for _, u := range []string{
		"https://us-central1-docker.pkg.dev/v2/my-proj/apps/web/manifests/v3?x=1",
		"https://gcr.io/v2/p/i/tags/list",
	} {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		s := <-got
		want := strings.TrimPrefix(u, "https://")
		host, rest, _ := strings.Cut(want, "/")
		path, query, _ := strings.Cut("/"+rest, "?")
		if s.host != host || s.path != path || s.query != query {
			t.Errorf("%s arrived as host=%q path=%q query=%q", u, s.host, s.path, s.query)
		}
		if req.URL.Host != host || req.URL.Scheme != "https" || req.Host != host {
			t.Errorf("the caller's request was modified: %v host=%q", req.URL, req.Host)
		}
	}

	base := &http.Transport{}
	if RegistryTransport(base, env{}.get) != base {
		t.Error("without the override the base transport must be returned")
	}
	if _, ok := RegistryTransport(nil, env{}.get).(*http.Transport); !ok {
		t.Error("nil base: want a clone of http.DefaultTransport")
	}
	bad := RegistryTransport(nil, env{"RUNDEPLOY_REGISTRY_OVERRIDE": "127.0.0.1:5000"}.get)
	if _, err := (&http.Client{Transport: bad}).Get("https://gcr.io/v2/"); err == nil || !strings.Contains(err.Error(), "RUNDEPLOY_REGISTRY_OVERRIDE") {
		t.Errorf("bad override: err = %v", err)
	}
}

func TestNewTransportKeepsProxy(t *testing.T) {
	tr := NewTransport()
	if tr.Proxy == nil || tr == http.DefaultTransport {
		t.Error("NewTransport must clone http.DefaultTransport, proxy settings included")
	}
}
