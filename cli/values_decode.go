package cli

// Decoders for gcloud's value syntax (calliope's ArgList, ArgDict and
// UpdateAction, and argparse's store/append/store_true actions). Every
// message is gcloud's own text; the grammar adds nothing to
// them.

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/alecthomas/kong"

	"github.com/rundeploy/rundeploy/wrap"
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
	return &wrap.ArgumentError{Msg: fmt.Sprintf("argument --%s: %s", flag, err.Error())}
}

// flagName is the gcloud name of the flag being decoded.
func flagName(ctx *kong.DecodeContext) string {
	if ctx == nil || ctx.Value == nil {
		return "?"
	}
	return ctx.Value.Name
}

// valueSpec is what calliope's ArgList/ArgDict type of a flag checks beyond
// the syntax: key_type (or an ArgList's element_type), max_length and
// required_keys.
type valueSpec struct {
	// checkKey validates each dict key or list element. A plain error is
	// argparse's ArgumentTypeError, reported as "argument --flag: …"; a
	// *ValueError is reported as it is (gcloud raises it outside argparse).
	checkKey     func(string) error
	maxLength    int      // 0: no limit
	requiredKeys []string // dict keys that must be present, in gcloud's order
	// envValues: the values are environment variable values, which a
	// --flags-file must give as strings (EnvVarValueType).
	envValues bool
}

// containerNameType is flags._CONTAINER_NAME_TYPE (a RegexpValidator;
// Python's `$` also accepts one trailing newline).
var containerNameType = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]([a-z0-9-.]{0,61}[a-z0-9])?\n?$`) })

func checkContainerName(name string) error {
	if !containerNameType().MatchString(name) {
		return fmt.Errorf("Bad value [%s]: must conform to RFC 1123: only lowercase, digits, hyphens, and periods are allowed, must begin and end with letter or digit, and less than 64 characters.", name)
	}
	return nil
}

// checkVolumeMountKey is --add-volume-mount's key_type.
func checkVolumeMountKey(key string) error {
	if key != "volume" && key != "mount-path" {
		return &wrap.ValueError{Command: "gcloud", Msg: fmt.Sprintf("Key [%s] not recognized for volume mount. Only keys \"volume\" and \"mount-path\" are supported", key)}
	}
	return nil
}

// ProbeKeys are the accepted keys of each --KIND-probe flag (flags._SUPPORTED_*_PROBE_KEYS).
var ProbeKeys = map[string][]string{
	"startup": {"initialDelaySeconds", "timeoutSeconds", "periodSeconds", "failureThreshold",
		"httpGet.port", "httpGet.path", "grpc.port", "grpc.service", "tcpSocket.port"},
	"liveness": {"initialDelaySeconds", "timeoutSeconds", "periodSeconds", "failureThreshold",
		"httpGet.port", "httpGet.path", "grpc.port", "grpc.service"},
	"readiness": {"timeoutSeconds", "periodSeconds", "failureThreshold", "successThreshold",
		"httpGet.port", "httpGet.path", "grpc.port", "grpc.service"},
}

// probeKeyChecker is the key_type of a --KIND-probe flag.
func probeKeyChecker(kind string) func(string) error {
	return func(key string) error {
		if !slices.Contains(ProbeKeys[kind], key) {
			return &wrap.ValueError{Command: "gcloud", Msg: fmt.Sprintf("Key [%s] not recognized for %s probe.", key, kind)}
		}
		return nil
	}
}

// specFor returns the checks of the flag being decoded.
func specFor(ctx *kong.DecodeContext) valueSpec {
	if ctx == nil || ctx.Value == nil {
		return valueSpec{}
	}
	if ctx.Value.Tag != nil && ctx.Value.Tag.Get("gcloud") == "envkey" {
		return valueSpec{checkKey: CheckEnvVarKey, envValues: true}
	}
	return flagSpecs(ctx.Value.Name)
}

// flagSpecs are the value checks of the flags that have any, by name.
func flagSpecs(flag string) valueSpec {
	switch flag {
	case "startup-probe", "liveness-probe", "readiness-probe":
		return valueSpec{checkKey: probeKeyChecker(strings.TrimSuffix(flag, "-probe"))}
	case "add-volume-mount":
		return valueSpec{checkKey: checkVolumeMountKey, requiredKeys: []string{"volume", "mount-path"}}
	case "add-volume":
		// gcloud 578: only the type is required; the name may be generated
		// when mount-path is given (checked when planning, as gcloud does).
		return valueSpec{requiredKeys: []string{"type"}}
	case "depends-on", "remove-containers":
		return valueSpec{checkKey: checkContainerName, maxLength: 9}
	}
	return valueSpec{}
}

// checkRequiredKeys is ArgDict._CheckRequiredKeys.
func (sp valueSpec) checkRequiredKeys(values map[string]string) error {
	for _, k := range sp.requiredKeys {
		if _, ok := values[k]; !ok {
			return fmt.Errorf("Key [%s] required in dict arg but not provided", k)
		}
	}
	return nil
}

// keyError reports a key_type or element_type failure: a *ValueError as it
// is, anything else as argparse's error about the flag.
func keyError(flag string, err error) error {
	var ve *wrap.ValueError
	if errors.As(err, &ve) {
		return ve
	}
	return argError(flag, err)
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
	return "", &wrap.ArgumentError{Msg: fmt.Sprintf("argument --%s: expected one argument", flagName(ctx))}
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

// DecodeString applies one occurrence of the flag's value; checkKey, when
// not nil, is the flag's key_type.
func (d *Dict) DecodeString(flag, s string, checkKey func(string) error) error {
	return d.decode(flag, s, valueSpec{checkKey: checkKey})
}

func (d *Dict) decode(flag, s string, sp valueSpec) error {
	keys, values, err := parseDictValue(flag, s, sp)
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
	return d.decode(flagName(ctx), s, specFor(ctx))
}

// DecodeString replaces the probe settings: the last occurrence wins and
// "" means "remove the probe".
func (d *LastDict) DecodeString(flag, s string, checkKey func(string) error) error {
	return d.decode(flag, s, valueSpec{checkKey: checkKey})
}

func (d *LastDict) decode(flag, s string, sp valueSpec) error {
	keys, values, err := parseDictValue(flag, s, sp)
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
	return d.decode(flagName(ctx), s, specFor(ctx))
}

// DecodeString appends one occurrence as a new item.
func (d *DictList) DecodeString(flag, s string, checkKey func(string) error) error {
	return d.decode(flag, s, valueSpec{checkKey: checkKey})
}

func (d *DictList) decode(flag, s string, sp valueSpec) error {
	keys, values, err := parseDictValue(flag, s, sp)
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
	return d.decode(flagName(ctx), s, specFor(ctx))
}

// DecodeString applies one occurrence of an UpdateAction list flag: elements
// concatenate across occurrences and an element given twice is an error.
// checkKey, when not nil, is the element_type.
func (l *List) DecodeString(flag, s string, checkKey func(string) error) error {
	return l.decode(flag, s, valueSpec{checkKey: checkKey})
}

// decode is ArgList's conversion (split, max_length, element_type) followed
// by UpdateAction's duplicate check.
func (l *List) decode(flag, s string, sp valueSpec) error {
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
	if sp.maxLength > 0 && len(items) > sp.maxLength {
		return argError(flag, fmt.Errorf("too many args"))
	}
	if sp.checkKey != nil {
		for _, it := range items {
			if err := sp.checkKey(it); err != nil {
				return keyError(flag, err)
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
	return l.decode(flagName(ctx), s, specFor(ctx))
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
			return &wrap.ArgumentError{Msg: fmt.Sprintf("argument --%s: ignored explicit argument '%v'", flagName(ctx), v)}
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
func lexedDict(flag string, v LexedValue, sp valueSpec) ([]string, map[string]string, error) {
	checkKey := sp.checkKey
	if v.IsList {
		// gcloud hands the list to ArgDict, which rejects it.
		return nil, nil, argError(flag, fmt.Errorf("Invalid type [list] for flag value [%s]", pyList(v)))
	}
	values := map[string]string{}
	var keys []string
	for _, it := range v.Items {
		if checkKey != nil {
			if err := checkKey(it.Key); err != nil {
				return nil, nil, keyError(flag, err)
			}
			if it.Type != "str" && sp.envValues {
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
// through --flags-file, then checks the required keys.
func parseDictValue(flag, s string, sp valueSpec) ([]string, map[string]string, error) {
	var keys []string
	var values map[string]string
	var err error
	if v, ok := unlex(s); ok {
		if keys, values, err = lexedDict(flag, v, sp); err != nil {
			return nil, nil, err
		}
	} else if keys, values, err = ParseArgDict(s, sp.checkKey); err != nil {
		return nil, nil, keyError(flag, err)
	}
	if err := sp.checkRequiredKeys(values); err != nil {
		return nil, nil, argError(flag, err)
	}
	return keys, values, nil
}
