package fakegcp

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/artifactregistry/apiv1/artifactregistrypb"
	"cloud.google.com/go/iam/apiv1/iampb"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// manifest is a stored image manifest.
type manifest struct {
	MediaType string
	Body      []byte
}

// AddRepository registers an Artifact Registry Docker repository by resource
// name (projects/P/locations/L/repositories/R). Adding an existing one is a
// no-op.
func (s *Server) AddRepository(name string) *Repository {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addRepositoryLocked(name)
}

func (s *Server) addRepositoryLocked(name string) *Repository {
	if r, ok := s.repos[name]; ok {
		return r
	}
	parts := strings.Split(name, "/")
	if len(parts) != 6 || parts[0] != "projects" || parts[2] != "locations" || parts[4] != "repositories" {
		panic(fmt.Sprintf("fakegcp: AddRepository(%q): want projects/P/locations/L/repositories/R", name))
	}
	r := &Repository{Name: name, CreateTime: time.Now().UTC(), Images: map[string]map[string]string{}}
	s.repos[name] = r
	return r
}

// PushImage stores a small, real OCI image manifest (with its config and
// layer blobs) under ref (an Artifact Registry or gcr.io reference with a
// tag) and returns the manifest digest. The repository is created if
// needed. It panics on a reference that is not an Artifact Registry one.
func (s *Server) PushImage(ref string) string {
	ir, err := parseImage(ref)
	if err != nil || ir.Repo == "" {
		panic(fmt.Sprintf("fakegcp: PushImage(%q): not an Artifact Registry image reference (%v)", ref, err))
	}
	layer := emptyLayer()
	cfg, _ := json.Marshal(v1.ConfigFile{
		Architecture: "amd64", OS: "linux", Created: v1.Time{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		Config: v1.Config{Labels: map[string]string{"fakegcp.image": ref}, Cmd: []string{"/server"}},
		RootFS: v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{mustHash(layer.diffID)}},
	})
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        v1.Descriptor{MediaType: types.OCIConfigJSON, Size: int64(len(cfg)), Digest: mustHash(digestOf(cfg))},
		Layers:        []v1.Descriptor{{MediaType: types.OCILayer, Size: int64(len(layer.gz)), Digest: mustHash(digestOf(layer.gz))}},
	}
	body, _ := json.Marshal(m)
	d := digestOf(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	repo := s.addRepositoryLocked(ir.RepoName())
	refs := repo.Images[ir.Image]
	if refs == nil {
		refs = map[string]string{}
		repo.Images[ir.Image] = refs
	}
	refs[ir.Ref] = d
	refs[d] = d
	s.manifests[d] = &manifest{MediaType: string(types.OCIManifestSchema1), Body: body}
	s.blobs[digestOf(cfg)] = cfg
	s.blobs[digestOf(layer.gz)] = layer.gz
	return d
}

type layerBlob struct {
	gz     []byte
	diffID string
}

// emptyLayer is a gzipped tar holding one small file.
func emptyLayer() layerBlob {
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	content := []byte("fakegcp\n")
	tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: int64(len(content)), ModTime: time.Unix(0, 0)})
	tw.Write(content)
	tw.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tarBuf.Bytes())
	zw.Close()
	return layerBlob{gz: gz.Bytes(), diffID: digestOf(tarBuf.Bytes())}
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func mustHash(d string) v1.Hash {
	h, err := v1.NewHash(d)
	if err != nil {
		panic(err)
	}
	return h
}

// lookupImageLocked finds the digest of an image; repoFound says whether
// the repository exists.
func (s *Server) lookupImageLocked(ir imageRef) (digest string, repoFound bool) {
	repo, ok := s.repos[ir.RepoName()]
	if !ok {
		return "", false
	}
	return repo.Images[ir.Image][ir.Ref], true
}

// registryError writes the Docker registry error shape.
func registryError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"code": code, "message": msg}}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func registryDenied(member, repoName string) string {
	if member == "" {
		return fmt.Sprintf("Unauthenticated request. Unauthenticated requests do not have permission %q on resource %q (or it may not exist)", permDownload, repoName)
	}
	return fmt.Sprintf("Permission %q denied on resource %q (or it may not exist)", permDownload, repoName)
}

// challenge answers 401 with the Docker bearer challenge. The realm names
// the host the client addressed, so a client that rewrites registry hosts to
// RUNDEPLOY_REGISTRY_OVERRIDE sends the token request the same way.
func (c *call) challenge(scope string) {
	scheme := "https" // Google's registry hosts are HTTPS-only; clients refuse an http realm for them
	if !isRegistryHost(c.host) && c.r.TLS == nil {
		scheme = "http"
	}
	v := fmt.Sprintf("Bearer realm=%q,service=%q", scheme+"://"+c.host+"/v2/token", hostOnly(c.host))
	if scope != "" {
		v += fmt.Sprintf(",scope=%q", scope)
	}
	c.w.Header().Set("WWW-Authenticate", v)
	registryError(c.w, http.StatusUnauthorized, "UNAUTHORIZED", "Authentication required.")
}

// serveRegistry serves the Docker registry v2 API for Artifact Registry and
// gcr.io hosts.
func (s *Server) serveRegistry(c *call) {
	p := c.r.URL.Path
	hasAuth := c.r.Header.Get("Authorization") != ""
	switch {
	case p == "/v2/token":
		s.serveRegistryToken(c)
		return
	case p == "/v2/" || p == "/v2":
		if !hasAuth || !c.authed {
			c.challenge("")
			return
		}
		c.w.Header().Set("Content-Type", "application/json")
		c.w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		c.w.Write([]byte("{}"))
		return
	}
	repoPath, kind, ref, ok := registryPath(p)
	if !ok || (c.r.Method != http.MethodGet && c.r.Method != http.MethodHead) {
		registryError(c.w, http.StatusNotFound, "NAME_UNKNOWN", "Repository name not known to registry.")
		return
	}
	ir, err := imageRef{Host: hostOnly(c.host), Ref: ref}.withPath(repoPath)
	if err != nil || ir.Repo == "" {
		registryError(c.w, http.StatusNotFound, "NAME_UNKNOWN", "Repository name not known to registry.")
		return
	}
	if !hasAuth || !c.authed {
		c.challenge("repository:" + repoPath + ":pull")
		return
	}
	s.mu.Lock()
	allowed := s.allowedLocked(c.member, ir.RepoName(), permDownload)
	_, repoFound := s.repos[ir.RepoName()]
	var m *manifest
	var blob []byte
	digest := ""
	if allowed && repoFound {
		if kind == "manifests" {
			digest, _ = s.lookupImageLocked(ir)
			m = s.manifests[digest]
		} else {
			digest, blob = ref, s.blobs[ref]
		}
	}
	s.mu.Unlock()
	if !allowed || !repoFound {
		registryError(c.w, http.StatusForbidden, "DENIED", registryDenied(c.member, ir.RepoName()))
		return
	}
	c.w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if kind == "blobs" {
		if blob == nil {
			registryError(c.w, http.StatusNotFound, "BLOB_UNKNOWN", fmt.Sprintf("Failed to fetch %q", ref))
			return
		}
		c.w.Header().Set("Content-Type", "application/octet-stream")
		c.w.Header().Set("Docker-Content-Digest", digest)
		c.w.Header().Set("Content-Length", strconv.Itoa(len(blob)))
		if c.r.Method == http.MethodGet {
			c.w.Write(blob)
		}
		return
	}
	if m == nil {
		registryError(c.w, http.StatusNotFound, "MANIFEST_UNKNOWN", fmt.Sprintf("Failed to fetch %q", ref))
		return
	}
	c.w.Header().Set("Content-Type", m.MediaType)
	c.w.Header().Set("Docker-Content-Digest", digest)
	c.w.Header().Set("Content-Length", strconv.Itoa(len(m.Body)))
	if c.r.Method == http.MethodGet {
		c.w.Write(m.Body)
	}
}

// serveRegistryToken is the Docker token endpoint: Basic
// oauth2accesstoken:<access token> (or _token:, or a Bearer access token)
// for a caller, nothing for anonymous pulls.
func (s *Server) serveRegistryToken(c *call) {
	member := ""
	if h := c.r.Header.Get("Authorization"); h != "" {
		user, pass, ok := c.r.BasicAuth()
		switch {
		case ok && (user == "oauth2accesstoken" || user == "_token" || user == "_dcgcloud_token"):
			s.mu.Lock()
			m, known := s.tokens[pass]
			s.mu.Unlock()
			if !known {
				registryError(c.w, http.StatusUnauthorized, "UNAUTHORIZED", "Not Authorized.")
				return
			}
			member = m
		case c.authed:
			member = c.member
		default:
			registryError(c.w, http.StatusUnauthorized, "UNAUTHORIZED", "Not Authorized.")
			return
		}
	}
	for _, scope := range c.r.URL.Query()["scope"] {
		parts := strings.Split(scope, ":")
		if len(parts) < 3 || parts[0] != "repository" {
			continue
		}
		ir, err := imageRef{Host: hostOnly(c.host)}.withPath(parts[1])
		if err != nil || ir.Repo == "" {
			continue
		}
		s.mu.Lock()
		_, found := s.repos[ir.RepoName()]
		ok := found && s.allowedLocked(member, ir.RepoName(), permDownload)
		s.mu.Unlock()
		if !ok {
			registryError(c.w, http.StatusForbidden, "DENIED", registryDenied(member, ir.RepoName()))
			return
		}
	}
	b := make([]byte, 18)
	rand.Read(b)
	tok := "rt." + base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	s.regTokens[tok] = member
	s.mu.Unlock()
	writeJSON(c.w, http.StatusOK, map[string]any{"token": tok, "access_token": tok, "expires_in": 3600,
		"issued_at": time.Now().UTC().Format(time.RFC3339)})
}

// splitVerb splits "a/b/c:verb" into the resource path and the custom verb.
func splitVerb(p string) (string, string) {
	i := strings.LastIndex(p, ":")
	if i > strings.LastIndex(p, "/") {
		return p[:i], p[i+1:]
	}
	return p, ""
}

// serveArtifactRegistry serves Artifact Registry v1 repositories and their
// IAM methods.
func (s *Server) serveArtifactRegistry(c *call) {
	resource, verb := splitVerb(strings.TrimPrefix(c.r.URL.Path, "/v1/"))
	parts := strings.Split(resource, "/")
	if len(parts) != 6 || parts[2] != "locations" || parts[4] != "repositories" {
		c.fail(errf(404, "fakegcp: no handler for %s %s", c.r.Method, c.r.URL.Path))
		return
	}
	resource = fmt.Sprintf("projects/%s/locations/%s/repositories/%s", s.projectID(parts[1]), parts[3], parts[5])
	s.mu.Lock()
	defer s.mu.Unlock()
	repo := s.repos[resource]
	need := func(perm string) bool {
		if s.allowedLocked(c.member, resource, perm) {
			if repo == nil {
				c.fail(errf(404, "Requested entity was not found."))
				return false
			}
			return true
		}
		c.fail(errf(403, "%s", deniedMessage(perm, resource)))
		return false
	}
	switch {
	case verb == "" && c.r.Method == http.MethodGet:
		if !need(permRepoGet) {
			return
		}
		writeProto(c.w, repositoryProto(repo))
	case verb == "getIamPolicy" && c.r.Method == http.MethodGet:
		if !need(permRepoGetIam) {
			return
		}
		writeProto(c.w, s.getPolicyLocked(resource))
	case verb == "setIamPolicy" && c.r.Method == http.MethodPost:
		req := &iampb.SetIamPolicyRequest{}
		if e := c.readProto(req); e != nil {
			c.fail(e)
			return
		}
		if !need(permRepoSetIam) {
			return
		}
		out, e := s.setPolicyLocked(resource, req.GetPolicy())
		if e != nil {
			c.fail(e)
			return
		}
		writeProto(c.w, out)
	case verb == "testIamPermissions" && c.r.Method == http.MethodPost:
		s.serveTestIamPermissionsLocked(c, resource, repo != nil)
	default:
		c.fail(errf(404, "fakegcp: no handler for %s %s", c.r.Method, c.r.URL.Path))
	}
}

func (s *Server) projectID(idOrNumber string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.projectIDLocked(idOrNumber)
}

func repositoryProto(r *Repository) *artifactregistrypb.Repository {
	parts := strings.Split(r.Name, "/")
	project, location, id := parts[1], parts[3], parts[5]
	uri := fmt.Sprintf("%s-docker.pkg.dev/%s/%s", location, strings.Replace(project, ":", "/", 1), id)
	if _, gcr := gcrLocations[id]; gcr {
		uri = id + "/" + strings.Replace(project, ":", "/", 1)
	}
	return &artifactregistrypb.Repository{
		Name:        r.Name,
		Format:      artifactregistrypb.Repository_DOCKER,
		Mode:        artifactregistrypb.Repository_STANDARD_REPOSITORY,
		CreateTime:  timestamppb.New(r.CreateTime),
		UpdateTime:  timestamppb.New(r.CreateTime),
		RegistryUri: uri,
	}
}
