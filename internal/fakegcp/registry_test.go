package fakegcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/oauth2/google"

	"github.com/rundeploy/rundeploy/internal/gcloudtest"
)

// overrideTransport sends every request to the server, keeping the Host
// the client addressed (the RUNDEPLOY_REGISTRY_OVERRIDE convention).
type overrideTransport struct{ target *url.URL }

func (o overrideTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Host = r.URL.Host
	r.URL.Scheme, r.URL.Host = o.target.Scheme, o.target.Host
	return http.DefaultTransport.RoundTrip(r)
}

func TestRegistryHead(t *testing.T) {
	s := newWorld(t, Options{})
	digest := s.PushImage("us-central1-docker.pkg.dev/my-proj/apps/team/web:v2")
	target, _ := url.Parse(s.URL)
	rt := overrideTransport{target}
	bearer := func(tok string) authn.Authenticator { return authn.FromConfig(authn.AuthConfig{RegistryToken: tok}) }
	basic := func(user string) func(string) authn.Authenticator {
		return func(tok string) authn.Authenticator { return &authn.Basic{Username: user, Password: tok} }
	}
	tests := []struct {
		name   string
		ref    string
		token  string
		auth   func(string) authn.Authenticator
		status int // 0: found
		code   transport.ErrorCode
	}{
		{"bearer found", "us-central1-docker.pkg.dev/my-proj/apps/team/web:v2", ciToken, bearer, 0, ""},
		{"token flow found", "us-central1-docker.pkg.dev/my-proj/apps/team/web:v2", ciToken, basic("oauth2accesstoken"), 0, ""},
		{"ggcr keychain user", "us-central1-docker.pkg.dev/my-proj/apps/team/web:v2", ciToken, basic("_token"), 0, ""},
		{"by digest", "us-central1-docker.pkg.dev/my-proj/apps/team/web@" + digest, ciToken, bearer, 0, ""},
		{"bearer denied", "us-central1-docker.pkg.dev/my-proj/apps/team/web:v2", outToken, bearer, 403, transport.DeniedErrorCode},
		{"token flow denied", "us-central1-docker.pkg.dev/my-proj/apps/team/web:v2", outToken, basic("oauth2accesstoken"), 403, transport.DeniedErrorCode},
		{"missing repository", "us-central1-docker.pkg.dev/my-proj/nope/web:v2", ciToken, bearer, 403, transport.DeniedErrorCode},
		{"missing tag", "us-central1-docker.pkg.dev/my-proj/apps/team/web:v9", ciToken, bearer, 404, transport.ManifestUnknownErrorCode},
		{"public anonymous", "us-docker.pkg.dev/cloudrun/container/hello", "", nil, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref, err := name.ParseReference(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			opts := []remote.Option{remote.WithTransport(rt)}
			if tt.auth != nil {
				opts = append(opts, remote.WithAuth(tt.auth(tt.token)))
			}
			desc, err := remote.Head(ref, opts...)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("Head: %v", err)
				}
				if desc.MediaType != types.OCIManifestSchema1 || desc.Size == 0 {
					t.Errorf("descriptor = %+v", desc)
				}
				if strings.Contains(tt.ref, "team/web") && desc.Digest.String() != digest {
					t.Errorf("digest %s, want %s", desc.Digest, digest)
				}
				return
			}
			var terr *transport.Error
			if !errors.As(err, &terr) || terr.StatusCode != tt.status {
				t.Fatalf("Head: %v, want HTTP %d", err, tt.status)
			}
			if len(terr.Errors) > 0 && terr.Errors[0].Code != tt.code {
				t.Errorf("error code %s, want %s", terr.Errors[0].Code, tt.code)
			}
		})
	}

	// A GET shows the exact DENIED text of Artifact Registry.
	req, _ := http.NewRequest("GET", s.URL+"/v2/my-proj/apps/team/web/manifests/v2", nil)
	req.Host = "us-central1-docker.pkg.dev"
	req.Header.Set("Authorization", "Bearer "+outToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := `Permission \"artifactregistry.repositories.downloadArtifacts\" denied on resource \"projects/my-proj/locations/us-central1/repositories/apps\" (or it may not exist)`
	if resp.StatusCode != 403 || !strings.Contains(string(body), want) || !strings.Contains(string(body), `"code":"DENIED"`) {
		t.Errorf("GET denied: %d %s", resp.StatusCode, body)
	}

	// The full image (manifest, config, layer) can be read.
	img, err := remote.Image(name.MustParseReference("us-central1-docker.pkg.dev/my-proj/apps/team/web:v2"), remote.WithTransport(rt), remote.WithAuth(bearer(ciToken)))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil || cfg.Config.Labels["fakegcp.image"] == "" {
		t.Errorf("config = %v, %v", cfg, err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers = %v, %v", layers, err)
	}
	if rc, err := layers[0].Compressed(); err != nil {
		t.Errorf("layer: %v", err)
	} else {
		io.Copy(io.Discard, rc)
		rc.Close()
	}
}

func TestRegistryPropagationDelay(t *testing.T) {
	s := newWorld(t, Options{PropagationDelay: 1 << 62})
	s.Revoke(repo, "roles/artifactregistry.reader", ci)
	rt := overrideTransport{mustURL(s.URL)}
	ref := name.MustParseReference(image)
	auth := remote.WithAuth(authn.FromConfig(authn.AuthConfig{RegistryToken: ciToken}))

	s.mu.Lock()
	p := s.getPolicyLocked(repo)
	addMember(p, readerRole, ci)
	if _, e := s.setPolicyLocked(repo, p); e != nil {
		t.Fatal(e)
	}
	s.mu.Unlock()
	if got := s.Policy(repo); !strings.Contains(got.String(), ci) {
		t.Errorf("getIamPolicy does not show the new binding at once: %v", got)
	}
	if _, err := remote.Head(ref, remote.WithTransport(rt), auth); err == nil {
		t.Fatal("Head succeeded before the grant propagated")
	}
	s.PropagateNow()
	if _, err := remote.Head(ref, remote.WithTransport(rt), auth); err != nil {
		t.Fatalf("Head after propagation: %v", err)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestOAuth(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, Options{})
	const sa = "builder@my-proj.iam.gserviceaccount.com"
	key := s.AddServiceAccountKey(sa)
	creds, err := google.CredentialsFromJSONWithType(ctx, key, google.ServiceAccount, "https://www.googleapis.com/auth/cloud-platform")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := creds.TokenSource.Token()
	if err != nil {
		t.Fatalf("JWT-bearer exchange: %v", err)
	}
	info := getJSON(t, s.URL+"/tokeninfo?access_token="+url.QueryEscape(tok.AccessToken), "")
	if info["scope"] != "https://www.googleapis.com/auth/cloud-platform" {
		t.Errorf("tokeninfo = %v", info)
	}

	// Impersonation needs the token creator role.
	gen := func(token string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", s.URL+"/v1/projects/-/serviceAccounts/"+sa+":generateAccessToken", strings.NewReader(`{"scope":["https://www.googleapis.com/auth/cloud-platform","https://www.googleapis.com/auth/userinfo.email"]}`))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	if code, m := gen(ciToken); code != 403 {
		t.Errorf("generateAccessToken without the role: %d %v", code, m)
	}
	s.Grant("projects/"+proj, "roles/iam.serviceAccountTokenCreator", ci)
	code, m := gen(ciToken)
	if code != 200 {
		t.Fatalf("generateAccessToken: %d %v", code, m)
	}
	info = getJSON(t, s.URL+"/tokeninfo?access_token="+url.QueryEscape(m["accessToken"].(string)), "")
	if info["email"] != sa {
		t.Errorf("impersonated tokeninfo = %v", info)
	}
}

func getJSON(t *testing.T, u, token string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestGcloudDeploy runs the real gcloud against the server (about 3 s).
func TestGcloudDeploy(t *testing.T) {
	gcloud := gcloudtest.Real(t)
	if testing.Short() {
		t.Skip("short mode")
	}
	s := newWorld(t, Options{})
	dir := t.TempDir()
	cmd := exec.Command(gcloud, "run", "deploy", "hello", "--image=us-docker.pkg.dev/cloudrun/container/hello", "--allow-unauthenticated", "-q")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "CLOUDSDK_CORE_PROJECT=" + proj, "CLOUDSDK_RUN_REGION=" + region},
		s.GcloudEnv(filepath.Join(dir, "config"))...)
	os.MkdirAll(filepath.Join(dir, "config"), 0o700)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("gcloud run deploy: %v\n%s", err, out.String())
	}
	var seen []string
	for _, r := range s.Requests() {
		seen = append(seen, r.Method+" "+r.Host+" "+r.Path)
		if r.Member != DefaultMember {
			t.Errorf("request %s %s made as %q", r.Method, r.Path, r.Member)
		}
	}
	all := strings.Join(seen, "\n")
	for _, want := range []string{
		"GET us-central1-run.fake:", "/apis/serving.knative.dev/v1/namespaces/my-proj/services/hello",
		"POST us-central1-run.fake:", "/apis/serving.knative.dev/v1/namespaces/my-proj/services\n",
		"POST run.fake:", "/v1/projects/my-proj/locations/us-central1/services/hello:setIamPolicy",
	} {
		if !strings.Contains(all+"\n", want) {
			t.Errorf("requests lack %q:\n%s", want, all)
		}
	}
	if p := s.Policy(svcName[:strings.LastIndex(svcName, "/")] + "/hello"); !strings.Contains(p.String(), "allUsers") {
		t.Errorf("service policy = %v", p)
	}
	if !strings.Contains(out.String(), "Service URL: https://hello-") {
		t.Errorf("gcloud output lacks the service URL:\n%s", out.String())
	}

	// Env() (the Run override is the server's own URL) also works for gcloud
	// through the proxy; this second deploy is an update (PUT).
	s.ResetRequests()
	cmd = exec.Command(gcloud, "run", "deploy", "hello", "--image=us-docker.pkg.dev/cloudrun/container/hello:latest", "-q")
	cmd.Env = append(cmd.Env[:0:0], "PATH="+os.Getenv("PATH"), "HOME="+dir, "CLOUDSDK_CORE_PROJECT="+proj, "CLOUDSDK_RUN_REGION="+region)
	cmd.Env = append(append(cmd.Env, s.GcloudEnv(filepath.Join(dir, "config"))...), s.Env()...)
	out.Reset()
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("gcloud run deploy with Env(): %v\n%s", err, out.String())
	}
	var put bool
	for _, r := range s.Requests() {
		put = put || (r.Method == "PUT" && strings.HasPrefix(r.Host, "us-central1-127.0.0.1:") && strings.Contains(r.Body, "cloudrun/container/hello:latest"))
	}
	if !put {
		t.Errorf("no PUT of the new image through Env(): %+v", s.Requests())
	}
}

func TestServePrintsEnvironment(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	if err := Serve(ctx, "127.0.0.1:0", &out, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"export CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN=http://127.0.0.1:",
		"export RUNDEPLOY_REGISTRY_OVERRIDE=http://127.0.0.1:",
		"export CLOUDSDK_AUTH_ACCESS_TOKEN_FILE=",
		"export CLOUDSDK_CONFIG=",
		"export CLOUDSDK_PROXY_PORT=",
		"deployer@demo-proj.iam.gserviceaccount.com",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestSeedDemo(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	s.SeedDemo()
	if !s.allowed(DemoDeployer, "projects/demo-proj/locations/us-central1/repositories/apps", permRepoSetIam) ||
		!s.allowed(DemoDeployer, "projects/demo-proj/locations/us-central1/services/x", permRunCreate) {
		t.Error("deployer lacks its demo roles")
	}
	agent := serviceAgent(DemoProjectNumber)
	if s.allowed(agent, "projects/images-proj/locations/us-central1/repositories/apps", permDownload) {
		t.Error("demo-proj's service agent can read images-proj, want the cross-project case")
	}
	if !s.allowed(agent, "projects/demo-proj/locations/us-central1/repositories/apps", permDownload) {
		t.Error("service agent lacks roles/run.serviceAgent on its own project")
	}
}
