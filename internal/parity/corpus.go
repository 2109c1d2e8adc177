package parity

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Kind says what a corpus case checks.
type Kind string

const (
	// Create deploys a new service with Args and compares the create requests.
	Create Kind = "create"
	// Update deploys Base with both tools, then Args, and compares the
	// update requests.
	Update Kind = "update"
	// Invalid is a command line both tools must reject before any API call:
	// same exit code, same first ERROR: line, and no request from rundeploy.
	Invalid Kind = "invalid"
	// Error is a command line both tools must reject after reading state
	// (Base, if any, is deployed first): same exit code and first ERROR:
	// line, and no write from either tool.
	Error Kind = "error"
	// Only578 uses flags gcloud 528 lacks: gcloud must reject it and
	// rundeploy must deploy it (Base first, if any).
	Only578 Kind = "578-only"
)

// Case is one corpus entry.
type Case struct {
	Name string `yaml:"name"`
	Kind Kind   `yaml:"kind"`
	// Base is deployed (with both tools) before Args for update, error and
	// 578-only cases that need an existing service.
	Base Args `yaml:"base"`
	Args Args `yaml:"args"`
	// Subset marks cases the default `go test` run includes.
	Subset bool `yaml:"ci"`
	// Note documents the case.
	Note string `yaml:"note"`
}

// Args is a command line: in YAML either a list, or one string split on
// whitespace (use the list form for arguments that contain spaces).
type Args []string

// UnmarshalYAML accepts a scalar (whitespace-separated) or a sequence.
func (a *Args) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*a = strings.Fields(n.Value)
		return nil
	case yaml.SequenceNode:
		var xs []string
		if err := n.Decode(&xs); err != nil {
			return err
		}
		*a = xs
		return nil
	}
	return fmt.Errorf("line %d: args must be a string or a list", n.Line)
}

var caseName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*$`)

// LoadCorpus reads and checks a corpus file.
func LoadCorpus(path string) ([]Case, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read corpus: %w", err)
	}
	cases, err := ParseCorpus(b)
	if err != nil {
		return nil, fmt.Errorf("corpus %s: %w", path, err)
	}
	return cases, nil
}

// ParseCorpus decodes a YAML corpus and checks names, kinds and bases.
func ParseCorpus(b []byte) ([]Case, error) {
	var cases []Case
	if err := yaml.Unmarshal(b, &cases); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, c := range cases {
		if !caseName.MatchString(c.Name) {
			return nil, fmt.Errorf("case %d: bad name %q", i, c.Name)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("case %s: duplicate name", c.Name)
		}
		seen[c.Name] = true
		switch c.Kind {
		case Create, Invalid:
			if len(c.Base) > 0 {
				return nil, fmt.Errorf("case %s: %s cases take no base", c.Name, c.Kind)
			}
		case Update:
			if len(c.Base) == 0 {
				return nil, fmt.Errorf("case %s: update needs a base", c.Name)
			}
		case Error, Only578:
		default:
			return nil, fmt.Errorf("case %s: unknown kind %q", c.Name, c.Kind)
		}
		if len(c.Args) == 0 {
			return nil, fmt.Errorf("case %s: no args", c.Name)
		}
	}
	return cases, nil
}

// Expand substitutes the corpus variables ($IMG, $DATA, …) in args.
func Expand(args []string, vars map[string]string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = os.Expand(a, func(k string) string {
			if v, ok := vars[k]; ok {
				return v
			}
			return "$" + k
		})
	}
	return out
}

// Select filters cases by a name regexp ("" = all) and, with ci, to the
// CI subset: every invalid case plus the cases marked `ci: true`.
func Select(cases []Case, pattern string, ci bool) ([]Case, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("bad -run pattern: %w", err)
	}
	var out []Case
	for _, c := range cases {
		if !re.MatchString(c.Name) {
			continue
		}
		if ci && !c.Subset && c.Kind != Invalid {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}
