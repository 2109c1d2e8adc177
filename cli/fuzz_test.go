package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rundeploy/rundeploy/wrap"
)

// FuzzParseDeploy: any command line either parses or fails with a gcloud
// error type; it never panics.
func FuzzParseDeploy(f *testing.F) {
	for _, s := range []string{"svc --image x", "--args=-v --args a", "--container a --image x --container b", "--set-env-vars=^:^A=1:B", "-- --memory", "--ingress internl", "--bogus=1 x y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		for _, a := range args {
			if strings.HasPrefix(a, "--flags-file") || strings.HasPrefix(a, "--env-vars-file") {
				return // would read arbitrary files
			}
		}
		_, err := Parse(args, nil)
		if err == nil {
			return
		}
		switch err.(type) {
		case *wrap.ArgumentError, *wrap.ValueError:
		default:
			t.Fatalf("%q: error %T %v", args, err, err)
		}
	})
}

// FuzzFlagsFile: any flags file expands or fails cleanly.
func FuzzFlagsFile(f *testing.F) {
	for _, s := range []string{"--memory: 1Gi\n", "- --args: [a]\n- --args: [b]\n", "--set-env-vars: {A: '1'}\n", "[1, 2]\n", "", ": :\n"} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content string) {
		p := filepath.Join(dir, "f.yaml")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := expandFlagsFiles([]string{"--flags-file=" + p})
		if err == nil {
			for _, a := range out {
				if strings.HasPrefix(a, "--flags-file") {
					t.Fatalf("unexpanded %q", a)
				}
			}
		}
	})
}
