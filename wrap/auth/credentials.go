// Package auth finds the credentials gcloud would use for a command, in
// gcloud's order, and who they belong to. It is apart from package wrap so
// that the grammar (package cli, which uses wrap) links no OAuth or metadata
// library: --help and argument errors stay cheap to serve.
package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/compute/metadata"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/impersonate"
	"google.golang.org/api/option"

	"github.com/rundeploy/rundeploy/wrap"
	"github.com/rundeploy/rundeploy/wrap/transport"
)

// DefaultScopes are the OAuth scopes rundeploy requests.
var DefaultScopes = []string{
	"https://www.googleapis.com/auth/cloud-platform",
	"https://www.googleapis.com/auth/userinfo.email",
}

// AccessTokenVariable is gcloud's CLOUDSDK_AUTH_ACCESS_TOKEN: a raw access
// token that takes precedence over every other credential.
const AccessTokenVariable = "CLOUDSDK_AUTH_ACCESS_TOKEN"

// Identity is who API calls are made as.
type Identity struct {
	// Member is the IAM principal: "user:EMAIL", "serviceAccount:EMAIL", a
	// "principal://..." template for federated identities (with SUBJECT to
	// be filled in), or "" when unknown.
	Member string
	// Email is the account's email, or "" when unknown.
	Email string
	// Source says where the credentials came from, for messages, e.g.
	// "access token file /x", "gcloud account alice@example.com",
	// "application default credentials (service account key /x.json)".
	Source string
}

// Credentials are the credentials for API calls, found in gcloud's order.
type Credentials struct {
	// TokenSource yields the bearer tokens; pass it to clients with
	// option.WithTokenSource.
	TokenSource oauth2.TokenSource
	// Identity is what is known without network calls; see Caller.
	Identity Identity
	// Warning is the message gcloud prints as "WARNING: ..." when these
	// credentials are used ("This command is using service account
	// impersonation. ..."), or "".
	Warning string

	httpClient *http.Client
	tokenInfo  string // tokeninfo URL
	onGCE      bool   // came from the metadata server
	account    string // core/account, the fallback email for Caller

	mu     sync.Mutex
	caller *Identity
}

// Options tune Config.Credentials. The zero value is fine: the
// gcloud-wide flags reach Credentials through the Config (cli.Globals.Apply).
type Options struct {
	// Scopes for key files, ADC and impersonation; nil means DefaultScopes.
	Scopes []string
	// HTTPClient carries the token exchanges (JWT bearer, refresh, STS,
	// impersonation, tokeninfo); nil means a client over transport.New().
	HTTPClient *http.Client
	// Stderr receives the stderr of the real gcloud when it is run for a
	// token and fails for another reason than missing credentials; nil
	// discards it (its text is in the error anyway).
	Stderr io.Writer
}

// Credentials finds credentials in gcloud's order:
//
//  1. CLOUDSDK_AUTH_ACCESS_TOKEN, then auth/access_token_file
//     (--access-token-file, CLOUDSDK_AUTH_ACCESS_TOKEN_FILE): the token is read
//     once, stripped and sent verbatim, never refreshed;
//  2. auth/credential_file_override (CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE): a
//     key or ADC-style JSON file loaded with golang.org/x/oauth2/google
//     (service-account keys do the JWT exchange against their token_uri,
//     or auth/token_host when set);
//  3. the gcloud account core/account (--account): the real gcloud prints
//     its token ("gcloud auth print-access-token"), run again when the token
//     is due; if gcloud has no credentials for it, or is not installed, the
//     search goes on;
//  4. Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS, then
//     application_default_credentials.json in the gcloud config directory,
//     then the metadata server (skipped when core/check_gce_metadata is false).
//
// auth/impersonate_service_account (--impersonate-service-account=
// [DELEGATE,...,]SA) then impersonates SA with the found credentials as the
// source, through the IAM Credentials API (honouring
// api_endpoint_overrides/iamcredentials).
//
// ctx bounds the work done here (reading files, running gcloud); token
// refreshes later are not tied to it. No network call is made except by
// gcloud itself and the metadata-server probe. Errors carry gcloud's text
// and are *wrap.ValueError where gcloud has one.
func Resolve(ctx context.Context, cfg *wrap.Config, o Options) (*Credentials, error) {
	return config{cfg}.credentials(ctx, o)
}

// config is the configuration credentials are resolved from.
type config struct{ *wrap.Config }

func (c config) credentials(ctx context.Context, o Options) (*Credentials, error) {
	scopes := o.Scopes
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: transport.New()}
	}
	// Token sources keep this context for refreshes: keep the client, drop
	// the cancellation.
	tctx := context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, hc)

	creds := &Credentials{httpClient: hc, account: c.Account(), tokenInfo: strings.TrimRight(c.Endpoint(wrap.APIOAuth2), "/")}
	if creds.tokenInfo == "" {
		creds.tokenInfo = "https://oauth2.googleapis.com"
	}
	creds.tokenInfo += "/tokeninfo"

	if err := c.baseCredentials(ctx, tctx, creds, scopes, o); err != nil {
		return nil, err
	}
	if sa := c.ImpersonateServiceAccount(); sa != "" {
		if err := c.impersonate(tctx, creds, sa, scopes, hc); err != nil {
			return nil, err
		}
	}
	return creds, nil
}

func (c config) baseCredentials(ctx, tctx context.Context, creds *Credentials, scopes []string, o Options) error {
	if tok, ok := c.LookupEnv(AccessTokenVariable); ok && tok != "" {
		creds.TokenSource = staticToken(wrap.TrimPySpace(tok))
		creds.Identity = Identity{Source: "access token from " + AccessTokenVariable}
		return nil
	}
	if path := c.AccessTokenFile(); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return &wrap.ValueError{Command: "gcloud.run.deploy", Msg: fmt.Sprintf("Unable to read file [%s]: %s", path, describeFileError(path, err))}
		}
		creds.TokenSource = staticToken(wrap.TrimPySpace(string(b)))
		creds.Identity = Identity{Source: "access token file " + path}
		return nil
	}
	if path := c.CredentialFileOverride(); path != "" {
		return c.fileCredentials(tctx, creds, path, "credential file override", scopes, true)
	}

	var gcloudErr error
	if account := c.Account(); account != "" {
		ok, err := c.gcloudCredentials(ctx, tctx, creds, account, o.Stderr)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		gcloudErr = &wrap.ValueError{Command: "gcloud.run.deploy", Msg: fmt.Sprintf(
			"Your current active account [%s] does not have any valid credentials\nPlease run:\n\n  $ gcloud auth login\n\nto obtain new credentials.\n\nFor service account, please activate it first:\n\n  $ gcloud auth activate-service-account ACCOUNT", account)}
	}

	found, err := c.applicationDefault(ctx, tctx, creds, scopes)
	if err != nil || found {
		return err
	}
	if gcloudErr != nil {
		return gcloudErr
	}
	return &wrap.ValueError{Command: "gcloud.run.deploy", Msg: "You do not currently have an active account selected.\nPlease run:\n\n  $ gcloud auth login\n\nto obtain new credentials.\n\nIf you have already logged in with a different account, run:\n\n  $ gcloud config set account ACCOUNT\n\nto select an already authenticated account to use."}
}

// describeFileError renders err like Python's OSError text.
func describeFileError(path string, err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("[Errno 2] No such file or directory: '%s'", path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Sprintf("[Errno 13] Permission denied: '%s'", path)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func staticToken(tok string) oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok, TokenType: "Bearer"})
}

// credentialKinds are the credential file types gcloud (google-auth)
// accepts, with the words used in Identity.Source.
var credentialKinds = map[string]string{
	string(google.AuthorizedUser):                "user credentials",
	string(google.ServiceAccount):                "service account key",
	string(google.ExternalAccount):               "workload identity federation configuration",
	string(google.ExternalAccountAuthorizedUser): "workforce identity federation user credentials",
	string(google.ImpersonatedServiceAccount):    "impersonated service account credentials",
	string(google.GDCHServiceAccount):            "GDCH service account key",
}

// credentialFile holds the fields of a credential JSON that say who it is.
type credentialFile struct {
	Type                           string `json:"type"`
	ClientEmail                    string `json:"client_email"`
	Audience                       string `json:"audience"`
	ServiceAccountImpersonationURL string `json:"service_account_impersonation_url"`
}

// fileCredentials loads a credential JSON file. override selects gcloud's
// credential_file_override messages and token_host handling.
func (c config) fileCredentials(tctx context.Context, creds *Credentials, path, what string, scopes []string, override bool) error {
	fail := func(format string, a ...any) error {
		msg := fmt.Sprintf(format, a...)
		if override {
			return &wrap.ValueError{Command: "gcloud.run.deploy", Msg: fmt.Sprintf("Failed to load credential file: [%s].  %s", path, msg)}
		}
		return fmt.Errorf("loading %s %s: %s", what, path, msg)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fail("File %s was not found.", path)
	}
	if err != nil {
		return fail("%s", describeFileError(path, err))
	}
	var f credentialFile
	if err := json.Unmarshal(b, &f); err != nil {
		return fail("File %s is not a valid json file.", path)
	}
	kind, ok := credentialKinds[f.Type]
	if !ok {
		return fail("The file %s does not have a valid type. Type is %s, expected one of ('authorized_user', 'service_account', 'external_account', 'external_account_authorized_user', 'impersonated_service_account', 'gdch_service_account').", path, pyRepr(f.Type))
	}
	if host, ok := c.Get("auth", "token_host"); override && ok && host != "" && f.Type == string(google.ServiceAccount) {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err == nil {
			m["token_uri"] = host
			if nb, err := json.Marshal(m); err == nil {
				b = nb
			}
		}
	}
	gc, err := google.CredentialsFromJSONWithTypeAndParams(tctx, b, google.CredentialsType(f.Type), google.CredentialsParams{Scopes: scopes})
	if err != nil {
		return fail("%v", err)
	}
	creds.TokenSource = gc.TokenSource
	creds.Identity = fileIdentity(f)
	creds.Identity.Source = fmt.Sprintf("%s (%s %s)", what, kind, path)
	return nil
}

// pyRepr quotes s like Python's repr of a str (None for "").
func pyRepr(s string) string {
	if s == "" {
		return "None"
	}
	return s
}

// fileIdentity derives the identity from a credential file without network
// calls (gcp-apis.md §5.1).
func fileIdentity(f credentialFile) Identity {
	switch f.Type {
	case string(google.ServiceAccount), string(google.GDCHServiceAccount):
		return identityFor(f.ClientEmail)
	case string(google.ImpersonatedServiceAccount), string(google.ExternalAccount):
		if email := impersonationTarget(f.ServiceAccountImpersonationURL); email != "" {
			return identityFor(email)
		}
		if f.Type == string(google.ExternalAccount) {
			return Identity{Member: federatedMember(f.Audience)}
		}
	case string(google.ExternalAccountAuthorizedUser):
		return Identity{Member: federatedMember(f.Audience)}
	}
	return Identity{}
}

// impersonationTarget extracts EMAIL from
// https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/EMAIL:generateAccessToken.
func impersonationTarget(u string) string {
	_, rest, ok := strings.Cut(u, "/serviceAccounts/")
	if !ok {
		return ""
	}
	email, _, ok := strings.Cut(rest, ":generateAccessToken")
	if !ok {
		return ""
	}
	if e, err := url.PathUnescape(email); err == nil {
		return e
	}
	return email
}

// federatedMember turns a workload or workforce identity pool provider
// audience into the principal:// member template, SUBJECT to be filled in.
func federatedMember(audience string) string {
	a := strings.TrimPrefix(audience, "//iam.googleapis.com/")
	if a == audience {
		return ""
	}
	pool, _, ok := strings.Cut(a, "/providers/")
	if !ok {
		return ""
	}
	return "principal://iam.googleapis.com/" + pool + "/subject/SUBJECT"
}

// IsServiceAccount reports whether email is a service account's.
func IsServiceAccount(email string) bool {
	return strings.HasSuffix(strings.ToLower(email), ".gserviceaccount.com")
}

// MemberFor is the IAM member for an account email: "serviceAccount:EMAIL"
// for service accounts, else "user:EMAIL"; "" for "".
func MemberFor(email string) string {
	switch {
	case email == "":
		return ""
	case IsServiceAccount(email):
		return "serviceAccount:" + email
	}
	return "user:" + email
}

func identityFor(email string) Identity {
	return Identity{Member: MemberFor(email), Email: email}
}

// gcloudTokenLifetime is how long a token printed by gcloud is reused. gcloud
// refreshes tokens that expire within 300 s before printing them, so every
// printed token is good for at least that long.
const gcloudTokenLifetime = 270 * time.Second

// gcloudNoCredentials are the messages of gcloud auth print-access-token when
// it has no usable credentials for the account.
var gcloudNoCredentials = []string{
	"does not have any valid credentials",
	"You do not currently have an active account selected",
}

// gcloudCredentials gets tokens for account from the real gcloud. ok is
// false when gcloud is missing or has no credentials for the account.
func (c config) gcloudCredentials(ctx, tctx context.Context, creds *Credentials, account string, stderr io.Writer) (bool, error) {
	path, err := wrap.FindGcloud(c.Getenv)
	if err != nil {
		return false, nil
	}
	src := &gcloudTokenSource{ctx: tctx, path: path, account: account, env: c.gcloudEnv(), stderr: stderr}
	tok, err := src.token(ctx)
	if err != nil {
		var ge *gcloudError
		if errors.As(err, &ge) {
			for _, m := range gcloudNoCredentials {
				if strings.Contains(ge.stderr, m) {
					return false, nil
				}
			}
		}
		return false, err
	}
	creds.TokenSource = oauth2.ReuseTokenSource(tok, src)
	creds.Identity = identityFor(account)
	creds.Identity.Source = "gcloud account " + account
	return true, nil
}

// gcloudEnv is the environment for running gcloud for a token: ours, with
// the same configuration, no prompts and no impersonation (Credentials
// impersonates on top).
func (c config) gcloudEnv() []string {
	env := os.Environ()
	set := func(k, v string) {
		for i, kv := range env {
			if strings.HasPrefix(kv, k+"=") {
				env[i] = k + "=" + v
				return
			}
		}
		env = append(env, k+"="+v)
	}
	if c.Name != "" {
		set("CLOUDSDK_ACTIVE_CONFIG_NAME", c.Name)
	}
	if c.Dir != "" {
		set("CLOUDSDK_CONFIG", c.Dir)
	}
	set("CLOUDSDK_CORE_DISABLE_PROMPTS", "1")
	set("CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT", "")
	return env
}

type gcloudError struct {
	code   int
	stderr string
}

func (e *gcloudError) Error() string {
	msg := strings.TrimSpace(e.stderr)
	msg = strings.TrimPrefix(msg, "ERROR: (gcloud.auth.print-access-token) ")
	if msg == "" {
		msg = fmt.Sprintf("exit status %d", e.code)
	}
	return "gcloud auth print-access-token: " + msg
}

// gcloudTokenSource runs "gcloud auth print-access-token --account=A".
type gcloudTokenSource struct {
	ctx     context.Context
	path    string
	account string
	env     []string
	stderr  io.Writer
}

func (s *gcloudTokenSource) Token() (*oauth2.Token, error) { return s.token(s.ctx) }

func (s *gcloudTokenSource) token(ctx context.Context) (*oauth2.Token, error) {
	var out, errb bytes.Buffer
	start := time.Now()
	code, err := wrap.Exec(ctx, s.path, []string{"auth", "print-access-token", "--account=" + s.account}, s.env, nil, &out, &errb)
	if err != nil {
		return nil, fmt.Errorf("getting an access token for %s from gcloud: %w", s.account, err)
	}
	if code != 0 {
		ge := &gcloudError{code: code, stderr: errb.String()}
		noCreds := false
		for _, m := range gcloudNoCredentials {
			noCreds = noCreds || strings.Contains(ge.stderr, m)
		}
		if s.stderr != nil && !noCreds {
			s.stderr.Write(errb.Bytes())
		}
		return nil, ge
	}
	tok := strings.TrimSpace(out.String())
	if tok == "" {
		return nil, fmt.Errorf("gcloud auth print-access-token printed no token for %s", s.account)
	}
	return &oauth2.Token{AccessToken: tok, TokenType: "Bearer", Expiry: start.Add(gcloudTokenLifetime)}, nil
}

// applicationDefault finds Application Default Credentials; found is false
// when there are none.
func (c config) applicationDefault(ctx, tctx context.Context, creds *Credentials, scopes []string) (bool, error) {
	const what = "application default credentials"
	if path := c.Getenv("GOOGLE_APPLICATION_CREDENTIALS"); path != "" {
		return true, c.fileCredentials(tctx, creds, path, what, scopes, false)
	}
	wellKnown := filepath.Join(c.Dir, "application_default_credentials.json")
	if _, err := os.Stat(wellKnown); err == nil {
		return true, c.fileCredentials(tctx, creds, wellKnown, what, scopes, false)
	}
	if !c.CheckGCEMetadata() {
		return false, nil
	}
	mc := metadata.NewWithOptions(&metadata.Options{Client: creds.httpClient})
	if !mc.OnGCEWithContext(ctx) {
		return false, nil
	}
	creds.TokenSource = google.ComputeTokenSource("", scopes...)
	creds.Identity = Identity{Source: what + " (metadata server)"}
	creds.onGCE = true
	return true, nil
}

// impersonate replaces creds' token source with one that impersonates the
// last account of chain ("DELEGATE,...,TARGET", gcloud's
// ParseImpersonationAccounts) using the current one as the source.
func (c config) impersonate(tctx context.Context, creds *Credentials, chain string, scopes []string, hc *http.Client) error {
	var ids []string
	for _, id := range strings.Split(chain, ",") {
		ids = append(ids, wrap.TrimPySpace(id))
	}
	target, delegates := ids[len(ids)-1], ids[:len(ids)-1]
	if target == "" {
		return &wrap.ValueError{Command: "gcloud.run.deploy", Msg: "No service account to impersonate."}
	}
	base := hc.Transport
	if base == nil {
		base = transport.New()
	}
	base, err := transport.Endpoint(c.Config, wrap.APIIAMCredentials, "iamcredentials.googleapis.com", base)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &oauth2.Transport{Source: creds.TokenSource, Base: base}, Timeout: hc.Timeout}
	ts, err := impersonate.CredentialsTokenSource(tctx, impersonate.CredentialsConfig{
		TargetPrincipal: target,
		Delegates:       delegates,
		Scopes:          scopes,
	}, option.WithHTTPClient(client))
	if err != nil {
		return fmt.Errorf("impersonating %s: %w", target, err)
	}
	via := creds.Identity.Source
	creds.TokenSource = ts
	creds.Identity = identityFor(target)
	creds.Identity.Source = fmt.Sprintf("service account impersonation of %s using %s", target, via)
	creds.onGCE = false
	creds.Warning = fmt.Sprintf("This command is using service account impersonation. All API calls will be executed as [%s].", target)
	return nil
}

// Caller returns the identity behind the credentials, resolving what
// Identity lacks on first use: the metadata server's default service account
// email, or for plain tokens (access tokens, user credentials) the "email" of
// Google's tokeninfo endpoint (api_endpoint_overrides/oauth2, default
// https://oauth2.googleapis.com), falling back to core/account (--account)
// when tokeninfo cannot tell. The answer is cached. A federated identity
// with only a principal:// template is returned as is.
func (cr *Credentials) Caller(ctx context.Context) (Identity, error) {
	if cr.Identity.Email != "" || cr.Identity.Member != "" {
		return cr.Identity, nil
	}
	cr.mu.Lock()
	defer cr.mu.Unlock()
	if cr.caller != nil {
		return *cr.caller, nil
	}
	var email string
	var err error
	if cr.onGCE {
		mc := metadata.NewWithOptions(&metadata.Options{Client: cr.httpClient})
		email, err = mc.EmailWithContext(ctx, "default")
		if err != nil {
			err = fmt.Errorf("reading the default service account from the metadata server: %w", err)
		}
	} else {
		email, err = cr.tokenInfoEmail(ctx)
		if err != nil && cr.account != "" {
			email, err = cr.account, nil
		}
	}
	if err != nil {
		return cr.Identity, err
	}
	id := identityFor(email)
	id.Source = cr.Identity.Source
	cr.caller = &id
	return id, nil
}

// tokenInfoEmail asks the tokeninfo endpoint whose token this is.
func (cr *Credentials) tokenInfoEmail(ctx context.Context) (string, error) {
	tok, err := cr.TokenSource.Token()
	if err != nil {
		return "", fmt.Errorf("getting an access token: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cr.tokenInfo+"?access_token="+url.QueryEscape(tok.AccessToken), nil)
	if err != nil {
		return "", fmt.Errorf("tokeninfo: %w", err)
	}
	resp, err := cr.httpClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("asking %s who the caller is: %w", cr.tokenInfo, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", cr.tokenInfo, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("asking %s who the caller is: %s: %s", cr.tokenInfo, resp.Status, strings.TrimSpace(string(body)))
	}
	var info struct {
		Email string `json:"email"`
	}
	if err := json.Unmarshal(body, &info); err != nil {
		return "", fmt.Errorf("decoding %s response: %w", cr.tokenInfo, err)
	}
	if info.Email == "" {
		return "", errors.New("the access token does not say which account it belongs to (it lacks the userinfo.email scope); pass --account")
	}
	return info.Email, nil
}
