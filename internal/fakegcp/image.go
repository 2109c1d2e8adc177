package fakegcp

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// gcrLocations maps Container Registry hosts to the location of the
// Artifact Registry gcr.io repository that serves them.
var gcrLocations = map[string]string{
	"gcr.io":      "us",
	"us.gcr.io":   "us",
	"eu.gcr.io":   "europe",
	"asia.gcr.io": "asia",
}

// isRegistryHost reports whether host (maybe with a port) is an Artifact
// Registry Docker host the fake serves as a registry.
func isRegistryHost(host string) bool {
	h := hostOnly(host)
	_, gcr := gcrLocations[h]
	return gcr || strings.HasSuffix(h, "-docker.pkg.dev")
}

// imageRef is a container image reference resolved to the Artifact
// Registry repository that holds it. Repo is "" for hosts Google does not
// check (Docker Hub and other registries).
type imageRef struct {
	Host     string
	Project  string // colon form for domain-scoped projects
	Location string
	Repo     string // repository ID ("apps", "gcr.io")
	Image    string // path inside the repository ("web", "team/web")
	Ref      string // tag or "sha256:…"
}

// RepoName is the repository resource name.
func (r imageRef) RepoName() string {
	return fmt.Sprintf("projects/%s/locations/%s/repositories/%s", r.Project, r.Location, r.Repo)
}

// parseImage resolves an image reference (the Docker grammar, default tag
// latest) to its repository.
func parseImage(image string) (imageRef, error) {
	ref, err := name.ParseReference(image, name.WeakValidation)
	if err != nil {
		return imageRef{}, fmt.Errorf("parse image %q: %w", image, err)
	}
	host := ref.Context().RegistryStr()
	r := imageRef{Host: host, Ref: ref.Identifier()}
	return r.withPath(ref.Context().RepositoryStr())
}

// withPath fills the project, repository and image from the repository path
// of a reference on r.Host.
func (r imageRef) withPath(path string) (imageRef, error) {
	segs := strings.Split(path, "/")
	for _, seg := range segs {
		if seg == "" {
			return r, fmt.Errorf("image path %q has an empty component", path)
		}
	}
	project := func() string {
		if strings.Contains(segs[0], ".") && len(segs) > 1 { // domain-scoped: example.com/proj
			p := segs[0] + ":" + segs[1]
			segs = segs[2:]
			return p
		}
		p := segs[0]
		segs = segs[1:]
		return p
	}
	switch {
	case strings.HasSuffix(r.Host, "-docker.pkg.dev"):
		r.Location = strings.TrimSuffix(r.Host, "-docker.pkg.dev")
		r.Project = project()
		if len(segs) < 2 {
			return r, fmt.Errorf("image path %q on %s needs PROJECT/REPOSITORY/IMAGE", path, r.Host)
		}
		r.Repo, r.Image = segs[0], strings.Join(segs[1:], "/")
	case gcrLocations[r.Host] != "":
		r.Location, r.Repo = gcrLocations[r.Host], r.Host
		r.Project = project()
		if len(segs) < 1 {
			return r, fmt.Errorf("image path %q on %s needs PROJECT/IMAGE", path, r.Host)
		}
		r.Image = strings.Join(segs, "/")
	}
	return r, nil
}

// registryPath splits a registry request path
// (/v2/<name>/manifests/<ref>, /v2/<name>/blobs/<digest>) into the
// repository path, the kind ("manifests", "blobs") and the reference.
func registryPath(p string) (repoPath, kind, ref string, ok bool) {
	p = strings.TrimPrefix(p, "/v2/")
	for _, k := range []string{"/manifests/", "/blobs/"} {
		if i := strings.LastIndex(p, k); i > 0 {
			return p[:i], strings.Trim(k, "/"), p[i+len(k):], true
		}
	}
	return "", "", "", false
}
