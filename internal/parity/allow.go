package parity

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Allowance is one documented difference (docs/differences.md "## Parity"):
// in cases whose name matches Case (a path.Match pattern), a difference on
// a model key starting with Field is expected. Field "error" covers the
// ERROR: line of invalid/error cases, "exit" their exit code, and
// "rejected" a create/update line gcloud accepts and rundeploy rejects.
type Allowance struct {
	Case   string `yaml:"case"`
	Field  string `yaml:"field"`
	Reason string `yaml:"reason"`
}

// LoadAllowances reads an allow-list file.
func LoadAllowances(file string) ([]Allowance, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read allow-list: %w", err)
	}
	var as []Allowance
	if err := yaml.Unmarshal(b, &as); err != nil {
		return nil, fmt.Errorf("allow-list %s: %w", file, err)
	}
	for _, a := range as {
		if _, err := path.Match(a.Case, ""); err != nil || a.Case == "" || a.Field == "" || a.Reason == "" {
			return nil, fmt.Errorf("allow-list %s: entry %+v needs case (a valid pattern), field and reason", file, a)
		}
	}
	return as, nil
}

// Allowed reports the allowance covering a difference on key in case name.
func Allowed(as []Allowance, name, key string) (Allowance, bool) {
	for _, a := range as {
		if ok, _ := path.Match(a.Case, name); ok && strings.HasPrefix(key, a.Field) {
			return a, true
		}
	}
	return Allowance{}, false
}

// nonce matches gcloud's revision-forcing label value.
var nonce = regexp.MustCompile(`^[a-z]{10}$`)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}
