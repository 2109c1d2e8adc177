package cli

// Value types for gcloud's argument syntax. Each one implements
// kong.MapperValue so the grammar can use them directly, and
// each one remembers whether the flag was given at all: gcloud only turns a
// flag that was given into a change, and an empty value is often meaningful
// (`--args=` clears the arguments, `--revision-suffix=` resumes server naming).

import "github.com/alecthomas/kong"

// Dict is a gcloud ArgDict (KEY=VALUE,KEY2=VALUE2) with UpdateAction
// semantics: repeated occurrences merge, and a key given twice is an error.
// The `^DELIM^` prefix selects another item delimiter. Keys keeps the order
// the user wrote them in.
type Dict struct {
	Set    bool
	Keys   []string
	Values map[string]string
}

// LastDict is an ArgDict stored with argparse's plain "store" action: the
// last occurrence wins (the --*-probe flags). An empty value ("") is allowed
// and means "remove".
type LastDict struct {
	Dict
}

// DictList is an ArgDict flag with the "append" action (--add-volume,
// --add-volume-mount): each occurrence adds one item.
type DictList struct {
	Set   bool
	Items []Dict
}

// List is a gcloud ArgList (A,B,C) with UpdateAction semantics: repeated
// occurrences concatenate, and an element given twice is an error.
// `--args=` (an empty value) is a set, empty list.
type List struct {
	Set   bool
	Items []string
}

// String is a string flag that remembers whether it was given; the empty
// string is a legitimate value.
type String struct {
	Set   bool
	Value string
}

// Bool is a three-state gcloud boolean: unset, --X (true) or --no-X (false).
// Used with kong's `negatable:""` tag for --[no-]X flags and for the hidden
// --no-X that gcloud generates for every store_true flag.
type Bool struct {
	Set   bool
	Value bool
}

var (
	_ kong.MapperValue     = (*Dict)(nil)
	_ kong.MapperValue     = (*LastDict)(nil)
	_ kong.MapperValue     = (*DictList)(nil)
	_ kong.MapperValue     = (*List)(nil)
	_ kong.MapperValue     = (*String)(nil)
	_ kong.BoolMapperValue = (*Bool)(nil)
)
