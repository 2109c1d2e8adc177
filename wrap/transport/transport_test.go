package transport

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// getenv is an environment holding the given key, value pairs.
func getenv(kv ...string) func(string) string {
	return func(k string) string {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1]
			}
		}
		return ""
	}
}

func TestRegistry(t *testing.T) {
	type seen struct{ host, path, query string }
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.Host, r.URL.Path, r.URL.RawQuery}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()

	rt := Registry(nil, getenv(RegistryOverrideVariable, srv.URL))
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
	if Registry(base, getenv()) != base {
		t.Error("without the override the base transport must be returned")
	}
	if _, ok := Registry(nil, getenv()).(*http.Transport); !ok {
		t.Error("nil base: want a clone of http.DefaultTransport")
	}
	bad := Registry(nil, getenv(RegistryOverrideVariable, "127.0.0.1:5000"))
	if _, err := (&http.Client{Transport: bad}).Get("https://gcr.io/v2/"); err == nil || !strings.Contains(err.Error(), "RUNDEPLOY_REGISTRY_OVERRIDE") {
		t.Errorf("bad override: err = %v", err)
	}
}

func TestNewKeepsProxy(t *testing.T) {
	tr := New()
	if tr.Proxy == nil || tr == http.DefaultTransport {
		t.Error("New must clone http.DefaultTransport, proxy settings included")
	}
}
