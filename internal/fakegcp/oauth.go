package fakegcp

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

const defaultScopes = "https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email openid"

// saKey is a registered service-account key: the fake checks JWT-bearer
// assertions against it.
type saKey struct {
	id  string
	pub *rsa.PublicKey
}

// AddServiceAccountKey creates an RSA key for the service account email and
// returns its JSON key file, whose token_uri points at this server, so
// golang.org/x/oauth2/google performs a real JWT-bearer exchange here. The
// tokens it obtains act as serviceAccount:EMAIL.
func (s *Server) AddServiceAccountKey(email string) []byte {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	id := newUID()
	project := "unknown"
	if m := saEmail.FindStringSubmatch(email); m != nil {
		project = m[1]
	}
	s.mu.Lock()
	s.saKeys[email] = &saKey{id: id, pub: &key.PublicKey}
	s.mu.Unlock()
	b, _ := json.MarshalIndent(map[string]string{
		"type":                        "service_account",
		"project_id":                  project,
		"private_key_id":              id,
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                email,
		"client_id":                   "100000000000000000001",
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   s.URL + "/token",
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"universe_domain":             "googleapis.com",
	}, "", "  ")
	return b
}

var saEmail = regexp.MustCompile(`^[^@]+@([a-z][a-z0-9-]*)\.iam\.gserviceaccount\.com$`)

type tokenInfo struct {
	scope   string
	expires time.Time
}

// issueLocked registers a fresh access token for member.
func (s *Server) issueLocked(member string) string {
	b := make([]byte, 24)
	rand.Read(b)
	tok := "ya29.fake-" + base64.RawURLEncoding.EncodeToString(b)
	s.tokens[tok] = member
	return tok
}

func oauthError(w http.ResponseWriter, code int, kind, desc string) {
	writeJSON(w, code, map[string]string{"error": kind, "error_description": desc})
}

// serveToken is the OAuth token endpoint for JWT-bearer grants of
// registered service-account keys.
func (s *Server) serveToken(c *call) {
	if c.r.Method != http.MethodPost {
		oauthError(c.w, http.StatusMethodNotAllowed, "invalid_request", "POST required")
		return
	}
	if err := c.r.ParseForm(); err != nil {
		oauthError(c.w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if gt := c.r.PostForm.Get("grant_type"); gt != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		oauthError(c.w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("Invalid grant_type: %s", gt))
		return
	}
	parts := strings.Split(c.r.PostForm.Get("assertion"), ".")
	if len(parts) != 3 {
		oauthError(c.w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
		return
	}
	var claims struct {
		Iss   string `json:"iss"`
		Scope string `json:"scope"`
		Aud   string `json:"aud"`
		Exp   int64  `json:"exp"`
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err == nil {
		err = json.Unmarshal(payload, &claims)
	}
	if err != nil {
		oauthError(c.w, http.StatusBadRequest, "invalid_grant", "Invalid JWT payload.")
		return
	}
	s.mu.Lock()
	key := s.saKeys[claims.Iss]
	s.mu.Unlock()
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if key == nil || rsa.VerifyPKCS1v15(key.pub, crypto.SHA256, sum[:], sig) != nil {
		oauthError(c.w, http.StatusBadRequest, "invalid_grant", "Invalid JWT Signature.")
		return
	}
	if claims.Exp != 0 && time.Unix(claims.Exp, 0).Before(time.Now()) {
		oauthError(c.w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
		return
	}
	scope := claims.Scope
	if scope == "" {
		scope = defaultScopes
	}
	s.mu.Lock()
	tok := s.issueLocked("serviceAccount:" + claims.Iss)
	s.tokenInfo()[tok] = tokenInfo{scope: scope, expires: time.Now().Add(time.Hour)}
	s.mu.Unlock()
	writeJSON(c.w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3599})
}

// tokenInfo returns the scope/expiry table (callers hold s.mu).
func (s *Server) tokenInfo() map[string]tokenInfo {
	if s.infos == nil {
		s.infos = map[string]tokenInfo{}
	}
	return s.infos
}

// serveTokenInfo answers oauth2 tokeninfo for any registered token.
func (s *Server) serveTokenInfo(c *call) {
	c.r.ParseForm()
	tok := c.r.Form.Get("access_token")
	s.mu.Lock()
	member, ok := s.tokens[tok]
	info, hasInfo := s.tokenInfo()[tok]
	s.mu.Unlock()
	if !ok {
		oauthError(c.w, http.StatusBadRequest, "invalid_token", "Invalid Value")
		return
	}
	if !hasInfo {
		info = tokenInfo{scope: defaultScopes, expires: time.Now().Add(time.Hour)}
	}
	exp := time.Until(info.expires).Round(time.Second)
	out := map[string]any{
		"azp": "32555940559.apps.googleusercontent.com", "aud": "32555940559.apps.googleusercontent.com",
		"scope": info.scope, "exp": fmt.Sprint(info.expires.Unix()), "expires_in": fmt.Sprint(int(exp.Seconds())),
		"access_type": "online",
	}
	if email := memberEmail(member); email != "" && strings.Contains(info.scope, "email") {
		out["email"], out["email_verified"] = email, "true"
	}
	writeJSON(c.w, http.StatusOK, out)
}

// serveIAMCredentials serves generateAccessToken (service-account
// impersonation).
func (s *Server) serveIAMCredentials(c *call) {
	resource, verb := splitVerb(strings.TrimPrefix(c.r.URL.Path, "/v1/"))
	email := lastSegment(resource)
	if verb != "generateAccessToken" || c.r.Method != http.MethodPost {
		c.fail(errf(404, "fakegcp: no handler for %s %s", c.r.Method, c.r.URL.Path))
		return
	}
	var req struct {
		Scope    []string `json:"scope"`
		Lifetime string   `json:"lifetime"`
	}
	json.Unmarshal(c.body, &req)
	s.mu.Lock()
	defer s.mu.Unlock()
	project := ""
	if m := saEmail.FindStringSubmatch(email); m != nil {
		project = m[1]
	} else if i := strings.Index(email, "-compute@developer.gserviceaccount.com"); i > 0 {
		project = s.projectIDLocked(email[:i])
	}
	if project == "" || s.projects[project] == nil ||
		!s.allowedLocked(c.member, fmt.Sprintf("projects/%s/serviceAccounts/%s", project, email), permSAGetAccessTok) {
		c.fail(errf(403, "Permission '%s' denied on resource (or it may not exist).", permSAGetAccessTok))
		return
	}
	lifetime := time.Hour
	if d, err := time.ParseDuration(req.Lifetime); err == nil && d > 0 {
		lifetime = d
	}
	tok := s.issueLocked("serviceAccount:" + email)
	scope := strings.Join(req.Scope, " ")
	if scope == "" {
		scope = defaultScopes
	}
	s.tokenInfo()[tok] = tokenInfo{scope: scope, expires: time.Now().Add(lifetime)}
	writeJSON(c.w, http.StatusOK, map[string]string{
		"accessToken": tok, "expireTime": time.Now().Add(lifetime).UTC().Format(time.RFC3339),
	})
}
