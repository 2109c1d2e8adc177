package deploy

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/NAME, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestTrackerPlain(t *testing.T) {
	tests := []struct {
		name string
		run  func(tr *Tracker)
	}{
		{"create_with_iam", func(tr *Tracker) {
			// gcloud prints stages in the order they start; IAM is set
			// while the revision is still being created.
			tr.Start(StageIAM)
			tr.Start(StageRevision)
			tr.Start(StageTraffic)
			tr.Tick()
			tr.Done(StageIAM)
			tr.Tick()
			tr.Tick()
			tr.Done(StageRevision)
			tr.Tick()
			tr.Done(StageTraffic)
			tr.Finish(true, "")
		}},
		{"failed_revision", func(tr *Tracker) {
			tr.Start(StageRevision)
			tr.Start(StageTraffic)
			tr.Tick()
			tr.Fail(StageRevision, "Revision 'x-00001-abc' is not ready and cannot serve traffic.")
			tr.Finish(false, "Revision 'x-00001-abc' is not ready and cannot serve traffic.")
		}},
		{"retry_note", func(tr *Tracker) {
			tr.Start(StageRevision)
			tr.Tick()
			tr.Note("Waiting for Cloud Run to see the new image access (4m58s left)...")
			tr.Tick()
			tr.Done(StageRevision)
			tr.Finish(true, "")
		}},
		{"stage_never_started", func(tr *Tracker) {
			tr.Start(StageRevision)
			tr.Done(StageRevision)
			tr.Finish(true, "")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			header := "Deploying new service..."
			tr := NewTracker(&b, false, header, StageRevision, StageTraffic, StageIAM)
			tc.run(tr)
			golden(t, "progress/"+tc.name+".txt", b.Bytes())
		})
	}
}
