package preflight

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func mustImage(t testing.TB, ref string) Image {
	t.Helper()
	img, err := ParseImage(ref)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

const (
	ciMember  = "serviceAccount:ci@my-proj.iam.gserviceaccount.com"
	appsRepo  = "projects/my-proj/locations/us-central1/repositories/apps"
	webImage  = "us-central1-docker.pkg.dev/my-proj/apps/web:v3"
	webDigest = "sha256:" + hex64
)

// reports are the fixtures of the rendering and decision tests.
func reports(t testing.TB) map[string]*Report {
	img := mustImage(t, webImage)
	rem := func(member, placeholder string) *Remedy { return remedy(img, ScopeRepository, member, placeholder) }
	return map[string]*Report{
		"caller-missing": {
			Image: img, Digest: webDigest, Exists: true,
			Findings: []Finding{
				{Principal: ciMember, Subject: SubjectCaller, Permission: PermDownload, Resource: appsRepo, State: StateMissing, Remedy: rem(ciMember, ""), CanGrant: true},
				{Principal: agent, Subject: SubjectServiceAgent, Permission: PermDownload, Resource: appsRepo, State: StateGranted, Reason: "granted by roles/artifactregistry.reader on " + appsRepo, Remedy: rem(agent, ""), CanGrant: true},
			},
		},
		"both-missing-cannot-grant": {
			Image: img,
			Findings: []Finding{
				{Principal: ciMember, Subject: SubjectCaller, Permission: PermDownload, Resource: appsRepo, State: StateMissing, Remedy: rem(ciMember, "")},
				{Principal: agent, Subject: SubjectServiceAgent, Permission: PermDownload, Resource: appsRepo, State: StateMissing, Remedy: rem(agent, "")},
			},
			cannotGrant: "you lack " + PermRepoSetIAM + " or " + PermRepoGetIAM + " on " + appsRepo,
		},
		"unknown-caller": {
			Image: img,
			Findings: []Finding{
				{Subject: SubjectCaller, Permission: PermDownload, Resource: appsRepo, State: StateMissing, Remedy: rem(CallerPlaceholder, "replace PRINCIPAL with the member of the active credentials")},
			},
		},
		"agent-unknown": {
			Image: img, Digest: webDigest, Exists: true,
			Findings: []Finding{
				{Principal: ciMember, Subject: SubjectCaller, Permission: PermDownload, Resource: appsRepo, State: StateGranted, Remedy: rem(ciMember, ""), CanGrant: false},
				{Principal: agent, Subject: SubjectServiceAgent, Permission: PermDownload, Resource: appsRepo, State: StateUnknown, Reason: "cannot read the IAM policy of projects/my-proj (PERMISSION_DENIED: The caller does not have permission)", Remedy: rem(agent, "")},
			},
			Warnings: []string{"the registry refused to read the image manifest (HTTP 403) although IAM reports that you hold " + PermDownload},
		},
		"docker-hub": {
			Image: mustImage(t, "nginx"),
			Notes: []string{"docker.io/library/nginx is a Docker Hub image: Cloud Run pulls public Docker Hub images without an IAM check, so there is nothing to check"},
		},
	}
}

func TestRender(t *testing.T) {
	for name, r := range reports(t) {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := r.Render(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, "render-"+name+".txt", b.Bytes())

			var j bytes.Buffer
			if err := r.WriteJSON(&j); err != nil {
				t.Fatal(err)
			}
			golden(t, "render-"+name+".json", j.Bytes())
			var list []map[string]any
			if err := json.Unmarshal(j.Bytes(), &list); err != nil || len(list) != len(r.Findings) {
				t.Fatalf("JSON is not a list of %d findings: %v\n%s", len(r.Findings), err, j.Bytes())
			}
			for _, f := range list {
				for _, k := range []string{"principal", "permission", "resource", "state", "remedy"} {
					if _, ok := f[k]; !ok {
						t.Errorf("JSON finding lacks %q: %v", k, f)
					}
				}
			}
		})
	}
}

func TestReportMissing(t *testing.T) {
	rs := reports(t)
	for name, want := range map[string]int{"caller-missing": 1, "both-missing-cannot-grant": 2, "agent-unknown": 0, "docker-hub": 0} {
		if got := len(rs[name].Missing()); got != want || rs[name].OK() != (want == 0) {
			t.Errorf("%s: Missing() has %d findings, OK() = %v; want %d", name, got, rs[name].OK(), want)
		}
	}
}
