package fakegcp

import (
	"strings"
	"testing"
)

func TestParseImage(t *testing.T) {
	tests := []struct {
		in                                  string
		project, location, repo, image, ref string
	}{
		{"us-central1-docker.pkg.dev/p1/r1/app:v1", "p1", "us-central1", "r1", "app", "v1"},
		{"us-docker.pkg.dev/p1/r1/team/app@sha256:" + strings.Repeat("a", 64), "p1", "us", "r1", "team/app", "sha256:" + strings.Repeat("a", 64)},
		{"europe-west1-docker.pkg.dev/example.com/p1/r1/app", "example.com:p1", "europe-west1", "r1", "app", "latest"},
		{"gcr.io/p1/app:v2", "p1", "us", "gcr.io", "app", "v2"},
		{"eu.gcr.io/example.com/p1/app", "example.com:p1", "europe", "eu.gcr.io", "app", "latest"},
		{"asia.gcr.io/p1/a/b", "p1", "asia", "asia.gcr.io", "a/b", "latest"},
		{"nginx", "", "", "", "", "latest"},
		{"ghcr.io/o/app:1", "", "", "", "", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseImage(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Project != tt.project || got.Location != tt.location || got.Repo != tt.repo || got.Image != tt.image || got.Ref != tt.ref {
				t.Errorf("parseImage(%q) = %+v", tt.in, got)
			}
		})
	}
	for _, bad := range []string{"us-docker.pkg.dev/p1/r1", "UPPER/Case:x", "a:b:c"} {
		if got, err := parseImage(bad); err == nil {
			t.Errorf("parseImage(%q) = %+v, want an error", bad, got)
		}
	}
}

func FuzzParseImage(f *testing.F) {
	for _, seed := range []string{
		"us-central1-docker.pkg.dev/p1/r1/app:v1", "gcr.io/example.com/p/app", "nginx", "a/b/c@sha256:" + strings.Repeat("0", 64),
		"us-docker.pkg.dev/p", "eu.gcr.io/", "localhost:5000/x",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseImage(in)
		if err != nil {
			return
		}
		if got.Repo != "" {
			if parts := strings.Split(got.RepoName(), "/"); len(parts) != 6 || got.Image == "" || got.Project == "" {
				t.Errorf("parseImage(%q) = %+v: malformed repository %q", in, got, got.RepoName())
			}
		}
		if got.Ref == "" {
			t.Errorf("parseImage(%q): empty reference", in)
		}
	})
}

func FuzzRegistryPath(f *testing.F) {
	for _, seed := range []string{"/v2/p/r/img/manifests/v1", "/v2/p/r/a/b/blobs/sha256:00", "/v2/", "/v2/manifests/x", "/v2/a/manifests/"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, p string) {
		repoPath, kind, ref, ok := registryPath(p)
		if !ok {
			return
		}
		if kind != "manifests" && kind != "blobs" {
			t.Errorf("registryPath(%q) kind %q", p, kind)
		}
		if "/v2/"+repoPath+"/"+kind+"/"+ref != p && repoPath+"/"+kind+"/"+ref != p {
			t.Errorf("registryPath(%q) = %q %q %q does not rebuild the path", p, repoPath, kind, ref)
		}
	})
}

func TestRoleFacts(t *testing.T) {
	tests := []struct {
		role, perm string
		want       bool
	}{
		{"roles/run.admin", permDownload, false},
		{"roles/run.developer", permDownload, false},
		{"roles/run.developer", permRunSetIam, false},
		{"roles/run.admin", permRunSetIam, true},
		{"roles/viewer", permDownload, true},
		{"roles/editor", permDownload, true},
		{"roles/editor", permRepoSetIam, false},
		{"roles/owner", permRepoSetIam, true},
		{"roles/artifactregistry.reader", permDownload, true},
		{"roles/artifactregistry.reader", permRepoGetIam, false},
		{"roles/artifactregistry.writer", permRepoSetIam, false},
		{"roles/artifactregistry.repoAdmin", permDownload, true},
		{"roles/artifactregistry.repoAdmin", permRepoSetIam, false},
		{"roles/artifactregistry.admin", permRepoSetIam, true},
		{"roles/run.serviceAgent", permDownload, true},
		{"roles/iam.securityReviewer", permDownload, false},
		{"roles/iam.securityReviewer", permProjectGetIam, true},
		{"roles/resourcemanager.projectIamAdmin", permProjectSetIam, true},
		{"roles/iam.serviceAccountTokenCreator", permSAGetAccessTok, true},
		{"roles/iam.serviceAccountUser", permSAActAs, true},
		{"roles/iam.serviceAccountUser", permSAGetAccessTok, false},
		{"roles/run.invoker", permRunGet, false},
	}
	for _, tt := range tests {
		if got := roleGrants(tt.role, tt.perm); got != tt.want {
			t.Errorf("roleGrants(%s, %s) = %v, want %v", tt.role, tt.perm, got, tt.want)
		}
	}
	members := []struct {
		binding, caller string
		want            bool
	}{
		{"allUsers", "", true},
		{"allAuthenticatedUsers", "", false},
		{"allAuthenticatedUsers", "user:a@b", true},
		{"group:g@b", "user:a@b", false},
		{"user:a@b", "user:a@b", true},
		{"user:a@b", "serviceAccount:a@b", false},
	}
	for _, tt := range members {
		if got := memberMatches(tt.binding, tt.caller); got != tt.want {
			t.Errorf("memberMatches(%q, %q) = %v", tt.binding, tt.caller, got)
		}
	}
}
