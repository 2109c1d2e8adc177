package cli

import (
	"flag"
	"os"
	"testing"
)

var updateHelp = flag.Bool("update-help", false, "rewrite help.txt from the grammar")

// TestRenderedHelpIsCurrent keeps the embedded help in step with the
// grammar: a flag added to the grammar must show in `rundeploy --help`.
func TestRenderedHelpIsCurrent(t *testing.T) {
	got := helpText()
	if *updateHelp {
		if err := os.WriteFile("help.txt", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got != Help {
		t.Fatal("help.txt is stale: run go test ./cmd/rundeploy -run TestRenderedHelpIsCurrent -update-help")
	}
}

func TestWantsHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"--help"}, true},
		{[]string{"web", "--image", "x", "-h"}, true},
		{[]string{"web", "--", "--help"}, false},
		{[]string{"web", "--image", "x"}, false},
		{[]string{"--helpful"}, false},
	} {
		if got := WantsHelp(tc.args); got != tc.want {
			t.Errorf("WantsHelp(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}
