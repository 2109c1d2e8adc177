package deploy

// PROVISIONAL decoders so the tree compiles; the grammar work replaces them
// with gcloud-faithful parsing (^DELIM^, duplicate detection, messages).

import (
	"strings"

	"github.com/alecthomas/kong"
)

func (d *Dict) Decode(ctx *kong.DecodeContext) error {
	var s string
	if err := ctx.Scan.PopValueInto("value", &s); err != nil {
		return err
	}
	d.Set = true
	if d.Values == nil {
		d.Values = map[string]string{}
	}
	for _, kv := range strings.Split(s, ",") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if _, ok := d.Values[k]; !ok {
			d.Keys = append(d.Keys, k)
		}
		d.Values[k] = v
	}
	return nil
}

func (d *LastDict) Decode(ctx *kong.DecodeContext) error {
	d.Dict = Dict{}
	return d.Dict.Decode(ctx)
}

func (d *DictList) Decode(ctx *kong.DecodeContext) error {
	var one Dict
	if err := one.Decode(ctx); err != nil {
		return err
	}
	d.Set = true
	d.Items = append(d.Items, one)
	return nil
}

func (l *List) Decode(ctx *kong.DecodeContext) error {
	var s string
	if err := ctx.Scan.PopValueInto("value", &s); err != nil {
		return err
	}
	l.Set = true
	if s != "" {
		l.Items = append(l.Items, strings.Split(s, ",")...)
	}
	return nil
}

func (s *String) Decode(ctx *kong.DecodeContext) error {
	s.Set = true
	return ctx.Scan.PopValueInto("value", &s.Value)
}

func (b *Bool) IsBool() bool { return true }

func (b *Bool) Decode(ctx *kong.DecodeContext) error {
	b.Set, b.Value = true, true
	if t := ctx.Scan.Peek(); t.Type == kong.FlagValueToken {
		ctx.Scan.Pop()
		if v, ok := t.Value.(bool); ok {
			b.Value = v
		}
	}
	return nil
}
