package auth

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rundeploy/rundeploy/internal/gcloudtest"
	"github.com/rundeploy/rundeploy/wrap"
)

var (
	testKeyOnce sync.Once
	testKey     *rsa.PrivateKey
)

func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	testKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

// fakeGoogle is a loopback stand-in for the OAuth token endpoint, tokeninfo,
// the IAM Credentials API and the metadata server.
type fakeGoogle struct {
	t   *testing.T
	srv *httptest.Server
	key *rsa.PublicKey

	mu       sync.Mutex
	requests []string // "METHOD path"
	impBody  map[string]any
	impAuth  string
}

func newFakeGoogle(t *testing.T) *fakeGoogle {
	f := &fakeGoogle{t: t, key: &rsaKey(t).PublicKey}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGoogle) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/token":
		r.ParseForm()
		switch r.Form.Get("grant_type") {
		case "urn:ietf:params:oauth:grant-type:jwt-bearer":
			if err := f.checkJWT(r.Form.Get("assertion"), "http://"+r.Host+"/token"); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			io.WriteString(w, `{"access_token":"sa-token","token_type":"Bearer","expires_in":3600}`)
		case "refresh_token":
			if r.Form.Get("refresh_token") != "refresh-1" {
				http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
				return
			}
			io.WriteString(w, `{"access_token":"user-token","token_type":"Bearer","expires_in":3600}`)
		default:
			http.Error(w, "bad grant", http.StatusBadRequest)
		}
	case r.URL.Path == "/tokeninfo":
		emails := map[string]string{"user-token": "alice@example.com", "file-token": "bob@example.com", "sa-token": "key@p.iam.gserviceaccount.com"}
		tok := r.URL.Query().Get("access_token")
		if tok == "no-email-token" {
			io.WriteString(w, `{"scope":"https://www.googleapis.com/auth/cloud-platform"}`)
			return
		}
		e, ok := emails[tok]
		if !ok {
			http.Error(w, `{"error":"invalid_token"}`, http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, `{"email":%q,"email_verified":"true"}`, e)
	case strings.HasPrefix(r.URL.Path, "/v1/projects/-/serviceAccounts/") && strings.HasSuffix(r.URL.Path, ":generateAccessToken"):
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		f.mu.Lock()
		f.impBody, f.impAuth = body, r.Header.Get("Authorization")
		f.mu.Unlock()
		fmt.Fprintf(w, `{"accessToken":"imp-token","expireTime":%q}`, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	case r.URL.Path == "/computeMetadata/v1/instance/service-accounts/default/token":
		w.Header().Set("Metadata-Flavor", "Google")
		io.WriteString(w, `{"access_token":"gce-token","token_type":"Bearer","expires_in":3600}`)
	case r.URL.Path == "/computeMetadata/v1/instance/service-accounts/default/email":
		w.Header().Set("Metadata-Flavor", "Google")
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "123-compute@developer.gserviceaccount.com")
	default:
		http.NotFound(w, r)
	}
}

// checkJWT verifies an RS256 assertion signed by the test key for aud.
func (f *fakeGoogle) checkJWT(assertion, aud string) error {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(f.key, crypto.SHA256, sum[:], sig); err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return err
	}
	var claims struct {
		Iss, Aud, Scope string
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return err
	}
	if claims.Aud != aud || claims.Iss != "key@p.iam.gserviceaccount.com" || !strings.Contains(claims.Scope, "cloud-platform") {
		return fmt.Errorf("claims %+v, want aud %s", claims, aud)
	}
	return nil
}

func (f *fakeGoogle) saKey(t *testing.T, dir, tokenURI string) string {
	t.Helper()
	der := x509.MarshalPKCS1PrivateKey(rsaKey(t))
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der})
	b, _ := json.Marshal(map[string]string{
		"type":           "service_account",
		"project_id":     "p",
		"private_key_id": "kid",
		"private_key":    string(keyPEM),
		"client_email":   "key@p.iam.gserviceaccount.com",
		"client_id":      "1",
		"token_uri":      tokenURI,
	})
	return gcloudtest.WriteFile(t, dir, "key.json", string(b))
}

func (f *fakeGoogle) userADC(t *testing.T, dir string) string {
	b, _ := json.Marshal(map[string]string{
		"type":          "authorized_user",
		"client_id":     "cid",
		"client_secret": "secret",
		"refresh_token": "refresh-1",
		"token_uri":     f.srv.URL + "/token",
	})
	return gcloudtest.WriteFile(t, dir, "application_default_credentials.json", string(b))
}

func (f *fakeGoogle) saw(req string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.requests, req)
}

// env is a test environment for wrap.LoadConfig.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// credEnv is a hermetic base environment: empty config dir and PATH, no
// metadata probe, tokeninfo and iamcredentials at the fake.
func credEnv(t *testing.T, f *fakeGoogle) env {
	return env{
		"CLOUDSDK_CONFIG":                                t.TempDir(),
		"PATH":                                           t.TempDir(),
		"CLOUDSDK_CORE_CHECK_GCE_METADATA":               "false",
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_OAUTH2":         f.srv.URL + "/",
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS": f.srv.URL + "/",
	}
}

func loadCreds(t *testing.T, e env) (*Credentials, error) {
	t.Helper()
	c, err := wrap.LoadConfig(e.get, "")
	if err != nil {
		t.Fatal(err)
	}
	return Resolve(context.Background(), c, Options{})
}

func token(t *testing.T, cr *Credentials) string {
	t.Helper()
	tok, err := cr.TokenSource.Token()
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	return tok.AccessToken
}

func TestCredentialsAccessToken(t *testing.T) {
	f := newFakeGoogle(t)
	dir := t.TempDir()
	tokFile := gcloudtest.WriteFile(t, dir, "tok", "  file-token\n")

	e := credEnv(t, f)
	e["CLOUDSDK_AUTH_ACCESS_TOKEN_FILE"] = tokFile
	e["CLOUDSDK_CORE_ACCOUNT"] = "ignored@example.com"
	cr, err := loadCreds(t, e)
	if err != nil {
		t.Fatal(err)
	}
	if got := token(t, cr); got != "file-token" {
		t.Errorf("token %q", got)
	}
	if cr.Identity != (Identity{Source: "access token file " + tokFile}) {
		t.Errorf("identity %+v", cr.Identity)
	}
	id, err := cr.Caller(context.Background())
	if err != nil || id.Member != "user:bob@example.com" || id.Email != "bob@example.com" || id.Source != cr.Identity.Source {
		t.Errorf("Caller = %+v, %v", id, err)
	}

	// CLOUDSDK_AUTH_ACCESS_TOKEN comes first.
	e["CLOUDSDK_AUTH_ACCESS_TOKEN"] = "user-token"
	cr, err = loadCreds(t, e)
	if err != nil || token(t, cr) != "user-token" || cr.Identity.Source != "access token from CLOUDSDK_AUTH_ACCESS_TOKEN" {
		t.Errorf("env token: %+v, %v", cr, err)
	}

	// A missing file is gcloud's error.
	missing := filepath.Join(dir, "nope")
	e2 := credEnv(t, f)
	e2["CLOUDSDK_AUTH_ACCESS_TOKEN_FILE"] = missing
	_, err = loadCreds(t, e2)
	var ve *wrap.ValueError
	want := fmt.Sprintf("Unable to read file [%s]: [Errno 2] No such file or directory: '%s'", missing, missing)
	if !errors.As(err, &ve) || ve.Msg != want {
		t.Errorf("missing token file: %v\nwant %s", err, want)
	}
}

func TestCredentialsTokenInfoFallbacks(t *testing.T) {
	f := newFakeGoogle(t)
	e := credEnv(t, f)
	e["CLOUDSDK_AUTH_ACCESS_TOKEN"] = "no-email-token"
	cr, err := loadCreds(t, e)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cr.Caller(context.Background()); err == nil || !strings.Contains(err.Error(), "userinfo.email") {
		t.Errorf("no email scope: err = %v", err)
	}
	e["CLOUDSDK_CORE_ACCOUNT"] = "ci@p.iam.gserviceaccount.com"
	cr, _ = loadCreds(t, e)
	id, err := cr.Caller(context.Background())
	if err != nil || id.Member != "serviceAccount:ci@p.iam.gserviceaccount.com" {
		t.Errorf("fallback to core/account: %+v, %v", id, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e["CLOUDSDK_AUTH_ACCESS_TOKEN"] = "user-token"
	delete(e, "CLOUDSDK_CORE_ACCOUNT")
	cr, _ = loadCreds(t, e)
	if _, err := cr.Caller(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Caller: %v", err)
	}
}

func TestCredentialFileOverride(t *testing.T) {
	f := newFakeGoogle(t)
	dir := t.TempDir()
	key := f.saKey(t, dir, f.srv.URL+"/token")

	e := credEnv(t, f)
	e["CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE"] = key
	e["CLOUDSDK_CORE_ACCOUNT"] = "someone@example.com" // ignored: the override wins
	cr, err := loadCreds(t, e)
	if err != nil {
		t.Fatal(err)
	}
	if got := token(t, cr); got != "sa-token" {
		t.Errorf("token %q", got)
	}
	want := Identity{Member: "serviceAccount:key@p.iam.gserviceaccount.com", Email: "key@p.iam.gserviceaccount.com",
		Source: "credential file override (service account key " + key + ")"}
	if cr.Identity != want {
		t.Errorf("identity %+v\nwant %+v", cr.Identity, want)
	}
	if id, err := cr.Caller(context.Background()); err != nil || id != want || f.saw("GET /tokeninfo") {
		t.Errorf("Caller = %+v, %v (must not call tokeninfo)", id, err)
	}

	// auth/token_host replaces a service account's token_uri.
	key2 := f.saKey(t, t.TempDir(), "http://127.0.0.1:1/unused")
	e["CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE"] = key2
	e["CLOUDSDK_AUTH_TOKEN_HOST"] = f.srv.URL + "/token"
	cr, err = loadCreds(t, e)
	if err != nil || token(t, cr) != "sa-token" {
		t.Errorf("token_host: %v", err)
	}
}

func TestCredentialFileOverrideErrors(t *testing.T) {
	f := newFakeGoogle(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.json")
	bogus := gcloudtest.WriteFile(t, dir, "b.json", `{"type":"bogus"}`)
	notJSON := gcloudtest.WriteFile(t, dir, "n.json", `nope`)
	tests := []struct{ path, want string }{
		{missing, fmt.Sprintf("Failed to load credential file: [%s].  File %s was not found.", missing, missing)},
		{bogus, fmt.Sprintf("Failed to load credential file: [%s].  The file %s does not have a valid type. Type is bogus, expected one of ('authorized_user', 'service_account', 'external_account', 'external_account_authorized_user', 'impersonated_service_account', 'gdch_service_account').", bogus, bogus)},
		{notJSON, fmt.Sprintf("Failed to load credential file: [%s].  File %s is not a valid json file.", notJSON, notJSON)},
	}
	for _, tt := range tests {
		e := credEnv(t, f)
		e["CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE"] = tt.path
		_, err := loadCreds(t, e)
		var ve *wrap.ValueError
		if !errors.As(err, &ve) || ve.Msg != tt.want || ve.Command != "gcloud.run.deploy" {
			t.Errorf("%s: %v\nwant %s", tt.path, err, tt.want)
		}
	}
}

func TestCredentialsGcloudAccount(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX stand-in gcloud")
	}
	f := newFakeGoogle(t)
	bin := t.TempDir()
	_, argsFile := gcloudtest.WriteFake(t, bin, gcloudtest.Fake{Stdout: "gcloud-token\n"})
	e := credEnv(t, f)
	e["PATH"] = bin
	e["CLOUDSDK_CORE_ACCOUNT"] = "alice@example.com"
	cr, err := loadCreds(t, e)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second call reuses the token
		if got := token(t, cr); got != "gcloud-token" {
			t.Errorf("token %q", got)
		}
	}
	want := Identity{Member: "user:alice@example.com", Email: "alice@example.com", Source: "gcloud account alice@example.com"}
	if cr.Identity != want {
		t.Errorf("identity %+v", cr.Identity)
	}
	calls := gcloudtest.Calls(t, argsFile)
	if len(calls) != 1 || !slices.Equal(calls[0], []string{"auth", "print-access-token", "--account=alice@example.com"}) {
		t.Errorf("gcloud calls %q", calls)
	}
}

func TestCredentialsGcloudEnvironment(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX stand-in gcloud")
	}
	f := newFakeGoogle(t)
	bin := t.TempDir()
	gcloudtest.WriteFake(t, bin, gcloudtest.Fake{Script: `printf '%s|%s|%s|%s' "$CLOUDSDK_ACTIVE_CONFIG_NAME" "$CLOUDSDK_CONFIG" "$CLOUDSDK_CORE_DISABLE_PROMPTS" "${CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT-unset}"`})
	e := credEnv(t, f)
	e["PATH"] = bin
	gcloudtest.WriteFile(t, e["CLOUDSDK_CONFIG"], "configurations/config_prod", "[core]\naccount = a@example.com\n")
	c, err := wrap.LoadConfig(e.get, "prod")
	if err != nil {
		t.Fatal(err)
	}
	cr, err := Resolve(context.Background(), c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "prod|" + e["CLOUDSDK_CONFIG"] + "|1|"
	if got := token(t, cr); got != want {
		t.Errorf("gcloud saw %q, want %q", got, want)
	}
}

func TestCredentialsGcloudFallThrough(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX stand-in gcloud")
	}
	f := newFakeGoogle(t)
	noCreds := "ERROR: (gcloud.auth.print-access-token) Your current active account [alice@example.com] does not have any valid credentials\nPlease run:\n"
	tests := []struct {
		name      string
		fake      *fakeGoogle
		stderr    string
		adc       bool
		wantToken string
		wantErr   string
	}{
		{name: "no credentials, ADC key", stderr: noCreds, adc: true, wantToken: "sa-token"},
		{name: "no credentials, no ADC", stderr: noCreds, wantErr: "Your current active account [alice@example.com] does not have any valid credentials\nPlease run:\n\n  $ gcloud auth login\n\nto obtain new credentials.\n\nFor service account, please activate it first:\n\n  $ gcloud auth activate-service-account ACCOUNT"},
		{name: "other gcloud failure", stderr: "ERROR: (gcloud.auth.print-access-token) Reauthentication failed. cannot prompt during non-interactive execution.\n", adc: true,
			wantErr: "gcloud auth print-access-token: Reauthentication failed. cannot prompt during non-interactive execution."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := t.TempDir()
			gcloudtest.WriteFake(t, bin, gcloudtest.Fake{Stderr: tt.stderr, Exit: 1})
			e := credEnv(t, f)
			e["PATH"] = bin
			e["CLOUDSDK_CORE_ACCOUNT"] = "alice@example.com"
			if tt.adc {
				e["GOOGLE_APPLICATION_CREDENTIALS"] = f.saKey(t, t.TempDir(), f.srv.URL+"/token")
			}
			cr, err := loadCreds(t, e)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v\nwant %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := token(t, cr); got != tt.wantToken {
				t.Errorf("token %q", got)
			}
			if !strings.HasPrefix(cr.Identity.Source, "application default credentials (service account key ") {
				t.Errorf("source %q", cr.Identity.Source)
			}
		})
	}

	// No gcloud installed: straight to ADC.
	e := credEnv(t, f)
	e["CLOUDSDK_CORE_ACCOUNT"] = "alice@example.com"
	e["GOOGLE_APPLICATION_CREDENTIALS"] = f.saKey(t, t.TempDir(), f.srv.URL+"/token")
	if cr, err := loadCreds(t, e); err != nil || token(t, cr) != "sa-token" {
		t.Errorf("without gcloud: %v", err)
	}
}

func TestCredentialsApplicationDefaultWellKnownFile(t *testing.T) {
	f := newFakeGoogle(t)
	e := credEnv(t, f)
	path := f.userADC(t, e["CLOUDSDK_CONFIG"])
	cr, err := loadCreds(t, e)
	if err != nil {
		t.Fatal(err)
	}
	if got := token(t, cr); got != "user-token" {
		t.Errorf("token %q", got)
	}
	if cr.Identity != (Identity{Source: "application default credentials (user credentials " + path + ")"}) {
		t.Errorf("identity %+v", cr.Identity)
	}
	id, err := cr.Caller(context.Background())
	if err != nil || id.Member != "user:alice@example.com" {
		t.Errorf("Caller = %+v, %v", id, err)
	}
}

func TestCredentialsNone(t *testing.T) {
	f := newFakeGoogle(t)
	_, err := loadCreds(t, credEnv(t, f))
	var ve *wrap.ValueError
	want := "You do not currently have an active account selected.\nPlease run:\n\n  $ gcloud auth login\n\nto obtain new credentials.\n\nIf you have already logged in with a different account, run:\n\n  $ gcloud config set account ACCOUNT\n\nto select an already authenticated account to use."
	if !errors.As(err, &ve) || ve.Msg != want {
		t.Errorf("err = %v", err)
	}
}

func TestCredentialsMetadataServer(t *testing.T) {
	f := newFakeGoogle(t)
	t.Setenv("GCE_METADATA_HOST", strings.TrimPrefix(f.srv.URL, "http://"))
	e := credEnv(t, f)
	delete(e, "CLOUDSDK_CORE_CHECK_GCE_METADATA")
	cr, err := loadCreds(t, e)
	if err != nil {
		t.Fatal(err)
	}
	if got := token(t, cr); got != "gce-token" {
		t.Errorf("token %q", got)
	}
	id, err := cr.Caller(context.Background())
	if err != nil || id.Member != "serviceAccount:123-compute@developer.gserviceaccount.com" || id.Source != "application default credentials (metadata server)" {
		t.Errorf("Caller = %+v, %v", id, err)
	}
}

func TestCredentialsImpersonation(t *testing.T) {
	f := newFakeGoogle(t)
	e := credEnv(t, f)
	e["CLOUDSDK_AUTH_ACCESS_TOKEN"] = "user-token"
	e["CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT"] = "d1@p.iam.gserviceaccount.com, target@p.iam.gserviceaccount.com"
	cr, err := loadCreds(t, e)
	if err != nil {
		t.Fatal(err)
	}
	if got := token(t, cr); got != "imp-token" {
		t.Errorf("token %q", got)
	}
	if !f.saw("POST /v1/projects/-/serviceAccounts/target@p.iam.gserviceaccount.com:generateAccessToken") {
		t.Errorf("requests %q", f.requests)
	}
	if f.impAuth != "Bearer user-token" {
		t.Errorf("impersonation call authorized with %q", f.impAuth)
	}
	if d, _ := f.impBody["delegates"].([]any); len(d) != 1 || d[0] != "projects/-/serviceAccounts/d1@p.iam.gserviceaccount.com" {
		t.Errorf("delegates %v", f.impBody["delegates"])
	}
	if cr.Identity.Member != "serviceAccount:target@p.iam.gserviceaccount.com" ||
		cr.Identity.Source != "service account impersonation of target@p.iam.gserviceaccount.com using access token from CLOUDSDK_AUTH_ACCESS_TOKEN" {
		t.Errorf("identity %+v", cr.Identity)
	}
	if cr.Warning != "This command is using service account impersonation. All API calls will be executed as [target@p.iam.gserviceaccount.com]." {
		t.Errorf("warning %q", cr.Warning)
	}
}

func TestFileIdentity(t *testing.T) {
	tests := []struct {
		f    credentialFile
		want Identity
	}{
		{credentialFile{Type: "service_account", ClientEmail: "k@p.iam.gserviceaccount.com"}, Identity{Member: "serviceAccount:k@p.iam.gserviceaccount.com", Email: "k@p.iam.gserviceaccount.com"}},
		{credentialFile{Type: "impersonated_service_account", ServiceAccountImpersonationURL: "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/t@p.iam.gserviceaccount.com:generateAccessToken"},
			Identity{Member: "serviceAccount:t@p.iam.gserviceaccount.com", Email: "t@p.iam.gserviceaccount.com"}},
		{credentialFile{Type: "external_account", Audience: "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/providers/gh",
			ServiceAccountImpersonationURL: "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/wif@p.iam.gserviceaccount.com:generateAccessToken"},
			Identity{Member: "serviceAccount:wif@p.iam.gserviceaccount.com", Email: "wif@p.iam.gserviceaccount.com"}},
		{credentialFile{Type: "external_account", Audience: "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/providers/gh"},
			Identity{Member: "principal://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/subject/SUBJECT"}},
		{credentialFile{Type: "external_account_authorized_user", Audience: "//iam.googleapis.com/locations/global/workforcePools/wf/providers/okta"},
			Identity{Member: "principal://iam.googleapis.com/locations/global/workforcePools/wf/subject/SUBJECT"}},
		{credentialFile{Type: "authorized_user"}, Identity{}},
		{credentialFile{Type: "external_account", Audience: "bogus"}, Identity{}},
	}
	for _, tt := range tests {
		if got := fileIdentity(tt.f); got != tt.want {
			t.Errorf("fileIdentity(%+v) = %+v, want %+v", tt.f, got, tt.want)
		}
	}
}

func TestMemberFor(t *testing.T) {
	tests := map[string]string{
		"":                             "",
		"alice@example.com":            "user:alice@example.com",
		"ci@p.iam.gserviceaccount.com": "serviceAccount:ci@p.iam.gserviceaccount.com",
		"123-compute@developer.gserviceaccount.com": "serviceAccount:123-compute@developer.gserviceaccount.com",
		"x@appspot.gserviceaccount.com":             "serviceAccount:x@appspot.gserviceaccount.com",
	}
	for in, want := range tests {
		if got := MemberFor(in); got != want {
			t.Errorf("MemberFor(%q) = %q, want %q", in, got, want)
		}
	}
}
