package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestReadEnvVarsFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		path    string
		keys    []string
		values  map[string]string
		wantErr string
	}{
		{write("a.yaml", "B: \"1\"\nA: x\n"), []string{"B", "A"}, map[string]string{"A": "x", "B": "1"}, ""},
		{write("a.json", `{"A": "1"}`), []string{"A"}, map[string]string{"A": "1"}, ""},
		{write("a.env", "# c\nexport A=1\nB='x y'\nC=\"q\\nr\"\nD=v # note\n"), []string{"A", "B", "C", "D"}, map[string]string{"A": "1", "B": "x y", "C": "q\nr", "D": "v"}, ""},
		{write("int.yaml", "A: 8080\n"), nil, nil, "argument --env-vars-file: Environment variable values must be strings. Found 8080 (type <class 'int'>)"},
		{write("list.yaml", "- a\n"), nil, nil, "argument --env-vars-file: Invalid YAML/JSON data in [" + filepath.Join(dir, "list.yaml") + "], expected map-like data."},
		{write("empty.env", ""), nil, nil, "argument --env-vars-file: Invalid .env file [" + filepath.Join(dir, "empty.env") + "], expected map-like data."},
		{write("g.yaml", "X_GOOGLE_A: b\n"), nil, nil, "argument --env-vars-file: Environment variable keys that start with `X_GOOGLE_` are reserved for use by deployment tools and cannot be specified manually."},
		{filepath.Join(dir, "nope.yaml"), nil, nil, "argument --env-vars-file: File [" + filepath.Join(dir, "nope.yaml") + "] does not exist."},
	}
	for _, tt := range tests {
		keys, values, err := ReadEnvVarsFile(tt.path)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%s: err %v, want %s", tt.path, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(keys, tt.keys) || !reflect.DeepEqual(values, tt.values) {
			t.Errorf("%s: %q %q %v", tt.path, keys, values, err)
		}
	}
}

// FuzzReadEnvVarsFile: any file content is read or rejected, never panics;
// every returned key passes the key checks.
func FuzzReadEnvVarsFile(f *testing.F) {
	for _, s := range []string{"A: b\n", "A=b\n", "{}", "- x", "A: 1", "export A='b'"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content string, dotenv bool) {
		name := "f.yaml"
		if dotenv {
			name = "f.env"
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		keys, values, err := ReadEnvVarsFile(p)
		if err != nil {
			return
		}
		for _, k := range keys {
			if CheckEnvVarKey(k) != nil {
				t.Fatalf("bad key %q accepted", k)
			}
			if _, ok := values[k]; !ok {
				t.Fatalf("key %q without value", k)
			}
		}
	})
}
