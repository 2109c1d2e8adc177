package main

// Transcript parity: the real gcloud (through the fake's v1 surface) and
// rundeploy (through v2) deploy the same command lines, and what they print
// on stderr must be the same once the parts that legitimately differ are
// normalised: ANSI codes, the number of progress dots, generated revision
// suffixes and the fake's URL shapes. rundeploy's preflight report is
// switched off (--no-preflight): gcloud has no such lines.

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rundeploy/rundeploy/internal/fakegcp"
	"github.com/rundeploy/rundeploy/internal/gcloudtest"
)

var (
	ansiCodes    = regexp.MustCompile(`\x1b\[[0-9;]*m`)
	stageDots    = regexp.MustCompile(`\.{3,}(done|failed)`)
	revisionName = regexp.MustCompile(`-\d{5}-[a-z]{3}\b`)
	anyURL       = regexp.MustCompile(`https://(([a-z0-9-]+)---)?[^\s]+`)
)

// normaliseTranscript makes two transcripts of the same deploy comparable.
func normaliseTranscript(s string) string {
	s = ansiCodes.ReplaceAllString(s, "")
	s = stageDots.ReplaceAllString(s, "...$1")
	s = revisionName.ReplaceAllString(s, "-NNNNN-xxx")
	s = anyURL.ReplaceAllString(s, "https://${1}URL")
	var out []string
	for _, line := range strings.Split(s, "\n") {
		// gcloud 578 prints the proxy hint, 528 (installed here) does not;
		// rundeploy follows 578 (docs/differences.md).
		if strings.HasPrefix(line, "Proxy locally with:") {
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func TestTranscriptsMatchGcloud(t *testing.T) {
	gcloud := gcloudtest.Real(t)
	if testing.Short() {
		t.Skip("runs the real gcloud")
	}
	const image = "us-docker.pkg.dev/cloudrun/container/hello"
	scenarios := []struct {
		name  string
		steps [][]string // earlier steps set the service up; the last is compared
		// errorOnly compares the ERROR line alone: rundeploy fails before
		// it starts a tracker (docs/differences.md).
		errorOnly bool
	}{
		{name: "create_allow_unauthenticated", steps: [][]string{{"web", "--image", image, "--allow-unauthenticated"}}},
		{name: "create_no_allow_unauthenticated", steps: [][]string{{"web", "--image", image, "--no-allow-unauthenticated", "--memory", "512Mi"}}},
		{name: "update", steps: [][]string{
			{"web", "--image", image, "--no-allow-unauthenticated"},
			{"web", "--image", image, "--update-env-vars", "A=1"},
		}},
		{name: "async", steps: [][]string{{"web", "--image", image, "--no-allow-unauthenticated", "--async"}}},
		{name: "no_traffic_tag", steps: [][]string{
			{"web", "--image", image, "--no-allow-unauthenticated"},
			{"web", "--image", image, "--no-traffic", "--tag", "blue"},
		}},
		{name: "no_traffic_create", steps: [][]string{{"web", "--image", image, "--no-traffic"}}, errorOnly: true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			var got [2]string
			var codes [2]int
			for i, tool := range []string{"gcloud", "rundeploy"} {
				s := fakegcp.New(fakegcp.Options{})
				defer s.Close()
				s.AddProject("my-proj", 123456789012)
				s.Grant("projects/my-proj", "roles/owner", fakegcp.DefaultMember)
				dir := t.TempDir()
				var env []string
				path := binary
				if tool == "gcloud" {
					path = gcloud
					env = append(os.Environ(), s.GcloudEnv(filepath.Join(dir, "gcloud"))...)
				} else {
					env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
						"CLOUDSDK_CONFIG=" + filepath.Join(dir, "gcloud"),
						"RUNDEPLOY_GCLOUD=" + filepath.Join(dir, "no-gcloud")}, s.Env()...)
				}
				env = append(env, "TERM=xterm", "CLOUDSDK_CORE_PROJECT=my-proj", "CLOUDSDK_RUN_REGION=us-central1")
				for j, args := range sc.steps {
					full := args
					if tool == "gcloud" {
						full = append([]string{"run", "deploy"}, args...)
					} else {
						full = append(append([]string{}, args...), "--no-preflight")
					}
					ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
					cmd := exec.CommandContext(ctx, path, full...)
					cmd.Env = env
					var stderr bytes.Buffer
					cmd.Stderr = &stderr
					err := cmd.Run()
					cancel()
					code := 0
					if ee, ok := err.(*exec.ExitError); ok {
						code = ee.ExitCode()
					} else if err != nil {
						t.Fatalf("%s: %v", tool, err)
					}
					if j == len(sc.steps)-1 {
						got[i], codes[i] = normaliseTranscript(stderr.String()), code
					} else if code != 0 {
						t.Fatalf("%s set-up step %q failed (%d):\n%s", tool, args, code, stderr.String())
					}
				}
			}
			if codes[0] != codes[1] {
				t.Errorf("exit status: gcloud %d, rundeploy %d", codes[0], codes[1])
			}
			if sc.errorOnly {
				got[0], got[1] = errorLine(got[0]), errorLine(got[1])
			}
			if got[0] != got[1] {
				t.Errorf("transcripts differ\n--- gcloud\n%s\n--- rundeploy\n%s", got[0], got[1])
			}
		})
	}
}

func errorLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "ERROR: ") {
			return l
		}
	}
	return ""
}
