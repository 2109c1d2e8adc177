package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadFormatFixture reads a JSON object from testdata/format.
func loadFormatFixture(t testing.TB, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "format", name))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		t.Fatal(err)
	}
	return normalizeNumbers(obj).(map[string]any)
}

// normalizeNumbers turns json.Number into int64 or float64, the types
// KnativeService produces.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

// TestFormatYAMLScalars: scalars.yaml is the real gcloud YAML printer's
// output for scalars.json (quoting, literal blocks, folding).
func TestFormatYAMLScalars(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteFormat(&buf, "yaml", loadFormatFixture(t, "scalars.json")); err != nil {
		t.Fatal(err)
	}
	checkFormatGolden(t, "scalars.yaml", buf.Bytes())
}

// TestFormatProjections: expectations are what gcloud 528's resource
// printers print for projection.json.
func TestFormatProjections(t *testing.T) {
	obj := loadFormatFixture(t, "projection.json")
	tests := []struct{ format, want string }{
		{"", ""},
		{"none", ""},
		{"disable", ""},
		{"value(status.url)", "https://hello-x.run.app\n"},
		{"value(status.url,metadata.name)", "https://hello-x.run.app\thello\n"},
		{"value( status.url )", "https://hello-x.run.app\n"},
		{"value(status.traffic[0].url)", "\n"},
		{"value(status.traffic[1].url)", "https://blue---hello\n"},
		{"value(status.traffic[-1].url)", "https://blue---hello\n"},
		{"value(status.traffic[5].url)", "\n"},
		{"value(status.traffic[].url)", ";https://blue---hello\n"},
		{"value(status.traffic.url)", ";https://blue---hello\n"},
		{"value(status.traffic[].tag)", ";blue\n"},
		{"value(metadata.annotations['run.googleapis.com/urls'])", "[\"https://a\",\"https://b\"]\n"},
		{`value(metadata.annotations."run.googleapis.com/urls")`, "[\"https://a\",\"https://b\"]\n"},
		{`value(metadata.annotations["run.googleapis.com/urls"])`, "[\"https://a\",\"https://b\"]\n"},
		{"value(metadata.labels)", "env=prod;team=a\n"},
		{"value(metadata.labels.env)", "prod\n"},
		{"value(status.traffic)", "{'latestRevision': True, 'percent': 100, 'revisionName': 'hello-00001-abc'};{'revisionName': 'hello-00002-def', 'tag': 'blue', 'url': 'https://blue---hello'}\n"},
		{"value(status.traffic[0])", "latestRevision=True;percent=100;revisionName=hello-00001-abc\n"},
		{"value(status.traffic[0].latestRevision)", "True\n"},
		{"value(status.observedGeneration)", "2\n"},
		{"value(metadata.missing)", "\n"},
		{"value(status.nonexist.x)", "\n"},
		{"value(apiVersion.basename())", "v1\n"},
		{"value(status.traffic[].revisionName.basename())", "hello-00001-abc;hello-00002-def\n"},
		{"value(status.url:label=URL)", "https://hello-x.run.app\n"},
		{"value(metadata.name.len())", "5\n"},
		{`value[separator=","](status.url,metadata.name)`, "https://hello-x.run.app,hello\n"},
		{`value[delimiter=","](status.traffic[].url)`, ",https://blue---hello\n"},
		{"value[terminator=X](status.url)", "https://hello-x.run.appX"},
		{"get(status.url)", "https://hello-x.run.app\n"},
		{"csv(status.url,metadata.name)", "url,name\nhttps://hello-x.run.app,hello\n"},
		{"csv[no-heading](status.url)", "https://hello-x.run.app\n"},
		{"table(metadata.name,status.url)", "NAME   URL\nhello  https://hello-x.run.app\n"},
		{"table(status.url:label=Service)", "Service\nhttps://hello-x.run.app\n"},
		{"csv(status.url:label=Service)", "service\nhttps://hello-x.run.app\n"},
		{"csv(metadata.name,status.traffic[0].revisionName)", "name,revision_name\nhello,hello-00001-abc\n"},
		{"table[no-heading](metadata.name,status.url)", "hello  https://hello-x.run.app\n"},
		{"json(status.url)", "{\n  \"status\": {\n    \"url\": \"https://hello-x.run.app\"\n  }\n}\n"},
		{"yaml(status.url)", "status:\n  url: https://hello-x.run.app\n"},
		{"flattened(status.url)", "status.url: https://hello-x.run.app\n"},
		{"value(status.url) json(metadata.name)", "{\n  \"metadata\": {\n    \"name\": \"hello\"\n  }\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteFormat(&buf, tt.format, obj); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormatFlattened(t *testing.T) {
	obj := map[string]any{"a": []any{"hello", "world"}, "b": map[string]any{"x": "bye"}, "c": []any{},
		"d": map[string]any{}, "e": " sp", "g": true, "h": nil, "i": "x\ny"}
	want := "a[0]: hello\na[1]: world\nb.x:  bye\nc:    []\nd:    {}\ne:    \" sp\"\ng:    True\ni:    \"x\\ny\"\n"
	for _, f := range []string{"flattened", "text"} {
		var buf bytes.Buffer
		if err := WriteFormat(&buf, f, obj); err != nil {
			t.Fatal(err)
		}
		if buf.String() != want {
			t.Errorf("%s: got %q, want %q", f, buf.String(), want)
		}
	}
}

// TestFormatErrors: gcloud's messages, with deploy's "none " prefix.
func TestFormatErrors(t *testing.T) {
	tests := []struct{ format, want string }{
		{"value(", "More tokens expected [none value( *HERE*]."},
		{"value(a,", "More tokens expected [none value(a, *HERE*]."},
		{"value(foo.bar())", "Unknown transform function bar [none value(foo.bar( *HERE* ))]."},
		{"value(s,)", "Non-empty key name expected [none value(s, *HERE* )]."},
		{"value(,s)", "Non-empty key name expected [none value( *HERE* ,s)]."},
		{"value(t[0]u)", "Expected ) in projection expression [none value(t[0] *HERE* u)]."},
		{"value(s).extra", "Name expected [none value(s) *HERE* .extra]."},
		{"bogus", "Format must be one of config, csv, default, diff, disable, flattened, get, json, list, multi, none, object, table, text, value, yaml; received [bogus].\n\nFor information on output formats:\n  $ gcloud topic formats\n"},
		{"value(a)extra", "Format must be one of config, csv, default, diff, disable, flattened, get, json, list, multi, none, object, table, text, value, yaml; received [extra].\n\nFor information on output formats:\n  $ gcloud topic formats\n"},
		{"value", "Format [value] requires a non-empty projection. Use key parameters to specify a projection like so `value(foo, bar.baz)`"},
		{"get", "Format [get] requires a non-empty projection. Use key parameters to specify a projection like so `get(foo, bar.baz)`"},
	}
	for _, tt := range tests {
		_, err := ParseFormat(tt.format)
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("ParseFormat(%q) error = %v, want FormatError", tt.format, err)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("ParseFormat(%q) = %q, want %q", tt.format, err.Error(), tt.want)
		}
		if fe.ExitCode() != 1 {
			t.Errorf("exit code %d", fe.ExitCode())
		}
	}
	if err := WriteFormat(&bytes.Buffer{}, "object", map[string]any{}); err == nil {
		t.Error("object format: want unsupported error")
	}
}

func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"value(status.url)", "value(metadata.annotations['run.googleapis.com/urls'])",
		`csv[no-heading,separator=";"](a[].b.basename(), c:label=X)`, "value(", "table(a[0", `get("a.b")`,
		"json yaml", "value(a.join(','))", "value(a[x].b)", "value(a.'", "value[", "value(a:)"} {
		f.Add(s)
	}
	obj := KnativeService(richService(), "")
	f.Fuzz(func(t *testing.T, s string) {
		fm, err := ParseFormat(s)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseFormat(%q): non-FormatError %T %v", s, err, err)
			}
			return
		}
		if !isFormatName(formatNames, fm.Name) {
			t.Fatalf("ParseFormat(%q) gave unknown printer %q", s, fm.Name)
		}
		var buf bytes.Buffer
		if err := fm.Write(&buf, obj); err != nil && !strings.Contains(err.Error(), "not supported") {
			t.Fatalf("Write(%q): %v", s, err)
		}
	})
}
