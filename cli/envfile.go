package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rundeploy/rundeploy/wrap"
)

// ReadEnvVarsFile reads an --env-vars-file the way gcloud's
// ArgDictWithYAMLOrEnv does: a path ending in ".env" is a dotenv file,
// anything else a YAML (or JSON) map whose values must be strings. Keys are
// returned in file order and checked like --set-env-vars keys. Errors carry
// gcloud's message after "argument --env-vars-file: ".
func ReadEnvVarsFile(path string) (keys []string, values map[string]string, err error) {
	fail := func(format string, a ...any) error {
		return &wrap.ArgumentError{Msg: "argument --env-vars-file: " + fmt.Sprintf(format, a...)}
	}
	if _, statErr := os.Stat(path); statErr != nil {
		return nil, nil, fail("File [%s] does not exist.", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fail("Unable to read file [%s]: %v", path, err)
	}
	values = map[string]string{}
	add := func(k, v string) error {
		if err := CheckEnvVarKey(k); err != nil {
			return fail("%s", err.Error())
		}
		if _, dup := values[k]; !dup {
			keys = append(keys, k)
		}
		values[k] = v
		return nil
	}
	if strings.HasSuffix(path, ".env") {
		pairs := ParseDotenv(data)
		if len(pairs) == 0 {
			return nil, nil, fail("Invalid .env file [%s], expected map-like data.", path)
		}
		for _, p := range pairs {
			if err := add(p[0], p[1]); err != nil {
				return nil, nil, err
			}
		}
		return keys, values, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, fail("Invalid YAML/JSON data in [%s], expected map-like data.", path)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, fail("Invalid YAML/JSON data in [%s], expected map-like data.", path)
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
			return nil, nil, fail("Environment variable values must be strings. Found %s (type <class '%s'>)", pyRepr(v), pyType(v))
		}
		if err := add(k.Value, v.Value); err != nil {
			return nil, nil, err
		}
	}
	return keys, values, nil
}

// pyType is the Python type name PyYAML gives a node.
func pyType(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "dict"
	case yaml.SequenceNode:
		return "list"
	}
	switch n.Tag {
	case "!!int":
		return "int"
	case "!!float":
		return "float"
	case "!!bool":
		return "bool"
	case "!!null":
		return "NoneType"
	}
	return "str"
}

// pyRepr is how Python's str() prints a YAML scalar.
func pyRepr(n *yaml.Node) string {
	switch n.Tag {
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil && b {
			return "True"
		}
		return "False"
	case "!!null":
		return "None"
	}
	return n.Value
}

// ParseDotenv reads KEY=VALUE lines like python-dotenv: blank lines and
// comments are skipped, an optional `export ` prefix is dropped, and single-
// or double-quoted values are unquoted (double quotes understand \n, \t, \"
// and \\). An unquoted value ends at " #".
func ParseDotenv(data []byte) [][2]string {
	var out [][2]string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			continue
		}
		v = strings.TrimSpace(v)
		switch {
		case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
			v = v[1 : len(v)-1]
		case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
			v = strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\"`, `"`, `\\`, `\`).Replace(v[1 : len(v)-1])
		default:
			if i := strings.Index(v, " #"); i >= 0 {
				v = strings.TrimSpace(v[:i])
			}
		}
		out = append(out, [2]string{k, v})
	}
	return out
}
