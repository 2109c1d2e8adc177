package deploy

// Decoders for gcloud's value syntax (calliope's ArgList, ArgDict and
// UpdateAction, and argparse's store/append/store_true actions). Every
// message is gcloud's own text; the grammar in cmd/rundeploy adds nothing to
// them.

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/alecthomas/kong"
)

// altDelim starts and ends an alternate delimiter: `^:^a,b:c` is [a,b c].
const altDelim = "^"

const escapingHint = "Please see `gcloud topic flags-file` or `gcloud topic escaping` for information on providing list or dictionary flag values with special characters."

// ParseArgList splits an ArgList value the way calliope does: on commas, or
// on DELIM when the value starts with ^DELIM^. An empty value is an empty
// list, and one trailing delimiter is ignored ("a," is [a]). The error text
// is the part after "argument --flag: ".
func ParseArgList(s string) ([]string, error) {
	delim := ","
	if strings.HasPrefix(s, altDelim) && strings.Contains(s[1:], altDelim) {
		d, rest, _ := strings.Cut(s[1:], altDelim)
		if d == "" {
			return nil, fmt.Errorf("Invalid delimeter. %s", escapingHint)
		}
		delim, s = d, rest
	}
	if s == "" {
		return []string{}, nil
	}
	if !strings.HasSuffix(s, delim) {
		s += delim
	}
	parts := strings.Split(s, delim)
	return parts[:len(parts)-1], nil
}

// ParseArgDict parses an ArgDict value (KEY=VALUE items of an ArgList). A key
// given twice in one value keeps its first position and takes the last value,
// as gcloud's OrderedDict does. checkKey, when not nil, validates each key
// (gcloud's key_type) and returns the message to report.
func ParseArgDict(s string, checkKey func(string) error) (keys []string, values map[string]string, err error) {
	items, err := ParseArgList(s)
	if err != nil {
		return nil, nil, err
	}
	values = make(map[string]string, len(items))
	for _, item := range items {
		// gcloud matches ([^=]+)(=?)(.*): the key is at least one character.
		if item == "" || item[0] == '=' {
			return nil, nil, fmt.Errorf("Invalid flag value [%s]", item)
		}
		k, v, hasOp := strings.Cut(item, "=")
		if !hasOp {
			return nil, nil, fmt.Errorf("Bad syntax for dict arg: [%s]. %s", k, escapingHint)
		}
		if checkKey != nil {
			if err := checkKey(k); err != nil {
				return nil, nil, err
			}
		}
		if _, dup := values[k]; !dup {
			keys = append(keys, k)
		}
		values[k] = v
	}
	return keys, values, nil
}

// CheckEnvVarKey is gcloud's EnvVarKeyType: the checks applied to every
// environment variable (and build environment variable) name on the command
// line and in --env-vars-file.
func CheckEnvVarKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("Environment variable keys cannot be empty.")
	case strings.HasPrefix(key, "X_GOOGLE_"):
		return fmt.Errorf("Environment variable keys that start with `X_GOOGLE_` are reserved for use by deployment tools and cannot be specified manually.")
	case strings.Contains(key, "="):
		return fmt.Errorf("Environment variable keys cannot contain `=`.")
	}
	return nil
}

// argError is an argparse error about flag: "argument --flag: msg".
func argError(flag string, err error) error {
	return &ArgumentError{Msg: fmt.Sprintf("argument --%s: %s", flag, err.Error())}
}

// flagName is the gcloud name of the flag being decoded.
func flagName(ctx *kong.DecodeContext) string {
	if ctx == nil || ctx.Value == nil {
		return "?"
	}
	return ctx.Value.Name
}

// keyChecker returns the key validation a flag's `gcloud:"envkey"` tag asks for.
func keyChecker(ctx *kong.DecodeContext) func(string) error {
	if ctx != nil && ctx.Value != nil && ctx.Value.Tag != nil && ctx.Value.Tag.Get("gcloud") == "envkey" {
		return CheckEnvVarKey
	}
	return nil
}

// popValue takes the flag's value. The grammar always hands flags over as
// --flag=value, so a missing value is argparse's "expected one argument".
func popValue(ctx *kong.DecodeContext) (string, error) {
	t := ctx.Scan.Pop()
	switch v := t.Value.(type) {
	case string:
		if t.Type == kong.FlagValueToken || t.IsValue() {
			return v, nil
		}
	}
	return "", &ArgumentError{Msg: fmt.Sprintf("argument --%s: expected one argument", flagName(ctx))}
}

// Merge adds one occurrence of an UpdateAction dict flag: a key that is
// already present is an error naming both values.
func (d *Dict) Merge(flag string, keys []string, values map[string]string) error {
	if d.Values == nil {
		d.Values = map[string]string{}
	}
	for _, k := range keys {
		if old, dup := d.Values[k]; dup {
			return argError(flag, fmt.Errorf("%q cannot be specified multiple times; received: %s, %s", k, old, values[k]))
		}
		d.Keys = append(d.Keys, k)
		d.Values[k] = values[k]
	}
	d.Set = true
	return nil
}

// DecodeString applies one occurrence of the flag's value.
func (d *Dict) DecodeString(flag, s string, checkKey func(string) error) error {
	keys, values, err := parseDictValue(flag, s, checkKey)
	if err != nil {
		return err
	}
	return d.Merge(flag, keys, values)
}

// Decode implements kong.MapperValue.
func (d *Dict) Decode(ctx *kong.DecodeContext) error {
	s, err := popValue(ctx)
	if err != nil {
		return err
	}
	return d.DecodeString(flagName(ctx), s, keyChecker(ctx))
}

// DecodeString replaces the probe settings: the last occurrence wins and
// "" means "remove the probe".
func (d *LastDict) DecodeString(flag, s string, checkKey func(string) error) error {
	keys, values, err := parseDictValue(flag, s, checkKey)
	if err != nil {
		return err
	}
	d.Dict = Dict{Set: true, Keys: keys, Values: values}
	return nil
}

// Decode implements kong.MapperValue.
func (d *LastDict) Decode(ctx *kong.DecodeContext) error {
	s, err := popValue(ctx)
	if err != nil {
		return err
	}
	return d.DecodeString(flagName(ctx), s, keyChecker(ctx))
}

// DecodeString appends one occurrence as a new item.
func (d *DictList) DecodeString(flag, s string, checkKey func(string) error) error {
	keys, values, err := parseDictValue(flag, s, checkKey)
	if err != nil {
		return err
	}
	d.Set = true
	d.Items = append(d.Items, Dict{Set: true, Keys: keys, Values: values})
	return nil
}

// Decode implements kong.MapperValue.
func (d *DictList) Decode(ctx *kong.DecodeContext) error {
	s, err := popValue(ctx)
	if err != nil {
		return err
	}
	return d.DecodeString(flagName(ctx), s, keyChecker(ctx))
}

// DecodeString applies one occurrence of an UpdateAction list flag: elements
// concatenate across occurrences and an element given twice is an error.
func (l *List) DecodeString(flag, s string, checkKey func(string) error) error {
	var items []string
	if v, ok := unlex(s); ok {
		for _, it := range v.Items {
			if v.IsList {
				items = append(items, it.Value)
			} else {
				items = append(items, it.Key)
			}
		}
	} else {
		var err error
		if items, err = ParseArgList(s); err != nil {
			return argError(flag, err)
		}
	}
	if checkKey != nil {
		for _, it := range items {
			if err := checkKey(it); err != nil {
				return argError(flag, err)
			}
		}
	}
	for _, it := range items {
		for _, have := range l.Items {
			if have == it {
				return argError(flag, fmt.Errorf("%q cannot be specified multiple times", it))
			}
		}
		l.Items = append(l.Items, it)
	}
	if l.Items == nil {
		l.Items = []string{}
	}
	l.Set = true
	return nil
}

// Decode implements kong.MapperValue.
func (l *List) Decode(ctx *kong.DecodeContext) error {
	s, err := popValue(ctx)
	if err != nil {
		return err
	}
	return l.DecodeString(flagName(ctx), s, keyChecker(ctx))
}

// Decode implements kong.MapperValue: the last occurrence wins.
func (s *String) Decode(ctx *kong.DecodeContext) error {
	v, err := popValue(ctx)
	if err != nil {
		return err
	}
	s.Set, s.Value = true, DisplayValue(v)
	return nil
}

// IsBool tells kong the flag takes no value.
func (b *Bool) IsBool() bool { return true }

// Decode implements kong.BoolMapperValue. kong hands a negated flag
// (--no-X) over as the value false.
func (b *Bool) Decode(ctx *kong.DecodeContext) error {
	b.Set, b.Value = true, true
	if t := ctx.Scan.Peek(); t.Type == kong.FlagValueToken {
		ctx.Scan.Pop()
		switch v := t.Value.(type) {
		case bool:
			b.Value = v
		default:
			return &ArgumentError{Msg: fmt.Sprintf("argument --%s: ignored explicit argument '%v'", flagName(ctx), v)}
		}
	}
	return nil
}

// lexedPrefix marks an argv element that carries a value --flags-file has
// already split into a list or map (gcloud passes the YAML object itself to
// ArgList/ArgDict, so no delimiter splitting happens).
const lexedPrefix = "\x00gcloud-lexed:"

// LexedValue is a list or map value read from a --flags-file.
type LexedValue struct {
	IsList bool
	Items  []LexedItem
}

// LexedItem is one list element or map entry; Type is its Python type name
// ("str", "int", …) for gcloud's type errors.
type LexedItem struct {
	Key, Value, Type string
}

// Lexed encodes v as one argv element for the grammar.
func Lexed(v LexedValue) string {
	b, _ := json.Marshal(v)
	return lexedPrefix + string(b)
}

// unlex decodes an argv element made by Lexed.
func unlex(s string) (LexedValue, bool) {
	rest, ok := strings.CutPrefix(s, lexedPrefix)
	if !ok {
		return LexedValue{}, false
	}
	var v LexedValue
	if json.Unmarshal([]byte(rest), &v) != nil {
		return LexedValue{}, false
	}
	return v, true
}

// lexedDict turns a --flags-file value into dict entries.
func lexedDict(flag string, v LexedValue, checkKey func(string) error) ([]string, map[string]string, error) {
	if v.IsList {
		// gcloud hands the list to ArgDict, which rejects it.
		return nil, nil, argError(flag, fmt.Errorf("Invalid type [list] for flag value [%s]", pyList(v)))
	}
	values := map[string]string{}
	var keys []string
	for _, it := range v.Items {
		if checkKey != nil {
			if err := checkKey(it.Key); err != nil {
				return nil, nil, argError(flag, err)
			}
			if it.Type != "str" {
				return nil, nil, argError(flag, fmt.Errorf("Environment variable values must be strings. Found %s (type <class '%s'>)", it.Value, it.Type))
			}
		}
		if _, dup := values[it.Key]; !dup {
			keys = append(keys, it.Key)
		}
		values[it.Key] = it.Value
	}
	return keys, values, nil
}

func pyList(v LexedValue) string {
	parts := make([]string, len(v.Items))
	for i, it := range v.Items {
		if it.Type == "str" {
			parts[i] = "'" + it.Value + "'"
		} else {
			parts[i] = it.Value
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// DisplayValue is how a value appears to the user: lexed --flags-file
// values print as Python would print them.
func DisplayValue(s string) string {
	if v, ok := unlex(s); ok {
		if v.IsList {
			return pyList(v)
		}
		parts := make([]string, len(v.Items))
		for i, it := range v.Items {
			parts[i] = "'" + it.Key + "': '" + it.Value + "'"
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return s
}

// parseDictValue parses a dict flag value given on the command line or
// through --flags-file.
func parseDictValue(flag, s string, checkKey func(string) error) ([]string, map[string]string, error) {
	if v, ok := unlex(s); ok {
		return lexedDict(flag, v, checkKey)
	}
	keys, values, err := ParseArgDict(s, checkKey)
	if err != nil {
		return nil, nil, argError(flag, err)
	}
	return keys, values, nil
}
