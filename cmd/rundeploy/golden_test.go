package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rundeploy/rundeploy/deploy"
)

// The recorded behaviour of the real gcloud (528) for invalid command lines:
// testdata/gcloud_cases.json holds the command lines, testdata/gcloud_errors.json
// what gcloud printed. Regenerate with
//
//	go test ./cmd/rundeploy -run TestGcloudRecording -update-gcloud-golden
var updateGolden = flag.Bool("update-gcloud-golden", false, "re-record testdata/gcloud_errors.json from /usr/bin/gcloud")

const gcloudPath = "/usr/bin/gcloud"

// commonArgs keep gcloud from prompting; they come first so that they stay
// outside --container sections.
var commonArgs = []string{"--project", "p", "--region", "r"}

// recorded is gcloud's reaction to one command line.
type recorded struct {
	Args    []string `json:"args"`
	Exit    int      `json:"exit"`
	Command string   `json:"command"` // the "(gcloud.run.deploy)" part
	Message string   `json:"message"`
	Usage   bool     `json:"usage"` // a usage block followed the message
}

func loadCases(t *testing.T) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "gcloud_cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases [][]string
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

func loadGolden(t *testing.T) []recorded {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "gcloud_errors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []recorded
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// splitGcloudStderr turns gcloud's stderr into command, message and whether
// a usage block followed.
func splitGcloudStderr(stderr string) (command, message string, usage bool) {
	rest, ok := strings.CutPrefix(stderr, "ERROR: (")
	if !ok {
		return "", stderr, false
	}
	command, message, _ = strings.Cut(rest, ") ")
	if i := strings.Index(message, "\nUsage: "); i >= 0 {
		message, usage = message[:i], true
	}
	return command, strings.TrimSuffix(message, "\n"), usage
}

func runGcloud(t *testing.T, args []string) recorded {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gcloudPath, append([]string{"run", "deploy"}, append(append([]string{}, commonArgs...), args...)...)...)
	cmd.Env = append(os.Environ(),
		"CLOUDSDK_CONFIG="+t.TempDir(),
		"CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true",
		"CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true",
		"CLOUDSDK_SURVEY_DISABLE_PROMPTS=true",
		"CLOUDSDK_CORE_CHECK_GCE_METADATA=false",
		"CLOUDSDK_CORE_DISABLE_PROMPTS=true",
	)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Stdin = nil
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Errorf("gcloud %q did not fail within 60s (it got past argument parsing)", args)
	}
	exit := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		exit = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running gcloud: %v", err)
	}
	c, m, u := splitGcloudStderr(stderr.String())
	return recorded{Args: args, Exit: exit, Command: c, Message: m, Usage: u}
}

// TestGcloudRecording re-runs the real gcloud on every recorded command line
// and checks the recording still holds (or rewrites it with
// -update-gcloud-golden). Skipped without /usr/bin/gcloud and in -short mode.
func TestGcloudRecording(t *testing.T) {
	if _, err := os.Stat(gcloudPath); err != nil {
		t.Skip("gcloud not installed")
	}
	if testing.Short() && !*updateGolden {
		t.Skip("runs gcloud once per case")
	}
	cases := loadCases(t)
	got := make([]recorded, len(cases))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, args := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			got[i] = runGcloud(t, args)
		}()
	}
	wg.Wait()
	if *updateGolden {
		b, _ := json.MarshalIndent(got, "", " ")
		if err := os.WriteFile(filepath.Join("testdata", "gcloud_errors.json"), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := loadGolden(t)
	if len(want) != len(got) {
		t.Fatalf("recording has %d cases, gcloud_cases.json %d: re-record", len(want), len(got))
	}
	for i := range got {
		if !equalRecorded(got[i], want[i]) {
			t.Errorf("gcloud %q:\n got %+v\nwant %+v", got[i].Args, got[i], want[i])
		}
	}
}

func equalRecorded(a, b recorded) bool {
	return strings.Join(a.Args, "\x00") == strings.Join(b.Args, "\x00") && a.Exit == b.Exit &&
		a.Command == b.Command && a.Message == b.Message && a.Usage == b.Usage
}

// rundeployRecord is what rundeploy prints for a parse error, in the same
// shape as gcloud's recording.
func rundeployRecord(args []string, err error) recorded {
	r := recorded{Args: args, Exit: 1, Command: "gcloud.run.deploy", Message: err.Error()}
	var ae *deploy.ArgumentError
	var ve *deploy.ValueError
	switch {
	case errors.As(err, &ae):
		r.Exit, r.Usage = 2, !ae.NoUsage
		if ae.Command != "" {
			r.Command = ae.Command
		}
	case errors.As(err, &ve):
		r.Command = ve.Command
	}
	return r
}

// TestParseMatchesGcloudRecording checks that parseDeploy rejects every
// recorded command line with gcloud's exact message, exit status and usage.
func TestParseMatchesGcloudRecording(t *testing.T) {
	for _, want := range loadGolden(t) {
		t.Run(strings.Join(want.Args, " "), func(t *testing.T) {
			_, err := parseDeploy(append(append([]string{}, commonArgs...), want.Args...), nil)
			if err == nil {
				t.Fatalf("accepted; gcloud said %q", want.Message)
			}
			got := rundeployRecord(want.Args, err)
			if !equalRecorded(got, want) {
				t.Errorf("\n got exit=%d (%s) usage=%v %q\nwant exit=%d (%s) usage=%v %q", got.Exit, got.Command, got.Usage, got.Message, want.Exit, want.Command, want.Usage, want.Message)
			}
		})
	}
}
