package parity

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/rundeploy/rundeploy/internal/gcloudtest"
)

// TestParity runs the parity corpus (scripts/parity/corpus.yaml): rundeploy
// is built and run live against internal/fakegcp; gcloud's side is
// replayed from scripts/parity/gcloud528.json, and cases the
// recording lacks (or every case, with RUNDEPLOY_PARITY=live) run the real
// gcloud when RUNDEPLOY_GCLOUD_TESTS=1 and are skipped otherwise.
//
// By default it runs the CI subset (every invalid case and the cases marked
// `ci: true`); RUNDEPLOY_PARITY=full or =live runs the whole corpus.
// `go test -short` skips it.
func TestParity(t *testing.T) {
	if testing.Short() {
		t.Skip("parity harness skipped in -short mode")
	}
	mode := os.Getenv("RUNDEPLOY_PARITY")
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "scripts", "parity")
	cases, err := LoadCorpus(filepath.Join(dir, "corpus.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cases, err = Select(cases, "", mode != "full" && mode != "live")
	if err != nil {
		t.Fatal(err)
	}
	allow, err := LoadAllowances(filepath.Join(dir, "allow.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := LoadRecording(filepath.Join(dir, "gcloud528.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The real gcloud runs the cases the recording lacks (every case with
	// RUNDEPLOY_PARITY=live) only when RUNDEPLOY_GCLOUD_TESTS=1.
	gcloud := ""
	if mode == "live" || os.Getenv(gcloudtest.RealVariable) == "1" {
		gcloud = gcloudtest.Real(t)
	}
	if gcloud == "" && len(rec.Cases) == 0 {
		t.Skip("no /usr/bin/gcloud and no recording")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()
	bin, err := BuildRundeploy(ctx, root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Gcloud: gcloud, Rundeploy: bin, DataDir: filepath.Join(dir, "testdata"),
		Workers: max(2, runtime.NumCPU()), Preflight: true, Allow: allow, Recording: rec, Live: mode == "live",
	}
	start := time.Now()
	results := Run(ctx, cfg, cases, nil)
	t.Logf("%d cases in %s: %s", len(cases), time.Since(start).Round(time.Second), Summary(results))
	for _, r := range results {
		t.Run(r.Case.Name, func(t *testing.T) {
			switch r.Status {
			case Skip:
				t.Skip(r.Line())
			case Fail:
				t.Error(r.Line())
			default:
				if len(r.Details) > 0 {
					t.Log(r.Line())
				}
			}
		})
	}
}
