package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rundeploy/rundeploy/internal/gcloudtest"
	"github.com/rundeploy/rundeploy/wrap"
)

// The recorded behaviour of the real gcloud (528) for invalid command lines:
// testdata/gcloud_cases.json holds the command lines (an argument list, or
// {"args": [...], "env": {...}} for cases that need environment variables
// such as CLOUDSDK_RUN_PLATFORM), testdata/gcloud_errors.json what gcloud
// printed. Regenerate with
//
//	go test ./cmd/rundeploy -run TestGcloudRecording -update-gcloud-golden
//
// Each gcloud run costs about 1.5 CPU-seconds, so TestGcloudRecording checks
// a deterministic subset by default (gcloudSubset); RUNDEPLOY_GCLOUD_FULL=1
// checks every case. TestParseMatchesGcloudRecording always checks rundeploy
// against every recorded case (no gcloud needed).
var updateGolden = flag.Bool("update-gcloud-golden", false, "re-record testdata/gcloud_errors.json from /usr/bin/gcloud")

const gcloudPath = "/usr/bin/gcloud"

// fullEnv selects every case in TestGcloudRecording.
const fullEnv = "RUNDEPLOY_GCLOUD_FULL"

// gcloudParallel bounds the concurrent gcloud processes.
const gcloudParallel = 4

// commonArgs keep gcloud from prompting; they come first so that they stay
// outside --container sections.
var commonArgs = []string{"--project", "p", "--region", "r"}

// gcloudCase is one recorded command line.
type gcloudCase struct {
	Args []string
	Env  map[string]string
}

func (c *gcloudCase) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &c.Args); err == nil {
		return nil
	}
	var obj struct {
		Args []string          `json:"args"`
		Env  map[string]string `json:"env"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	c.Args, c.Env = obj.Args, obj.Env
	return nil
}

// recorded is gcloud's reaction to one command line.
type recorded struct {
	Args     []string          `json:"args"`
	Env      map[string]string `json:"env,omitempty"`
	Exit     int               `json:"exit"`
	Command  string            `json:"command"` // the "(gcloud.run.deploy)" part
	Message  string            `json:"message"`
	Usage    bool              `json:"usage"`              // a usage block followed the message
	Warnings []string          `json:"warnings,omitempty"` // WARNING: lines before the error
}

func loadCases(t *testing.T) []gcloudCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "gcloud_cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []gcloudCase
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

// splitGcloudStderr turns gcloud's stderr into the warnings before the
// error, command, message and whether a usage block followed.
func splitGcloudStderr(stderr string) (warnings []string, command, message string, usage bool) {
	for strings.HasPrefix(stderr, "WARNING: ") {
		line, rest, _ := strings.Cut(stderr, "\n")
		warnings = append(warnings, strings.TrimPrefix(line, "WARNING: "))
		stderr = rest
	}
	rest, ok := strings.CutPrefix(stderr, "ERROR: (")
	if !ok {
		return warnings, "", stderr, false
	}
	command, message, _ = strings.Cut(rest, ") ")
	if i := strings.Index(message, "\nUsage: "); i >= 0 {
		message, usage = message[:i], true
	}
	return warnings, command, strings.TrimSuffix(message, "\n"), usage
}

// gcloudEnviron is the environment of a recorded gcloud run: no prompts, no
// metadata server, a fresh configuration directory, and the case's own
// variables.
func gcloudEnviron(configDir string, extra map[string]string) []string {
	env := append(os.Environ(),
		"CLOUDSDK_CONFIG="+configDir,
		"CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true",
		"CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true",
		"CLOUDSDK_SURVEY_DISABLE_PROMPTS=true",
		"CLOUDSDK_CORE_CHECK_GCE_METADATA=false",
		"CLOUDSDK_CORE_DISABLE_PROMPTS=true",
	)
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+extra[k])
	}
	return env
}

func runGcloud(t *testing.T, c gcloudCase) (recorded, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gcloudPath, append([]string{"run", "deploy"}, append(append([]string{}, commonArgs...), c.Args...)...)...)
	cmd.Env = gcloudEnviron(t.TempDir(), c.Env)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Stdin = nil
	err := cmd.Run()
	if ctx.Err() != nil {
		return recorded{}, fmt.Errorf("gcloud %q did not fail within 60s (it got past argument parsing)", c.Args)
	}
	exit := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		exit = ee.ExitCode()
	} else if err != nil {
		return recorded{}, fmt.Errorf("running gcloud: %w", err)
	}
	w, cmdPath, m, u := splitGcloudStderr(stderr.String())
	return recorded{Args: c.Args, Env: c.Env, Exit: exit, Command: cmdPath, Message: m, Usage: u, Warnings: w}, nil
}

// messageKind is the shape of a gcloud message with the user's values taken
// out, cut to its first words: cases of one kind exercise the same check.
func messageKind(r recorded) string {
	m := r.Message
	switch {
	case strings.HasPrefix(m, "unrecognized arguments:\n"):
		m = "unrecognized arguments (several)"
	case strings.HasPrefix(m, "unrecognized arguments:"):
		m = "unrecognized arguments (one)"
	default:
		m = kindFlag.ReplaceAllString(m, "argument: ")
		m = kindValues.ReplaceAllString(m, "_")
		if f := strings.Fields(m); len(f) > 3 {
			m = strings.Join(f[:3], " ")
		}
	}
	return fmt.Sprintf("%d|%s|%v|%s", r.Exit, r.Command, r.Usage, m)
}

var (
	// kindFlag is argparse's "argument --flag: " prefix.
	kindFlag = regexp.MustCompile(`^argument --[a-z0-9-]+: `)
	// kindValues are the parts of a message that echo the user's input.
	kindValues = regexp.MustCompile("\\[[^\\]]*\\]|'[^']*'|\"[^\"]*\"|`[^`]*`|--[a-z0-9-]+|\\b[0-9]+\\b")
)

// gcloudSubset picks the cases TestGcloudRecording runs by default: the
// first case of every message kind, plus every sampleEvery-th case, so the
// selection only changes when the recording does.
func gcloudSubset(want []recorded) []int {
	const sampleEvery = 16
	seen := map[string]bool{}
	var pick []int
	for i, r := range want {
		k := messageKind(r)
		if !seen[k] || i%sampleEvery == 0 {
			pick = append(pick, i)
		}
		seen[k] = true
	}
	return pick
}

// TestGcloudRecording re-runs the real gcloud on the recorded command lines
// and checks the recording still holds (or rewrites it with
// -update-gcloud-golden). Skipped without /usr/bin/gcloud and in -short mode.
func TestGcloudRecording(t *testing.T) {
	if !*updateGolden {
		gcloudtest.Real(t)
	}
	if testing.Short() && !*updateGolden {
		t.Skip("runs gcloud once per case")
	}
	cases := loadCases(t)
	var want []recorded
	pick := make([]int, len(cases))
	for i := range pick {
		pick[i] = i
	}
	if !*updateGolden {
		want = loadGolden(t)
		if len(want) != len(cases) {
			t.Fatalf("recording has %d cases, gcloud_cases.json %d: re-record", len(want), len(cases))
		}
		if os.Getenv(fullEnv) == "" {
			pick = gcloudSubset(want)
			t.Logf("checking %d of %d cases against gcloud (%s=1 for all)", len(pick), len(cases), fullEnv)
		}
	}
	got := make([]recorded, len(cases))
	errs := make([]error, len(cases))
	var wg sync.WaitGroup
	sem := make(chan struct{}, gcloudParallel)
	for _, i := range pick {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			got[i], errs[i] = runGcloud(t, cases[i])
		}()
	}
	wg.Wait()
	for _, i := range pick {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
	}
	if *updateGolden {
		b, _ := json.MarshalIndent(got, "", " ")
		if err := os.WriteFile(filepath.Join("testdata", "gcloud_errors.json"), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, i := range pick {
		if !equalRecorded(got[i], want[i]) || !reflect.DeepEqual(got[i].Warnings, want[i].Warnings) {
			t.Errorf("gcloud %q:\n got %+v\nwant %+v", got[i].Args, got[i], want[i])
		}
	}
}

// equalRecorded compares everything but the warnings (rundeploy's parser
// prints none; see TestParseMatchesGcloudRecording).
func equalRecorded(a, b recorded) bool {
	return strings.Join(a.Args, "\x00") == strings.Join(b.Args, "\x00") && reflect.DeepEqual(a.Env, b.Env) &&
		a.Exit == b.Exit && a.Command == b.Command && a.Message == b.Message && a.Usage == b.Usage
}

// rundeployRecord is what rundeploy prints for a parse error, in the same
// shape as gcloud's recording.
func rundeployRecord(args []string, env map[string]string, err error) recorded {
	r := recorded{Args: args, Env: env, Exit: 1, Command: "gcloud.run.deploy", Message: err.Error()}
	var ae *wrap.ArgumentError
	var ve *wrap.ValueError
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

// caseGetenv is the environment of a recorded case for Parse: nil
// (no properties) for cases without variables, else the case's variables
// with an empty configuration directory, as gcloud had.
func caseGetenv(t *testing.T, env map[string]string) func(string) string {
	if len(env) == 0 {
		return nil
	}
	dir := t.TempDir()
	return func(k string) string {
		if k == "CLOUDSDK_CONFIG" {
			return dir
		}
		return env[k]
	}
}

// TestParseMatchesGcloudRecording checks that Parse rejects every
// recorded command line with gcloud's exact message, exit status and usage.
func TestParseMatchesGcloudRecording(t *testing.T) {
	for _, want := range loadGolden(t) {
		t.Run(strings.Join(want.Args, " "), func(t *testing.T) {
			_, err := Parse(append(append([]string{}, commonArgs...), want.Args...), caseGetenv(t, want.Env))
			if err == nil {
				t.Fatalf("accepted; gcloud said %q", want.Message)
			}
			got := rundeployRecord(want.Args, want.Env, err)
			if !equalRecorded(got, want) {
				t.Errorf("\n got exit=%d (%s) usage=%v %q\nwant exit=%d (%s) usage=%v %q", got.Exit, got.Command, got.Usage, got.Message, want.Exit, want.Command, want.Usage, want.Message)
			}
		})
	}
}
