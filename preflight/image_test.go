package preflight

import (
	"errors"
	"strings"
	"testing"
)

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseImage(t *testing.T) {
	tests := []struct {
		ref  string
		want Image
		repo string // RepositoryName()
	}{
		// gcp-apis.md §1.2 test vectors.
		{
			ref:  "us-central1-docker.pkg.dev/p1/r1/app:v1",
			want: Image{Kind: KindArtifactRegistry, Host: "us-central1-docker.pkg.dev", Location: "us-central1", Project: "p1", Repository: "r1", Image: "app", Tag: "v1"},
			repo: "projects/p1/locations/us-central1/repositories/r1",
		},
		{
			ref:  "us-docker.pkg.dev/p1/r1/team/app@sha256:" + hex64,
			want: Image{Kind: KindArtifactRegistry, Host: "us-docker.pkg.dev", Location: "us", Project: "p1", Repository: "r1", Image: "team/app", Digest: "sha256:" + hex64},
			repo: "projects/p1/locations/us/repositories/r1",
		},
		{
			ref:  "europe-west1-docker.pkg.dev/example.com/p1/r1/app",
			want: Image{Kind: KindArtifactRegistry, Host: "europe-west1-docker.pkg.dev", Location: "europe-west1", Project: "example.com:p1", Repository: "r1", Image: "app", Tag: "latest"},
			repo: "projects/example.com:p1/locations/europe-west1/repositories/r1",
		},
		{
			ref:  "gcr.io/p1/app:v2",
			want: Image{Kind: KindContainerRegistry, Host: "gcr.io", Location: "us", Project: "p1", Repository: "gcr.io", Image: "app", Tag: "v2"},
			repo: "projects/p1/locations/us/repositories/gcr.io",
		},
		{
			ref:  "eu.gcr.io/example.com/p1/app",
			want: Image{Kind: KindContainerRegistry, Host: "eu.gcr.io", Location: "europe", Project: "example.com:p1", Repository: "eu.gcr.io", Image: "app", Tag: "latest"},
			repo: "projects/example.com:p1/locations/europe/repositories/eu.gcr.io",
		},
		{
			ref:  "nginx",
			want: Image{Kind: KindDockerHub, Host: "docker.io", Image: "library/nginx", Tag: "latest"},
		},
		{
			ref:  "ghcr.io/o/app:1",
			want: Image{Kind: KindOther, Host: "ghcr.io", Image: "o/app", Tag: "1"},
		},
		// Multi-regions and the other gcr.io hosts.
		{
			ref:  "europe-docker.pkg.dev/p1/r1/app:v1",
			want: Image{Kind: KindArtifactRegistry, Host: "europe-docker.pkg.dev", Location: "europe", Project: "p1", Repository: "r1", Image: "app", Tag: "v1"},
			repo: "projects/p1/locations/europe/repositories/r1",
		},
		{
			ref:  "asia-docker.pkg.dev/p1/r1/a/b/c:v1",
			want: Image{Kind: KindArtifactRegistry, Host: "asia-docker.pkg.dev", Location: "asia", Project: "p1", Repository: "r1", Image: "a/b/c", Tag: "v1"},
			repo: "projects/p1/locations/asia/repositories/r1",
		},
		{
			ref:  "us.gcr.io/p1/team/app",
			want: Image{Kind: KindContainerRegistry, Host: "us.gcr.io", Location: "us", Project: "p1", Repository: "us.gcr.io", Image: "team/app", Tag: "latest"},
			repo: "projects/p1/locations/us/repositories/us.gcr.io",
		},
		{
			ref:  "asia.gcr.io/p1/app@sha256:" + hex64,
			want: Image{Kind: KindContainerRegistry, Host: "asia.gcr.io", Location: "asia", Project: "p1", Repository: "asia.gcr.io", Image: "app", Digest: "sha256:" + hex64},
			repo: "projects/p1/locations/asia/repositories/asia.gcr.io",
		},
		// Tag and digest: both kept, the digest is what is pulled.
		{
			ref:  "us-central1-docker.pkg.dev/p1/r1/app:v1@sha256:" + hex64,
			want: Image{Kind: KindArtifactRegistry, Host: "us-central1-docker.pkg.dev", Location: "us-central1", Project: "p1", Repository: "r1", Image: "app", Tag: "v1", Digest: "sha256:" + hex64},
			repo: "projects/p1/locations/us-central1/repositories/r1",
		},
		// Docker Hub spellings.
		{ref: "docker.io/nginx:1.27", want: Image{Kind: KindDockerHub, Host: "docker.io", Image: "library/nginx", Tag: "1.27"}},
		{ref: "index.docker.io/bitnami/redis", want: Image{Kind: KindDockerHub, Host: "docker.io", Image: "bitnami/redis", Tag: "latest"}},
		{ref: "library/nginx", want: Image{Kind: KindDockerHub, Host: "docker.io", Image: "library/nginx", Tag: "latest"}},
		// Other registries, including look-alikes of Google hosts.
		{ref: "localhost:5000/app", want: Image{Kind: KindOther, Host: "localhost:5000", Image: "app", Tag: "latest"}},
		{ref: "mirror.gcr.io/library/busybox", want: Image{Kind: KindOther, Host: "mirror.gcr.io", Image: "library/busybox", Tag: "latest"}},
		{ref: "docker.pkg.dev/p/r/app", want: Image{Kind: KindOther, Host: "docker.pkg.dev", Image: "p/r/app", Tag: "latest"}},
		{ref: "us-central1-docker.pkg.dev.example.com/p/r/app", want: Image{Kind: KindOther, Host: "us-central1-docker.pkg.dev.example.com", Image: "p/r/app", Tag: "latest"}},
		// Host case is not significant.
		{
			ref:  "US-Central1-Docker.pkg.dev/p1/r1/app",
			want: Image{Kind: KindArtifactRegistry, Host: "us-central1-docker.pkg.dev", Location: "us-central1", Project: "p1", Repository: "r1", Image: "app", Tag: "latest"},
			repo: "projects/p1/locations/us-central1/repositories/r1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := ParseImage(tt.ref)
			if err != nil {
				t.Fatalf("ParseImage(%q): %v", tt.ref, err)
			}
			tt.want.Ref = tt.ref
			if got != tt.want {
				t.Errorf("ParseImage(%q)\n got %+v\nwant %+v", tt.ref, got, tt.want)
			}
			if got.RepositoryName() != tt.repo {
				t.Errorf("RepositoryName() = %q, want %q", got.RepositoryName(), tt.repo)
			}
			if got.Checkable() != (tt.repo != "") {
				t.Errorf("Checkable() = %v", got.Checkable())
			}
			if tt.repo != "" && got.FullResourceName() != "//artifactregistry.googleapis.com/"+tt.repo {
				t.Errorf("FullResourceName() = %q", got.FullResourceName())
			}
			// The registry name round-trips to the same image.
			again, err := ParseImage(got.Name() + "@" + "sha256:" + hex64)
			if err != nil {
				t.Fatalf("ParseImage(Name()=%q): %v", got.Name(), err)
			}
			if again.Kind != got.Kind || again.Project != got.Project || again.Repository != got.Repository || again.Image != got.Image || again.Location != got.Location {
				t.Errorf("Name() %q parses to %+v, want the same repository as %+v", got.Name(), again, got)
			}
		})
	}
}

func TestParseImageErrors(t *testing.T) {
	tests := []struct {
		ref   string
		token string
		msg   string // substring of Error()
	}{
		{ref: "", token: "", msg: "an image reference is required"},
		{ref: "https://us-docker.pkg.dev/p/r/app", token: "https", msg: "URL scheme"},
		{ref: "us-docker.pkg.dev/p/R1/app", token: "R1", msg: `"R1" must be lower case`},
		{ref: "us-docker.pkg.dev/p/r1/App:v1", token: "App", msg: "must be lower case"},
		{ref: "us-docker.pkg.dev/p//app", token: "p//app", msg: "empty path element"},
		{ref: "us-docker.pkg.dev/p/r/-app", token: "-app", msg: "not a valid path element"},
		{ref: "us-docker.pkg.dev/p/r/app:", token: "us-docker.pkg.dev/p/r/app:", msg: "no tag after it"},
		{ref: "us-docker.pkg.dev/p/r/app:v!1", token: "v!1", msg: "not a valid tag"},
		{ref: "us-docker.pkg.dev/p/r/app:" + strings.Repeat("a", 129), token: strings.Repeat("a", 129), msg: "longer than 128"},
		{ref: "us-docker.pkg.dev/p/r/app@sha256:abc", token: "sha256:abc", msg: "not a valid digest"},
		{ref: "us-docker.pkg.dev/p/r/app@sha256:" + hex64 + "@x", token: "us-docker.pkg.dev/p/r/app@sha256:" + hex64 + "@x", msg: "at most one '@'"},
		{ref: "us-docker.pkg.dev/p/r", token: "p/r", msg: "missing an image name"},
		{ref: "us-docker.pkg.dev/p", token: "p", msg: "missing repository and image names"},
		{ref: "us-docker.pkg.dev/example.com/p/r", token: "example.com/p/r", msg: "missing an image name"},
		{ref: "gcr.io/p", token: "p", msg: "missing an image name"},
		{ref: "gcr.io/example.com/p", token: "example.com/p", msg: "missing an image name"},
		{ref: "nginx latest", token: "nginx latest", msg: "white space"},
		{ref: "UPPER", token: "UPPER", msg: "must be lower case"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			_, err := ParseImage(tt.ref)
			var ie *ImageError
			if !errors.As(err, &ie) {
				t.Fatalf("ParseImage(%q) error = %v, want *ImageError", tt.ref, err)
			}
			if ie.ExitCode() != 2 {
				t.Errorf("ExitCode() = %d, want 2", ie.ExitCode())
			}
			if ie.Token != tt.token {
				t.Errorf("Token = %q, want %q (error: %v)", ie.Token, tt.token, err)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), "argument --image: invalid image reference ") {
				t.Errorf("Error() = %q, want it to contain %q", err.Error(), tt.msg)
			}
		})
	}
}

func FuzzParseImage(f *testing.F) {
	for _, s := range []string{
		"us-central1-docker.pkg.dev/p1/r1/app:v1",
		"us-docker.pkg.dev/p1/r1/team/app@sha256:" + hex64,
		"europe-west1-docker.pkg.dev/example.com/p1/r1/app",
		"gcr.io/p1/app:v2", "eu.gcr.io/example.com/p1/app", "nginx", "ghcr.io/o/app:1",
		"localhost:5000/a/b:c", "us-docker.pkg.dev/p//app", "https://gcr.io/p/a", "a@b@c", ":", "/", "-docker.pkg.dev/p/r/i",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		img, err := ParseImage(ref)
		if err != nil {
			var ie *ImageError
			if !errors.As(err, &ie) {
				t.Fatalf("ParseImage(%q) error %T %v, want *ImageError", ref, err, err)
			}
			if ie.Ref != ref || !strings.Contains(ref, ie.Token) {
				t.Fatalf("ParseImage(%q): token %q is not part of the reference", ref, ie.Token)
			}
			return
		}
		if img.Ref != ref || img.Kind < KindArtifactRegistry || img.Kind > KindOther {
			t.Fatalf("ParseImage(%q) = %+v", ref, img)
		}
		if img.Tag == "" && img.Digest == "" {
			t.Fatalf("ParseImage(%q): neither tag nor digest", ref)
		}
		if img.Checkable() {
			if img.Project == "" || img.Repository == "" || img.Image == "" || img.Location == "" {
				t.Fatalf("ParseImage(%q) = %+v: empty repository part", ref, img)
			}
			if strings.Count(img.RepositoryName(), "/") != 5 {
				t.Fatalf("RepositoryName() = %q", img.RepositoryName())
			}
		}
		// What was accepted must be accepted again in canonical form.
		if _, err := ParseImage(img.Name() + ":" + "t"); err != nil {
			t.Fatalf("ParseImage(%q) ok but Name() %q: %v", ref, img.Name(), err)
		}
	})
}
