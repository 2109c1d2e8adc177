package cli

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseArgList(t *testing.T) {
	for in, want := range map[string][]string{
		"": {}, "a": {"a"}, "a,b": {"a", "b"}, "a,": {"a"}, ",": {""}, "a,,b": {"a", "", "b"},
		"^:^a,b:c": {"a,b", "c"}, "^::^a:b::c": {"a:b", "c"}, "^,^^a^,b,c": {"^a^", "b", "c"}, "^a": {"^a"},
	} {
		got, err := ParseArgList(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseArgList(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseArgList("^^a"); err == nil || !strings.HasPrefix(err.Error(), "Invalid delimeter.") {
		t.Errorf("^^a: %v", err)
	}
}

func TestParseArgDictErrors(t *testing.T) {
	for in, want := range map[string]string{
		"A":      "Bad syntax for dict arg: [A]. " + escapingHint,
		"=1":     "Invalid flag value [=1]",
		"A=1,":   "",
		"A=1,,B": "Invalid flag value []",
	} {
		_, _, err := ParseArgDict(in, nil)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("ParseArgDict(%q): %q, want %q", in, got, want)
		}
	}
}

// FuzzArgList: splitting never panics, and a comma-free list joined with
// commas splits back to itself.
func FuzzArgList(f *testing.F) {
	for _, s := range []string{"a,b", "^:^a:b", "^^", "", ",", "^", "^a^"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		items, err := ParseArgList(s)
		if err != nil {
			return
		}
		if strings.HasPrefix(s, "^") || strings.Contains(s, "\x00") {
			return
		}
		if len(items) > 0 && items[len(items)-1] == "" {
			return
		}
		joined := strings.Join(items, ",")
		again, err := ParseArgList(joined)
		if err != nil || !reflect.DeepEqual(again, items) {
			t.Fatalf("round trip %q -> %q -> %q (%v)", s, items, again, err)
		}
	})
}

// FuzzArgDict: parsing never panics; every key appears once in Keys and in
// Values, and a parsed dict re-encoded with an unused delimiter parses back.
func FuzzArgDict(f *testing.F) {
	for _, s := range []string{"A=1,B=2", "^@^L=a,b@X=1", "A", "=1", "A=B=C", "A=1,A=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		keys, values, err := ParseArgDict(s, CheckEnvVarKey)
		if err != nil {
			return
		}
		if len(keys) != len(values) {
			t.Fatalf("%q: keys %q values %q", s, keys, values)
		}
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + values[k]
		}
		enc := "^\x01^" + strings.Join(parts, "\x01")
		if strings.Contains(strings.Join(parts, ""), "\x01") || len(parts) == 0 {
			return
		}
		k2, v2, err := ParseArgDict(enc, CheckEnvVarKey)
		if err != nil || !reflect.DeepEqual(k2, keys) || !reflect.DeepEqual(v2, values) {
			t.Fatalf("round trip %q -> %q: %q %q %v", s, enc, k2, v2, err)
		}
	})
}

func TestUpdateActionMerge(t *testing.T) {
	var d Dict
	if err := d.DecodeString("set-env-vars", "A=1", nil); err != nil {
		t.Fatal(err)
	}
	err := d.DecodeString("set-env-vars", "B=2,A=3", nil)
	if want := `argument --set-env-vars: "A" cannot be specified multiple times; received: 1, 3`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	var l List
	err = l.DecodeString("args", "a,b,a", nil)
	if want := `argument --args: "a" cannot be specified multiple times`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
