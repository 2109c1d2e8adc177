package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v4"
)

// The printer half of gcloud's --format: a format string names a printer,
// optional printer attributes and an optional projection,
// NAME[ATTR,KEY=VAL,…](KEY[.transform()][:label=L], …), e.g.
// value(status.url) or csv[no-heading](metadata.name,status.traffic[].url).
// rundeploy prints the v1 Service (see KnativeService) through it.

// deployDefaultFormat is `gcloud run deploy`'s own format. gcloud prefixes it
// to the user's --format, which is why its parse errors quote "none …".
const deployDefaultFormat = "none"

// formatNames are the printers gcloud accepts, in its error message order.
var formatNames = []string{"config", "csv", "default", "diff", "disable", "flattened", "get",
	"json", "list", "multi", "none", "object", "table", "text", "value", "yaml"}

// FormatError is a --format string gcloud rejects. Its message is gcloud's;
// gcloud reports it (exit 1) after the deploy has run, when it prints.
type FormatError struct{ msg string }

func (e *FormatError) Error() string { return e.msg }

// ExitCode is 1, like gcloud's resource printer errors.
func (e *FormatError) ExitCode() int { return 1 }

// Format is a parsed --format string.
type Format struct {
	// Name is the printer: json, yaml, value, …
	Name string
	// Attrs are the printer attributes: [no-heading, separator=","].
	Attrs map[string]string
	// Keys is the projection, in order.
	Keys []ProjectionKey
}

// ProjectionKey is one key of a projection: a path into the resource,
// transforms applied to the value, and an optional column label.
type ProjectionKey struct {
	Path       []KeySegment
	Transforms []Transform
	Label      string
}

// KeySegment is one step of a key path: a map key (Name), a list index
// (Index, negative counts from the end), or every list element (All, "[]").
type KeySegment struct {
	Name  string
	Index int
	IsIdx bool
	All   bool
}

// Transform is a projection transform such as lastSegment() or join(",").
type Transform struct {
	Name string
	Args []string
}

// transforms are the supported transform functions.
var transforms = map[string]bool{"basename": true, "len": true, "join": true, "lower": true,
	"upper": true, "firstof": true}

// ParseFormat parses a --format string the way gcloud does, with gcloud's
// error messages. An empty string is the deploy default, "none".
func ParseFormat(format string) (*Format, error) {
	p := &formatParser{expr: deployDefaultFormat + " " + format, pos: len(deployDefaultFormat) + 1}
	if strings.TrimSpace(format) == "" {
		return &Format{Name: deployDefaultFormat}, nil
	}
	var f *Format
	for {
		p.skipSpace()
		if p.eof() {
			break
		}
		next, err := p.format()
		if err != nil {
			return nil, err
		}
		f = next // gcloud: a later printer replaces an earlier one
	}
	if (f.Name == "value" || f.Name == "get") && len(f.Keys) == 0 {
		return nil, &FormatError{fmt.Sprintf("Format [%s] requires a non-empty projection. Use key parameters to specify a projection like so `%s(foo, bar.baz)`", f.Name, f.Name)}
	}
	return f, nil
}

type formatParser struct {
	expr string
	pos  int
}

func (p *formatParser) eof() bool { return p.pos >= len(p.expr) }
func (p *formatParser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.expr[p.pos]
}

func (p *formatParser) skipSpace() {
	for !p.eof() && (p.expr[p.pos] == ' ' || p.expr[p.pos] == '\t' || p.expr[p.pos] == '\n') {
		p.pos++
	}
}

// syntaxError is gcloud's ExpressionSyntaxError text with the *HERE* marker.
func (p *formatParser) syntaxError(msg string) error {
	here := strings.TrimRight(p.expr[:p.pos]+" *HERE* "+p.expr[p.pos:], " ")
	return &FormatError{fmt.Sprintf("%s [%s].", msg, here)}
}

func isNameChar(c byte) bool {
	return c == '_' || c == '-' || c == '/' || c == '@' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func (p *formatParser) format() (*Format, error) {
	start := p.pos
	for !p.eof() && isNameChar(p.peek()) {
		p.pos++
	}
	name := p.expr[start:p.pos]
	if !isFormatName(formatNames, name) {
		if name == "" {
			return nil, p.syntaxError("Name expected")
		}
		return nil, &FormatError{fmt.Sprintf("Format must be one of %s; received [%s].\n\nFor information on output formats:\n  $ gcloud topic formats\n",
			strings.Join(formatNames, ", "), name)}
	}
	f := &Format{Name: name, Attrs: map[string]string{}}
	if p.peek() == '[' {
		p.pos++
		if err := p.attrs(f.Attrs, ']'); err != nil {
			return nil, err
		}
	}
	if p.peek() == '(' {
		p.pos++
		keys, err := p.projection()
		if err != nil {
			return nil, err
		}
		f.Keys = keys
	}
	if c := p.peek(); !p.eof() && c != ' ' && c != '\t' && c != '\n' && !isNameChar(c) {
		return nil, p.syntaxError("Name expected")
	}
	return f, nil
}

// attrs parses KEY[=VALUE],… up to the closing bracket.
func (p *formatParser) attrs(into map[string]string, end byte) error {
	for {
		p.skipSpace()
		if p.eof() {
			return p.syntaxError("More tokens expected")
		}
		if p.peek() == end {
			p.pos++
			return nil
		}
		key := p.token(",=" + string(end))
		val := ""
		if p.peek() == '=' {
			p.pos++
			val = p.token("," + string(end))
		}
		if key != "" {
			into[strings.TrimSpace(key)] = val
		}
		if p.peek() == ',' {
			p.pos++
		}
	}
}

// token reads a possibly quoted string up to one of the stop bytes.
func (p *formatParser) token(stop string) string {
	p.skipSpace()
	var b strings.Builder
	for !p.eof() && !strings.ContainsRune(stop, rune(p.peek())) {
		c := p.peek()
		if c == '"' || c == '\'' {
			b.WriteString(p.quoted())
			continue
		}
		b.WriteByte(c)
		p.pos++
	}
	return strings.TrimRight(b.String(), " \t")
}

// projection parses KEY,… up to the closing parenthesis.
func (p *formatParser) projection() ([]ProjectionKey, error) {
	var keys []ProjectionKey
	for {
		p.skipSpace()
		if p.eof() {
			return nil, p.syntaxError("More tokens expected")
		}
		if p.peek() == ')' && len(keys) == 0 {
			p.pos++
			return nil, nil
		}
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++
		case ')':
			p.pos++
			return keys, nil
		case 0:
			return nil, p.syntaxError("More tokens expected")
		default:
			return nil, p.syntaxError("Expected ) in projection expression")
		}
	}
}

// key parses one projection key with its transforms and :attributes.
func (p *formatParser) key() (ProjectionKey, error) {
	var k ProjectionKey
	for {
		p.skipSpace()
		var name string
		quoted := false
		switch c := p.peek(); {
		case c == '"' || c == '\'':
			name, quoted = p.quoted(), true
		case isNameChar(c):
			start := p.pos
			for !p.eof() && isNameChar(p.peek()) {
				p.pos++
			}
			name = p.expr[start:p.pos]
		case c == '[' && len(k.Path) > 0:
		default:
			if p.eof() {
				return k, p.syntaxError("More tokens expected")
			}
			return k, p.syntaxError("Non-empty key name expected")
		}
		if !quoted && p.peek() == '(' {
			if !transforms[name] {
				p.pos++
				return k, p.syntaxError("Unknown transform function " + name)
			}
			p.pos++
			t := Transform{Name: name}
			for {
				p.skipSpace()
				if p.eof() {
					return k, p.syntaxError("More tokens expected")
				}
				if p.peek() == ')' {
					p.pos++
					break
				}
				t.Args = append(t.Args, p.token(",)"))
				if p.peek() == ',' {
					p.pos++
				}
			}
			k.Transforms = append(k.Transforms, t)
		} else {
			if len(k.Transforms) > 0 {
				return k, p.syntaxError("Transform function expected")
			}
			if name != "" || quoted {
				k.Path = append(k.Path, KeySegment{Name: name})
			}
			for p.peek() == '[' {
				seg, err := p.index()
				if err != nil {
					return k, err
				}
				k.Path = append(k.Path, seg)
			}
		}
		if p.peek() != '.' {
			break
		}
		p.pos++
	}
	if p.peek() == ':' {
		p.pos++
		attrs := map[string]string{}
		for {
			key := p.token(",)=:")
			val := ""
			if p.peek() == '=' {
				p.pos++
				val = p.token(",):")
			}
			attrs[key] = val
			if p.peek() != ':' {
				break
			}
			p.pos++
		}
		k.Label = attrs["label"]
	}
	return k, nil
}

func (p *formatParser) quoted() string {
	q := p.peek()
	p.pos++
	var b strings.Builder
	for !p.eof() && p.peek() != q {
		if p.peek() == '\\' && p.pos+1 < len(p.expr) {
			p.pos++
		}
		b.WriteByte(p.peek())
		p.pos++
	}
	if !p.eof() {
		p.pos++
	}
	return b.String()
}

// index parses [N], [] or ['name'].
func (p *formatParser) index() (KeySegment, error) {
	p.pos++ // [
	p.skipSpace()
	var seg KeySegment
	switch c := p.peek(); {
	case c == ']':
		seg.All = true
	case c == '"' || c == '\'':
		seg.Name = p.quoted()
	default:
		start := p.pos
		for !p.eof() && p.peek() != ']' {
			p.pos++
		}
		s := strings.TrimSpace(p.expr[start:p.pos])
		if n, err := strconv.Atoi(s); err == nil {
			seg.Index, seg.IsIdx = n, true
		} else {
			seg.Name = s
		}
	}
	p.skipSpace()
	if p.peek() != ']' {
		return seg, p.syntaxError("Closing ] expected")
	}
	p.pos++
	return seg, nil
}

func isFormatName(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// WriteFormat prints obj in the given --format, as gcloud prints the
// resource a command returns. An empty format is deploy's default, none.
func WriteFormat(w io.Writer, format string, obj map[string]any) error {
	f, err := ParseFormat(format)
	if err != nil {
		return err
	}
	return f.Write(w, obj)
}

// Write prints obj with this format.
func (f *Format) Write(w io.Writer, obj map[string]any) error {
	var out []byte
	var err error
	switch f.Name {
	case "none", "disable":
		return nil
	case "json":
		out, err = formatJSON(f.project(obj))
	case "yaml", "default":
		out, err = formatYAML(f.project(obj))
	case "flattened", "text":
		out = f.formatFlattened(f.project(obj))
	case "value", "get":
		out = f.formatColumns(obj, "\t", false)
	case "csv":
		out = f.formatColumns(obj, ",", true)
	case "table":
		out = f.formatTable(obj)
	default:
		return &FormatError{fmt.Sprintf("Format [%s] is not supported by rundeploy; use json, yaml, value, get, csv, table or flattened.", f.Name)}
	}
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// project keeps only the projected keys (json(a.b) prints {"a":{"b":…}}).
func (f *Format) project(obj map[string]any) any {
	if len(f.Keys) == 0 {
		return obj
	}
	out := map[string]any{}
	for _, k := range f.Keys {
		v := k.Value(obj)
		if v == nil {
			continue
		}
		cur := out
		var names []string
		for _, s := range k.Path {
			if s.Name != "" {
				names = append(names, s.Name)
			}
		}
		if len(names) == 0 {
			continue
		}
		for _, n := range names[:len(names)-1] {
			next, ok := cur[n].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[n] = next
			}
			cur = next
		}
		cur[names[len(names)-1]] = v
	}
	return out
}

// Value evaluates the key against obj: missing keys give nil; a key step
// over a list ("[]" or a name) maps over the list's elements.
func (k ProjectionKey) Value(obj any) any {
	v := lookup(obj, k.Path)
	for _, t := range k.Transforms {
		v = applyTransform(t, v, k.mapsOverList())
	}
	return v
}

func (k ProjectionKey) mapsOverList() bool {
	for _, s := range k.Path {
		if s.All {
			return true
		}
	}
	return false
}

func lookup(v any, path []KeySegment) any {
	for i, s := range path {
		switch x := v.(type) {
		case map[string]any:
			if s.IsIdx || s.All {
				return nil
			}
			v = x[s.Name]
		case []any:
			switch {
			case s.IsIdx:
				n := s.Index
				if n < 0 {
					n += len(x)
				}
				if n < 0 || n >= len(x) {
					return nil
				}
				v = x[n]
			default:
				rest := path[i+1:]
				if !s.All {
					rest = path[i:]
				}
				out := make([]any, len(x))
				for j, e := range x {
					out[j] = lookup(e, rest)
				}
				return out
			}
		case string:
			if !s.IsIdx || s.Index < 0 || s.Index >= len(x) {
				return nil
			}
			v = x[s.Index : s.Index+1]
		default:
			return nil
		}
	}
	return v
}

func applyTransform(t Transform, v any, perElement bool) any {
	if list, ok := v.([]any); ok && perElement && t.Name != "len" && t.Name != "join" {
		out := make([]any, len(list))
		for i, e := range list {
			out[i] = applyTransform(t, e, false)
		}
		return out
	}
	switch t.Name {
	case "basename":
		if s, ok := v.(string); ok {
			return lastSegment(strings.TrimRight(s, "/"))
		}
	case "lower":
		if s, ok := v.(string); ok {
			return strings.ToLower(s)
		}
	case "upper":
		if s, ok := v.(string); ok {
			return strings.ToUpper(s)
		}
	case "len":
		switch x := v.(type) {
		case string:
			return int64(len([]rune(x)))
		case []any:
			return int64(len(x))
		case map[string]any:
			return int64(len(x))
		}
		return int64(0)
	case "join":
		sep := ","
		if len(t.Args) > 0 {
			sep = t.Args[0]
		}
		switch x := v.(type) {
		case []any:
			parts := make([]string, len(x))
			for i, e := range x {
				parts[i] = valueString(e)
			}
			return strings.Join(parts, sep)
		case string:
			return strings.Join(strings.Split(x, ""), sep)
		}
	case "firstof":
		return v
	}
	return v
}

// formatJSON is Python's json.dumps(indent=2, sort_keys=True,
// ensure_ascii=False) plus a newline.
func formatJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("printing JSON: %w", err)
	}
	return buf.Bytes(), nil
}

// formatYAML prints like gcloud's ruamel.yaml safe dumper: sorted keys,
// 2-space indentation with sequences not indented under their key,
// single-quoted strings where a plain scalar would read as another type,
// literal blocks for multi-line strings, and lines folded at 80 columns.
func formatYAML(v any) ([]byte, error) {
	var buf bytes.Buffer
	d, err := yaml.NewDumper(&buf, yaml.WithV4Defaults(), yaml.WithIndent(2), yaml.WithCompactSeqIndent(true),
		yaml.WithLineWidth(80), yaml.WithQuotePreference(yaml.QuoteSingle))
	if err != nil {
		return nil, fmt.Errorf("printing YAML: %w", err)
	}
	if err := d.Dump(yamlNode(v)); err != nil {
		return nil, fmt.Errorf("printing YAML: %w", err)
	}
	if err := d.Close(); err != nil {
		return nil, fmt.Errorf("printing YAML: %w", err)
	}
	return buf.Bytes(), nil
}

func yamlNode(v any) *yaml.Node {
	switch x := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		if len(x) == 0 {
			n.Style = yaml.FlowStyle
		}
		for _, k := range sortedFormatKeys(x) {
			n.Content = append(n.Content, yamlString(k), yamlNode(x[k]))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if len(x) == 0 {
			n.Style = yaml.FlowStyle
		}
		for _, e := range x {
			n.Content = append(n.Content, yamlNode(e))
		}
		return n
	case string:
		return yamlString(x)
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(x)}
	case int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(x, 10)}
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(x)}
	case float64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: reprFloat(x)}
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	}
	return yamlString(fmt.Sprint(v))
}

// YAML 1.2 implicit types as ruamel.yaml resolves plain scalars; strings that
// match are single-quoted so they stay strings.
var yamlImplicit = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:` +
		`true|True|TRUE|false|False|FALSE|~|null|Null|NULL|` +
		`[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+|` +
		`[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|` +
		`[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)?|` +
		`<<|=)$`)
})

func yamlString(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	switch {
	case strings.Contains(s, "\n"):
		n.Style = yaml.LiteralStyle
	case s == "" || yamlImplicit().MatchString(s):
		n.Style = yaml.SingleQuotedStyle
	}
	return n
}

func sortedFormatKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// formatFlattened prints one "key: value" line per leaf, values aligned.
func (f *Format) formatFlattened(v any) []byte {
	type pair struct{ k, v string }
	var pairs []pair
	var walk func(v any, name string)
	walk = func(v any, name string) {
		switch x := v.(type) {
		case []any:
			if len(x) == 0 {
				pairs = append(pairs, pair{name, "[]"})
			}
			for i, e := range x {
				walk(e, fmt.Sprintf("%s[%d]", name, i))
			}
		case map[string]any:
			if len(x) == 0 {
				pairs = append(pairs, pair{name, "{}"})
			}
			for _, k := range sortedFormatKeys(x) {
				if x[k] == nil {
					continue
				}
				key := k
				if name != "" {
					key = name + "." + k
				}
				walk(x[k], key)
			}
		default:
			pairs = append(pairs, pair{name, flatQuote(valueString(v))})
		}
	}
	walk(v, "")
	sep, ok := f.Attrs["separator"]
	if !ok {
		sep = ": "
	}
	_, noPad := f.Attrs["no-pad"]
	width := 0
	for _, p := range pairs {
		width = max(width, len(p.k))
	}
	var b strings.Builder
	for _, p := range pairs {
		b.WriteString(p.k + sep)
		if !noPad {
			b.WriteString(strings.Repeat(" ", width-len(p.k)))
		}
		b.WriteString(p.v + "\n")
	}
	return []byte(b.String())
}

// flatQuote double-quotes values that are multi-line or have outer spaces.
func flatQuote(s string) string {
	if !strings.Contains(s, "\n") && strings.TrimSpace(s) == s {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\f", `\f`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

// cells evaluates the projection to one string per key.
func (f *Format) cells(obj map[string]any) []string {
	delim, ok := f.Attrs["delimiter"]
	if !ok {
		delim = ";"
	}
	out := make([]string, len(f.Keys))
	for i, k := range f.Keys {
		out[i] = cellString(k.Value(obj), delim)
	}
	return out
}

// cellString is how gcloud's value/csv printers show one value.
func cellString(v any, delim string) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			switch e.(type) {
			case []any, map[string]any:
				parts[i] = reprValue(e)
			default:
				parts[i] = valueString(e)
			}
		}
		return strings.Join(parts, delim)
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range sortedFormatKeys(x) {
			var s string
			switch e := x[k].(type) {
			case []any, map[string]any:
				s = reprValue(e)
			default:
				s = valueString(e)
			}
			parts = append(parts, k+"="+s)
		}
		return strings.Join(parts, delim)
	}
	return valueString(v)
}

// headings are gcloud's column headings: a key's label, else its names in
// ANGRY_SNAKE_CASE, adding names from the right until it differs from the
// headings before it (metadata.name, spec.template.metadata.name gives NAME,
// METADATA_NAME).
func (f *Format) headings() []string {
	seen := map[string]bool{}
	out := make([]string, len(f.Keys))
	for i, k := range f.Keys {
		if k.Label != "" {
			out[i] = k.Label
			continue
		}
		label := ""
		for j := len(k.Path) - 1; j >= 0; j-- {
			if k.Path[j].Name == "" {
				continue
			}
			snake := strings.ToUpper(snakeCase(k.Path[j].Name))
			if label == "" {
				label = snake
			} else {
				label = snake + "_" + label
			}
			if !seen[label] {
				seen[label] = true
				break
			}
		}
		out[i] = label
	}
	return out
}

// snakeCase inserts "_" where a camelCase word starts: before an upper-case
// run that follows a lower-case letter or digit, and before an upper-case
// letter followed by a lower-case one.
func snakeCase(s string) string {
	isUpper := func(c byte) bool { return c >= 'A' && c <= 'Z' }
	isLower := func(c byte) bool { return c >= 'a' && c <= 'z' }
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isUpper(c) && i > 0 && (isLower(s[i-1]) || s[i-1] >= '0' && s[i-1] <= '9'):
			j := i
			for j < len(s) && isUpper(s[j]) {
				j++
			}
			b.WriteString("_" + s[i:j])
			i = j
			continue
		case isUpper(c) && i > 0 && i+1 < len(s) && isLower(s[i+1]):
			b.WriteString("_" + string(c))
		default:
			b.WriteByte(c)
		}
		i++
	}
	return b.String()
}

func (f *Format) formatColumns(obj map[string]any, defaultSep string, heading bool) []byte {
	sep, ok := f.Attrs["separator"]
	if !ok {
		sep = defaultSep
	}
	term, ok := f.Attrs["terminator"]
	if !ok {
		term = "\n"
	}
	var b strings.Builder
	if _, no := f.Attrs["no-heading"]; heading && !no {
		hs := f.headings()
		for i, h := range hs {
			hs[i] = strings.ToLower(h)
		}
		b.WriteString(strings.Join(hs, sep) + term)
	}
	b.WriteString(strings.Join(f.cells(obj), sep) + term)
	return []byte(b.String())
}

func (f *Format) formatTable(obj map[string]any) []byte {
	if len(f.Keys) == 0 {
		out, _ := formatYAML(obj)
		return out
	}
	head := f.headings()
	row := make([]string, len(f.Keys))
	for i, k := range f.Keys {
		v := k.Value(obj)
		switch v.(type) {
		case []any, map[string]any:
			row[i] = reprValue(v)
		default:
			row[i] = valueString(v)
		}
	}
	rows := [][]string{row}
	if _, no := f.Attrs["no-heading"]; !no {
		rows = [][]string{head, row}
	}
	widths := make([]int, len(f.Keys))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			line.WriteString(c)
			if i < len(r)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-len([]rune(c))+2))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	return []byte(b.String())
}

// valueString is Python's str() of a JSON scalar, None as "".
func valueString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return reprFloat(x)
	case []any, map[string]any:
		return reprValue(x)
	}
	return fmt.Sprint(v)
}

func reprFloat(x float64) string {
	if x == float64(int64(x)) {
		return strconv.FormatInt(int64(x), 10) + ".0"
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// reprValue is Python's repr() of a JSON value, which gcloud prints for nested
// lists and dicts in value, csv and table output.
func reprValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return reprString(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = reprValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range sortedFormatKeys(x) {
			parts = append(parts, reprString(k)+": "+reprValue(x[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return valueString(v)
}

func reprString(s string) string {
	q := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(q):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}
