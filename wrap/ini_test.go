package wrap

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The expectations follow Python 3.12 configparser as bundled with gcloud 528;
// the cases marked "gcloud" were checked with `gcloud config get project`
// against such a file.
func TestParseProperties(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    properties
		wantErr string
	}{
		{
			name: "written by gcloud config set",
			text: "[core]\nproject = demo-proj\ndisable_prompts = yes\n\n[run]\nregion = europe-west1\n\n",
			want: properties{"core": {"project": "demo-proj", "disable_prompts": "yes"}, "run": {"region": "europe-west1"}},
		},
		{
			name: "colon delimiter, key lower-cased, first delimiter splits (gcloud)",
			text: "[core]\nPROJECT : a=b:c\n",
			want: properties{"core": {"project": "a=b:c"}},
		},
		{
			name: "tabs and trailing blanks stripped (gcloud)",
			text: "[core]\nproject\t=\tv5 \n",
			want: properties{"core": {"project": "v5"}},
		},
		{
			name: "no inline comments (gcloud)",
			text: "[core]\nproject = a # x\n",
			want: properties{"core": {"project": "a # x"}},
		},
		{
			name: "full-line comments, also indented (gcloud)",
			text: "[core]\n; c\n   # d\nproject=v\n",
			want: properties{"core": {"project": "v"}},
		},
		{
			name: "quotes are kept (gcloud)",
			text: "[core]\nproject = \"q\"\n",
			want: properties{"core": {"project": `"q"`}},
		},
		{
			name: "continuation lines, blank line kept inside (gcloud)",
			text: "[core]\nproject = a\n\n  b\n\n",
			want: properties{"core": {"project": "a\n\nb"}},
		},
		{
			name: "continuation of an empty value (gcloud)",
			text: "[core]\nproject =\n  b\n",
			want: properties{"core": {"project": "\nb"}},
		},
		{
			name: "comment inside a value adds no blank line",
			text: "[core]\nproject = a\n# c\n  b\n",
			want: properties{"core": {"project": "a\nb"}},
		},
		{
			name: "indented key right after a header is a key (gcloud)",
			text: "[core]\n  project = ind\n",
			want: properties{"core": {"project": "ind"}},
		},
		{
			name: "deeper indented key after an indented key continues it",
			text: "[core]\n  project = a\n    account = b\n",
			want: properties{"core": {"project": "a\naccount = b"}},
		},
		{
			name: "section names are case-sensitive and not stripped (gcloud)",
			text: "[Core]\nproject=v6\n[ core ]\nproject = sp\n",
			want: properties{"Core": {"project": "v6"}, " core ": {"project": "sp"}},
		},
		{
			name: "header text after the last bracket is ignored",
			text: "[core] trailing\nproject = x\n[a]b]\nk = v\n",
			want: properties{"core": {"project": "x"}, "a]b": {"k": "v"}},
		},
		{
			name: "DEFAULT applies to every section of the file (gcloud)",
			text: "[DEFAULT]\nproject = dflt\n[core]\naccount=z\n[run]\nproject = own\n",
			want: properties{"core": {"project": "dflt", "account": "z"}, "run": {"project": "own"}},
		},
		{
			name: "interpolation (gcloud)",
			text: "[core]\nproject = %(account)s-p\naccount=z\nliteral = 100%%\n",
			want: properties{"core": {"project": "z-p", "account": "z", "literal": "100%"}},
		},
		{
			name: "nested interpolation through DEFAULT",
			text: "[DEFAULT]\nbase = b%%\n[core]\nmid = %(base)s-m\nproject = %(MID)s-p\n",
			want: properties{"core": {"base": "b%", "mid": "b%-m", "project": "b%-m-p"}},
		},
		{
			name: "CRLF and CR line endings",
			text: "[core]\r\nproject=v4\r\n[run]\rregion=r\r",
			want: properties{"core": {"project": "v4"}, "run": {"region": "r"}},
		},
		{
			name: "empty value",
			text: "[core]\nproject =\n",
			want: properties{"core": {"project": ""}},
		},
		{
			name: "empty file and DEFAULT alone",
			text: "[DEFAULT]\nproject = x\n",
			want: properties{},
		},
		{name: "key before any section (gcloud)", text: "project = x\n[core]\nproject = y\n", wantErr: "line 1: file contains no section headers"},
		{name: "byte order mark (gcloud)", text: "\ufeff[core]\nproject=bom\n", wantErr: "no section headers"},
		{name: "no delimiter (gcloud)", text: "[core]\nproject\n", wantErr: "line 2"},
		{name: "empty key (gcloud)", text: "[core]\n=v\n", wantErr: "empty option name"},
		{name: "empty header (gcloud)", text: "[core]\n[]\n", wantErr: "line 2"},
		{name: "duplicate key (gcloud)", text: "[core]\nproject = a\nproject = b\n", wantErr: `line 3: option "project" in section "core" already exists`},
		{name: "duplicate key differing in case", text: "[core]\nproject = a\nProject = b\n", wantErr: "already exists"},
		{name: "duplicate section (gcloud)", text: "[core]\n[run]\nregion=x\n[core]\n", wantErr: `line 4: section "core" already exists`},
		{name: "lone percent (gcloud)", text: "[core]\nproject = a%b\n", wantErr: "'%' must be followed by '%' or '('"},
		{name: "unknown interpolation key", text: "[core]\nproject = %(nope)s\n", wantErr: `no option "nope"`},
		{name: "bad interpolation reference", text: "[core]\nproject = %(x)d\nx = 1\n", wantErr: "bad interpolation variable reference"},
		{name: "interpolation loop", text: "[core]\na = %(b)s\nb = %(a)s\n", wantErr: "too deeply recursive"},
		{name: "bad line reported after a good one", text: "[core]\nok = 1\nbad line\nalso bad\n", wantErr: "line 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProperties("/cfg", tt.text)
			if tt.wantErr != "" {
				var pe *PropertiesError
				if err == nil || !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want *PropertiesError containing %q", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "/cfg") {
					t.Errorf("error %q does not name the file", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func FuzzParseProperties(f *testing.F) {
	for _, s := range []string{
		"[core]\nproject = p\n",
		"[core]\nproject = a\n\n  b\n",
		"[DEFAULT]\nx = %(y)s\ny = 1\n[s]\n",
		"[a]\nk: v\n; c\n# d\n",
		"k = v\n",
		"[a]\nk = 100%%\n",
		"[a]\r\nk=v\r",
		"[a]\n\tk = v\n\t\tcont\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := parseProperties("fuzz", text)
		if err != nil {
			var pe *PropertiesError
			if !errors.As(err, &pe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		for section, opts := range p {
			if section == "" || section == defaultSection {
				t.Errorf("section %q must not appear", section)
			}
			for k, v := range opts {
				if k != strings.ToLower(k) {
					t.Errorf("key %q not lower-cased", k)
				}
				if TrimPySpace(k) != k {
					t.Errorf("key %q not stripped", k)
				}
				if strings.TrimRightFunc(v, pySpace) != v {
					t.Errorf("value %q has trailing space", v)
				}
			}
		}
		// Parsing is deterministic.
		again, _ := parseProperties("fuzz", text)
		if !reflect.DeepEqual(p, again) {
			t.Errorf("second parse differs")
		}
	})
}
