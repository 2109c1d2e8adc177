package preflight

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	digest "github.com/opencontainers/go-digest"
)

// Kind says which registry an image reference points at, and so which
// access check applies to it.
type Kind int

const (
	// KindArtifactRegistry is an Artifact Registry Docker repository,
	// LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE.
	KindArtifactRegistry Kind = iota + 1
	// KindContainerRegistry is a gcr.io host (gcr.io, us.gcr.io, eu.gcr.io,
	// asia.gcr.io). Since 2025 these are served by Artifact Registry
	// repositories named like the host.
	KindContainerRegistry
	// KindDockerHub is Docker Hub (no host, docker.io, index.docker.io):
	// Cloud Run pulls public images anonymously, no IAM permission applies.
	KindDockerHub
	// KindOther is any other registry; Cloud Run runs no IAM check for it.
	KindOther
)

// String names the kind the way findings and notes do.
func (k Kind) String() string {
	switch k {
	case KindArtifactRegistry:
		return "Artifact Registry"
	case KindContainerRegistry:
		return "Container Registry (gcr.io, served by Artifact Registry)"
	case KindDockerHub:
		return "Docker Hub"
	case KindOther:
		return "other registry"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Image is a parsed container image reference. For Artifact Registry and
// gcr.io images it names the Artifact Registry repository Cloud Run checks
// artifactregistry.repositories.downloadArtifacts on.
type Image struct {
	// Ref is the reference exactly as given.
	Ref  string
	Kind Kind
	// Host is the registry host, lower-cased ("docker.io" for Docker Hub).
	Host string
	// Location, Project and Repository locate the Artifact Registry
	// repository (empty for Docker Hub and other registries). Project is
	// in resource-name form: "example.com:proj" for domain-scoped projects.
	Location   string
	Project    string
	Repository string
	// Image is the image path inside the repository (it may contain "/");
	// for other registries, the whole repository path after the host.
	Image string
	// Tag is the tag, "latest" when neither tag nor digest is given. When
	// both are given the digest decides what is pulled.
	Tag    string
	Digest string
}

// gcrLocations maps the gcr.io hosts to the multi-region of the Artifact
// Registry repository that serves them; the repository is named like the
// host.
var gcrLocations = map[string]string{
	"gcr.io":      "us",
	"us.gcr.io":   "us",
	"eu.gcr.io":   "europe",
	"asia.gcr.io": "asia",
}

// dockerHubHosts are the names Docker Hub is written with.
var dockerHubHosts = map[string]bool{
	"docker.io":            true,
	"index.docker.io":      true,
	"registry-1.docker.io": true,
}

const arHostSuffix = "-docker.pkg.dev"

// pathComponent is one "/"-separated element of a repository path in the
// Docker reference grammar (distribution/reference). go-containerregistry
// is laxer (it accepts "a//b" and "-a"), and empty or malformed elements
// would make the repository mapping meaningless.
var pathComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$`)

// tagPattern is a tag in the Docker reference grammar (length checked apart).
var tagPattern = regexp.MustCompile(`^[\w][\w.-]*$`)

// ParseImage parses a container image reference with the Docker reference
// grammar and maps Artifact Registry and gcr.io references to their
// repository. A reference that is not valid is reported as an *ImageError
// naming the offending part.
func ParseImage(ref string) (Image, error) {
	if strings.TrimSpace(ref) == "" {
		return Image{}, &ImageError{Ref: ref, Token: ref, Reason: "an image reference is required"}
	}
	if strings.ContainsAny(ref, " \t\r\n") {
		return Image{}, &ImageError{Ref: ref, Token: ref, Reason: "must not contain white space"}
	}
	parsed, err := name.ParseReference(ref)
	if err != nil {
		return Image{}, diagnose(ref, err)
	}
	img := Image{Ref: ref}
	repo := parsed.Context()
	switch r := parsed.(type) {
	case name.Tag:
		img.Tag = r.TagStr()
	case name.Digest:
		img.Digest = r.DigestStr()
		// go-containerregistry drops a tag given beside the digest; keep
		// it for display.
		if t, err := name.NewTag(strings.SplitN(ref, "@", 2)[0]); err == nil && strings.Contains(lastPathElement(t.String()), ":") {
			img.Tag = t.TagStr()
		}
	}
	path := repo.RepositoryStr()
	if err := checkPath(ref, path); err != nil {
		return Image{}, err
	}

	host := strings.ToLower(repo.RegistryStr())
	if host == name.DefaultRegistry {
		// go-containerregistry canonicalizes docker.io to index.docker.io.
		host = "docker.io"
	}
	img.Host = host
	segs := strings.Split(path, "/")
	switch {
	case dockerHubHosts[host]:
		img.Kind = KindDockerHub
		img.Host = "docker.io"
		img.Image = path
	case strings.HasSuffix(host, arHostSuffix) && len(host) > len(arHostSuffix):
		img.Kind = KindArtifactRegistry
		img.Location = strings.TrimSuffix(host, arHostSuffix)
		project, rest := splitProject(segs)
		if len(rest) < 2 {
			what := "repository and image names"
			if len(rest) == 1 {
				what = "an image name"
			}
			return Image{}, &ImageError{Ref: ref, Token: path, Reason: fmt.Sprintf("is missing %s: Artifact Registry images are LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE", what)}
		}
		img.Project, img.Repository, img.Image = project, rest[0], strings.Join(rest[1:], "/")
	case gcrLocations[host] != "":
		img.Kind = KindContainerRegistry
		img.Location = gcrLocations[host]
		img.Repository = host
		project, rest := splitProject(segs)
		if len(rest) < 1 {
			return Image{}, &ImageError{Ref: ref, Token: path, Reason: fmt.Sprintf("is missing an image name: %s images are %s/PROJECT/IMAGE", host, host)}
		}
		img.Project, img.Image = project, strings.Join(rest, "/")
	default:
		img.Kind = KindOther
		img.Image = path
	}
	return img, nil
}

// splitProject takes the project off the front of a repository path: a "."
// in the first element means a domain-scoped project ("example.com/proj" is
// project "example.com:proj"), since project IDs never contain dots.
func splitProject(segs []string) (project string, rest []string) {
	if strings.Contains(segs[0], ".") {
		if len(segs) < 2 {
			return segs[0], nil
		}
		return segs[0] + ":" + segs[1], segs[2:]
	}
	return segs[0], segs[1:]
}

func lastPathElement(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// Checkable reports whether Cloud Run checks IAM read access for the image:
// true for Artifact Registry and gcr.io images.
func (i Image) Checkable() bool {
	return i.Kind == KindArtifactRegistry || i.Kind == KindContainerRegistry
}

// RepositoryName is the Artifact Registry repository resource name,
// projects/P/locations/L/repositories/R, or "" when the image is not in
// Artifact Registry.
func (i Image) RepositoryName() string {
	if !i.Checkable() {
		return ""
	}
	return "projects/" + i.Project + "/locations/" + i.Location + "/repositories/" + i.Repository
}

// FullResourceName is the repository's IAM full resource name
// (//artifactregistry.googleapis.com/projects/…), as Policy Troubleshooter
// and Cloud Run's errors write it; "" when not in Artifact Registry.
func (i Image) FullResourceName() string {
	if !i.Checkable() {
		return ""
	}
	return "//artifactregistry.googleapis.com/" + i.RepositoryName()
}

// Identifier is what the image is pulled by: the digest if given, else the tag.
func (i Image) Identifier() string {
	if i.Digest != "" {
		return i.Digest
	}
	return i.Tag
}

// Name is the registry-qualified image name without tag or digest, e.g.
// us-docker.pkg.dev/p/r/app or docker.io/library/nginx.
func (i Image) Name() string {
	switch i.Kind {
	case KindArtifactRegistry:
		return i.Host + "/" + strings.Replace(i.Project, ":", "/", 1) + "/" + i.Repository + "/" + i.Image
	case KindContainerRegistry:
		return i.Host + "/" + strings.Replace(i.Project, ":", "/", 1) + "/" + i.Image
	}
	return i.Host + "/" + i.Image
}

// String is the reference as given.
func (i Image) String() string { return i.Ref }

// reference is the go-containerregistry reference the registry is asked
// about (the digest when given, else the tag).
func (i Image) reference() (name.Reference, error) {
	repo, err := name.NewRepository(i.Name())
	if err != nil {
		return nil, err
	}
	if i.Digest != "" {
		return repo.Digest(i.Digest), nil
	}
	return repo.Tag(i.Tag), nil
}

// ImageError is an image reference that is not valid. Its exit status is 2,
// like the argument errors of gcloud's parser.
type ImageError struct {
	Ref    string // the whole reference
	Token  string // the part that is wrong
	Reason string // what is wrong with Token
}

// Error names the reference and the offending token, e.g.
// `argument --image: invalid image reference "us-docker.pkg.dev/p/R/app": "R" must be lower case`.
func (e *ImageError) Error() string {
	if e.Token == e.Ref {
		return fmt.Sprintf("argument --image: invalid image reference %q: %s", e.Ref, e.Reason)
	}
	return fmt.Sprintf("argument --image: invalid image reference %q: %q %s", e.Ref, e.Token, e.Reason)
}

// ExitCode is the process exit status for this error.
func (e *ImageError) ExitCode() int { return 2 }

// diagnose turns a go-containerregistry parse failure into an ImageError
// that names the offending part of ref: the scheme, the digest, the tag,
// the host or a path element.
func diagnose(ref string, cause error) *ImageError {
	bad := func(token, reason string) *ImageError { return &ImageError{Ref: ref, Token: token, Reason: reason} }
	for _, scheme := range []string{"http://", "https://"} {
		if strings.HasPrefix(strings.ToLower(ref), scheme) {
			return bad(ref[:len(scheme)-3], "is a URL scheme: image references have none (write HOST/PATH:TAG)")
		}
	}
	base := ref
	if n := strings.Count(ref, "@"); n > 1 {
		return bad(ref, "must contain at most one '@' (NAME@sha256:DIGEST)")
	} else if n == 1 {
		var d string
		base, d, _ = strings.Cut(ref, "@")
		if err := digest.Digest(d).Validate(); err != nil {
			return bad(d, "is not a valid digest (sha256: followed by 64 lower-case hex digits)")
		}
	}
	// Split off the host the way the Docker grammar does.
	path := base
	if h, rest, ok := strings.Cut(base, "/"); ok && (h == "localhost" || strings.ContainsAny(h, ".:")) {
		path = rest
		if strings.ContainsAny(h, "/@ ") || h == "" || strings.HasPrefix(h, ":") || strings.HasSuffix(h, ":") {
			return bad(h, "is not a valid registry host")
		}
	}
	last := strings.LastIndex(path, "/")
	if colon := strings.LastIndex(path, ":"); colon > last {
		tag := path[colon+1:]
		path = path[:colon]
		switch {
		case tag == "":
			return bad(ref, "has a ':' with no tag after it")
		case len(tag) > 128:
			return bad(tag, "is longer than 128 characters, the limit for a tag")
		case !tagPattern.MatchString(tag):
			return bad(tag, "is not a valid tag (letters, digits, '_', '.' and '-', not starting with '.' or '-')")
		}
	}
	if path == "" {
		return bad(ref, "names no image")
	}
	if len(path) > 255 {
		return bad(path, "is longer than 255 characters, the limit for a repository path")
	}
	if err := checkPath(ref, path); err != nil {
		return err
	}
	return bad(ref, cause.Error())
}

// checkPath checks each element of a repository path against the Docker
// grammar and names the first bad one.
func checkPath(ref, path string) *ImageError {
	for _, c := range strings.Split(path, "/") {
		switch {
		case pathComponent.MatchString(c):
			continue
		case c == "":
			return &ImageError{Ref: ref, Token: path, Reason: "has an empty path element (check for '//' or a leading or trailing '/')"}
		case strings.ToLower(c) != c:
			return &ImageError{Ref: ref, Token: c, Reason: "must be lower case"}
		default:
			return &ImageError{Ref: ref, Token: c, Reason: "is not a valid path element (lower-case letters and digits, separated by '.', '_', '__' or '-')"}
		}
	}
	return nil
}
