package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rundeploy/rundeploy/wrap"
)

// Errors about the files themselves are raised by gcloud outside argparse:
// `ERROR: (gcloud) …`, exit 1.
//
// expandFlagsFiles replaces every --flags-file=FILE (or --flags-file FILE)
// by the flags the YAML/JSON file holds, at the same position, recursively,
// as gcloud does before parsing. A file holds a map of --flag: value, or a
// list of such maps (to repeat flags). A null or boolean value gives the
// bare flag; a list or map value is handed to the flag already split
// (Lexed); any other scalar becomes --flag=value.
func expandFlagsFiles(args []string) ([]string, error) {
	has := false
	for _, a := range args {
		if a == "--flags-file" || strings.HasPrefix(a, "--flags-file=") {
			has = true
		}
	}
	if !has {
		return args, nil
	}
	var out []string
	peek := false
	for _, a := range args {
		var err error
		switch {
		case peek:
			peek = false
			out, err = addFlagsFile(out, a, nil)
		case a == "--flags-file":
			peek = true
		case strings.HasPrefix(a, "--flags-file="):
			out, err = addFlagsFile(out, strings.TrimPrefix(a, "--flags-file="), nil)
		default:
			out = append(out, a)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func addFlagsFile(out []string, path string, stack []string) ([]string, error) {
	for _, p := range stack {
		if p == path {
			return nil, &wrap.ValueError{Command: "gcloud", Msg: fmt.Sprintf("--flags-file recursive reference (%s).", strings.Join(append(stack, path), " > "))}
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if _, statErr := os.Stat(path); statErr != nil {
			return nil, &wrap.ValueError{Command: "gcloud", Msg: fmt.Sprintf("--flags-file [%s] not found.", path)}
		}
		return nil, &wrap.ValueError{Command: "gcloud", Msg: fmt.Sprintf("--flags-file [%s]: %v", path, err)}
	}
	if len(data) == 0 {
		return nil, &wrap.ValueError{Command: "gcloud", Msg: fmt.Sprintf("--flags-file [%s] is empty.", path)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &wrap.ValueError{Command: "gcloud.run.deploy", Msg: fmt.Sprintf("Failed to parse YAML: %v", err)}
	}
	if len(doc.Content) == 0 {
		return nil, &wrap.ValueError{Command: "gcloud", Msg: fmt.Sprintf("--flags-file [%s] is empty.", path)}
	}
	root := doc.Content[0]
	group := []*yaml.Node{root}
	if root.Kind == yaml.SequenceNode {
		group = root.Content
	}
	for _, member := range group {
		if member.Kind != yaml.MappingNode {
			return nil, &wrap.ValueError{Command: "gcloud", Msg: fmt.Sprintf("%s:%d: --flags-file file must contain a dictionary or list of dictionaries of flags.", path, member.Line)}
		}
		for i := 0; i+1 < len(member.Content); i += 2 {
			key, val := member.Content[i].Value, member.Content[i+1]
			if key == "--flags-file" {
				paths := []*yaml.Node{val}
				if val.Kind == yaml.SequenceNode {
					paths = val.Content
				}
				for _, p := range paths {
					if out, err = addFlagsFile(out, p.Value, append(stack, path)); err != nil {
						return nil, err
					}
				}
				continue
			}
			switch {
			case val.Kind == yaml.ScalarNode && (val.Tag == "!!null" || val.Tag == "!!bool"):
				out = append(out, key)
			case val.Kind == yaml.SequenceNode || val.Kind == yaml.MappingNode:
				out = append(out, key, Lexed(yamlToLexed(val)))
			default:
				out = append(out, key+"="+scalarString(val))
			}
		}
	}
	return out, nil
}

// scalarString is Python's str() of a PyYAML scalar.
func scalarString(n *yaml.Node) string {
	switch n.Tag {
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
			s := strconv.FormatFloat(f, 'f', -1, 64)
			if !strings.Contains(s, ".") {
				s += ".0"
			}
			return s
		}
	case "!!int":
		if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
			return strconv.FormatInt(i, 10)
		}
	}
	return n.Value
}

func yamlToLexed(n *yaml.Node) LexedValue {
	var lv LexedValue
	switch n.Kind {
	case yaml.SequenceNode:
		lv.IsList = true
		for _, c := range n.Content {
			lv.Items = append(lv.Items, LexedItem{Value: lexedScalar(c), Type: lexedType(c)})
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			v := n.Content[i+1]
			lv.Items = append(lv.Items, LexedItem{Key: n.Content[i].Value, Value: lexedScalar(v), Type: lexedType(v)})
		}
	}
	return lv
}

func lexedType(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.SequenceNode:
		return "list"
	case n.Kind == yaml.MappingNode:
		return "dict"
	case n.Tag == "!!int":
		return "int"
	case n.Tag == "!!float":
		return "float"
	case n.Tag == "!!bool":
		return "bool"
	case n.Tag == "!!null":
		return "NoneType"
	}
	return "str"
}

func lexedScalar(n *yaml.Node) string {
	switch {
	case n.Kind != yaml.ScalarNode:
		var v any
		_ = n.Decode(&v)
		b, _ := json.Marshal(v)
		return string(b)
	case n.Tag == "!!bool":
		var b bool
		_ = n.Decode(&b)
		if b {
			return "True"
		}
		return "False"
	case n.Tag == "!!null":
		return "None"
	}
	return scalarString(n)
}
