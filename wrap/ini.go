package wrap

import (
	"fmt"
	"regexp"
	"strings"
)

// properties is the content of one or more gcloud properties files:
// section -> option -> value. gcloud reads these files with Python's
// configparser.ConfigParser (default settings), so parseProperties follows
// that parser's rules exactly:
//
//   - "[name]" starts a section; the name is everything between the first
//     "[" and the last "]" of the stripped line and is case-sensitive.
//     "[DEFAULT]" holds defaults that apply to every section of that file.
//   - "key = value" or "key: value"; the first "=" or ":" splits. Keys are
//     lower-cased and stripped, values stripped.
//   - Lines whose stripped text starts with "#" or ";" are comments. There
//     are no inline comments: "a = b # c" has the value "b # c".
//   - A line indented deeper than its key's line continues the value (joined
//     with "\n"); blank lines inside a value are kept, trailing ones dropped.
//   - Duplicate sections or keys, key lines before any section, lines with
//     neither a section header nor a delimiter, and empty keys are errors.
//   - Values are interpolated like configparser.BasicInterpolation: "%%" is
//     "%", "%(key)s" is another key of the same section (or DEFAULT); any
//     other "%" is an error.
type properties map[string]map[string]string

// merge copies every option of other over p, section by section, like
// gcloud's PropertiesFile loading several files in order.
func (p properties) merge(other properties) {
	for section, opts := range other {
		if p[section] == nil {
			p[section] = map[string]string{}
		}
		for k, v := range opts {
			p[section][k] = v
		}
	}
}

// PropertiesError reports a properties file that gcloud's configparser
// would reject.
type PropertiesError struct {
	Path string // file name
	Line int    // 1-based line number, 0 when not tied to a line
	Msg  string
}

func (e *PropertiesError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("invalid gcloud properties file %s: line %d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("invalid gcloud properties file %s: %s", e.Path, e.Msg)
}

const defaultSection = "DEFAULT"

var (
	// configparser.RawConfigParser._OPT_TMPL with delimiters "=" and ":".
	optionLine = regexp.MustCompile(`^(.*?)[ \t]*(=|:)[ \t]*(.*)$`)
	// configparser.BasicInterpolation._KEYCRE.
	interpolationKey = regexp.MustCompile(`^%\(([^)]+)\)s`)
)

// pySpace reports whether r is whitespace for Python's str.strip().
func pySpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0,
		0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// TrimPySpace strips leading and trailing whitespace as Python's
// str.strip() does, which is how gcloud trims property and token values.
func TrimPySpace(s string) string { return strings.TrimFunc(s, pySpace) }

// parseProperties parses the text of a properties file named path (used in
// errors only).
func parseProperties(path, text string) (properties, error) {
	// Python's text mode: universal newlines.
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	lines := strings.SplitAfter(text, "\n")

	type option struct {
		lines []string
	}
	sections := map[string]map[string]*option{}
	var order []string
	defaults := map[string]*option{}
	var (
		cur         map[string]*option
		curName     string
		optName     string
		hasOpt      bool
		indentLevel int
		seenSection = map[string]bool{}
		seenOption  = map[[2]string]bool{}
		firstErr    *PropertiesError
	)
	fail := func(lineno int, msg string) {
		if firstErr == nil {
			firstErr = &PropertiesError{Path: path, Line: lineno, Msg: msg}
		}
	}
	for i, line := range lines {
		if line == "" {
			continue
		}
		lineno := i + 1
		stripped := TrimPySpace(line)
		comment := strings.HasPrefix(stripped, "#") || strings.HasPrefix(stripped, ";")
		value := stripped
		if comment {
			value = ""
		}
		if value == "" {
			if !comment && cur != nil && hasOpt && cur[optName] != nil {
				cur[optName].lines = append(cur[optName].lines, "")
			}
			continue
		}
		indent := strings.IndexFunc(line, func(r rune) bool { return !pySpace(r) })
		if cur != nil && hasOpt && indent > indentLevel {
			cur[optName].lines = append(cur[optName].lines, value)
			continue
		}
		indentLevel = indent
		if strings.HasPrefix(value, "[") {
			if end := strings.LastIndex(value, "]"); end > 1 {
				name := value[1:end]
				switch {
				case name == defaultSection:
					cur = defaults
				case sections[name] != nil:
					if seenSection[name] {
						return nil, &PropertiesError{Path: path, Line: lineno, Msg: fmt.Sprintf("section %q already exists", name)}
					}
					cur = sections[name]
				default:
					cur = map[string]*option{}
					sections[name] = cur
					order = append(order, name)
				}
				seenSection[name] = true
				curName = name
				hasOpt = false
				continue
			}
		}
		if cur == nil {
			return nil, &PropertiesError{Path: path, Line: lineno, Msg: "file contains no section headers"}
		}
		m := optionLine.FindStringSubmatch(value)
		if m == nil {
			fail(lineno, fmt.Sprintf("cannot parse %q", strings.TrimSuffix(line, "\n")))
			continue
		}
		if m[1] == "" {
			fail(lineno, fmt.Sprintf("cannot parse %q: empty option name", strings.TrimSuffix(line, "\n")))
		}
		name := strings.ToLower(strings.TrimRightFunc(m[1], pySpace))
		key := [2]string{curName, name}
		if seenOption[key] {
			return nil, &PropertiesError{Path: path, Line: lineno, Msg: fmt.Sprintf("option %q in section %q already exists", name, curName)}
		}
		seenOption[key] = true
		cur[name] = &option{lines: []string{TrimPySpace(m[3])}}
		optName, hasOpt = name, true
	}
	if firstErr != nil {
		return nil, firstErr
	}

	join := func(o *option) string {
		return strings.TrimRightFunc(strings.Join(o.lines, "\n"), pySpace)
	}
	props := properties{}
	for _, name := range order {
		raw := map[string]string{}
		for k, o := range defaults {
			raw[k] = join(o)
		}
		for k, o := range sections[name] {
			raw[k] = join(o)
		}
		out := make(map[string]string, len(raw))
		for k, v := range raw {
			iv, err := interpolate(raw, k, v, 1)
			if err != nil {
				return nil, &PropertiesError{Path: path, Msg: fmt.Sprintf("section %q option %q: %v", name, k, err)}
			}
			out[k] = iv
		}
		props[name] = out
	}
	return props, nil
}

// maxInterpolationDepth is configparser.MAX_INTERPOLATION_DEPTH.
const maxInterpolationDepth = 10

// interpolate expands value like configparser.BasicInterpolation.
func interpolate(vars map[string]string, option, value string, depth int) (string, error) {
	if depth > maxInterpolationDepth {
		return "", fmt.Errorf("interpolation too deeply recursive")
	}
	var b strings.Builder
	rest := value
	for rest != "" {
		p := strings.IndexByte(rest, '%')
		if p < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:p])
		rest = rest[p:]
		switch {
		case strings.HasPrefix(rest, "%%"):
			b.WriteByte('%')
			rest = rest[2:]
		case strings.HasPrefix(rest, "%("):
			m := interpolationKey.FindStringSubmatch(rest)
			if m == nil {
				return "", fmt.Errorf("bad interpolation variable reference %q", rest)
			}
			rest = rest[len(m[0]):]
			v, ok := vars[strings.ToLower(m[1])]
			if !ok {
				return "", fmt.Errorf("bad interpolation variable reference: no option %q", strings.ToLower(m[1]))
			}
			if strings.Contains(v, "%") {
				iv, err := interpolate(vars, option, v, depth+1)
				if err != nil {
					return "", err
				}
				v = iv
			}
			b.WriteString(v)
		default:
			return "", fmt.Errorf("'%%' must be followed by '%%' or '(', found: %q", rest)
		}
	}
	return b.String(), nil
}
