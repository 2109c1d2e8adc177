package cli

import (
	"bytes"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/alecthomas/kong"
)

// Command is the command line of `rundeploy [SERVICE] [flags]`: every
// flag of GA `gcloud run deploy` (Flags), the gcloud-wide flags
// (Globals) and rundeploy's own flags (PreflightFlags).
//
// kong binds the values; Parse first reads the command line the way
// gcloud's argparse does (see parse.go) and hands kong a normalised argv, so
// every accepted and every rejected command line matches gcloud.
type Command struct {
	Flags   `embed:""`
	Globals `embed:""`
	// Preflight is named: an anonymous PreflightFlags would clash with
	// Flags (both are "Flags").
	Preflight PreflightFlags `embed:""`

	// HelpRequested is set when -h or --help was given: print helpText() to
	// stdout and exit 0, as gcloud does.
	HelpRequested bool `kong:"-"`
}

// containerCommand is the grammar of one `--container NAME` section.
type containerCommand struct {
	ContainerFlags `embed:""`
}

// choices are the argparse choices of gcloud's choice flags, in gcloud's
// (sorted) order. They are checked while reading the command line.
var choices = map[string][]string{
	"ingress":                         {"all", "internal", "internal-and-cloud-load-balancing"},
	"execution-environment":           {"gen1", "gen2"},
	"vpc-egress":                      {"all", "all-traffic", "private-ranges-only"},
	"post-key-revocation-action-type": {"prevent-new", "shut-down"},
	"platform":                        {"gke", "kubernetes", "managed"},
	"verbosity":                       {"critical", "debug", "error", "info", "none", "warning"},
	"connectivity":                    {"external", "internal"},
}

// flagSpec is what the argparse-style reader needs to know about a flag.
type flagSpec struct {
	name      string // without "--"
	short     rune
	takesArg  bool // false for store_true / --[no-]X flags
	negatable bool // --no-name is accepted
	hidden    bool
	container bool // a ContainerArgGroup flag
	group     string
}

// grammar is the flag table derived from the kong model.
type grammar struct {
	main      *kong.Kong
	container *kong.Kong
	// byName maps every accepted spelling ("--memory", "--no-async", "-q")
	// of the main parser to its flag and whether it is the negated form.
	byName map[string]flagRef
	// containerByName is the same for a --container section's parser.
	containerByName map[string]flagRef
	flags           []*flagSpec
}

type flagRef struct {
	spec    *flagSpec
	negated bool
}

var (
	grammarOnce sync.Once
	theGrammar  *grammar
	grammarErr  error
)

// loadGrammar builds the kong parsers once; it is cheap (reflection only).
func loadGrammar() (*grammar, error) {
	grammarOnce.Do(func() { theGrammar, grammarErr = newGrammar() })
	return theGrammar, grammarErr
}

func kongOptions() []kong.Option {
	return []kong.Option{
		kong.Name("rundeploy"),
		kong.Description("Deploy a container to Cloud Run, like `gcloud run deploy`, after checking that the image can be pulled."),
		kong.NoDefaultHelp(),
		kong.Exit(func(int) {}),
		kong.ExplicitGroups([]kong.Group{{
			Key:         "rundeploy",
			Title:       "rundeploy flags:",
			Description: "Flags of rundeploy itself, not of gcloud.",
		}}),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, NoExpandSubcommands: true}),
	}
}

func newGrammar() (*grammar, error) {
	g := &grammar{byName: map[string]flagRef{}, containerByName: map[string]flagRef{}}
	var err error
	if g.main, err = kong.New(&Command{}, kongOptions()...); err != nil {
		return nil, err
	}
	if g.container, err = kong.New(&containerCommand{}, kongOptions()...); err != nil {
		return nil, err
	}
	containerNames := map[string]bool{}
	for _, f := range g.container.Model.Node.Flags {
		containerNames[f.Name] = true
	}
	for _, f := range g.main.Model.Node.Flags {
		spec := &flagSpec{
			name:      f.Name,
			short:     f.Short,
			takesArg:  !f.IsBool(),
			negatable: f.Tag.Negatable != "",
			hidden:    f.Hidden,
			container: containerNames[f.Name],
		}
		if f.Group != nil {
			spec.group = f.Group.Key
		}
		g.flags = append(g.flags, spec)
		g.add(g.byName, spec)
		if spec.container {
			g.add(g.containerByName, spec)
		}
	}
	return g, nil
}

func (g *grammar) add(m map[string]flagRef, spec *flagSpec) {
	m["--"+spec.name] = flagRef{spec: spec}
	if spec.negatable {
		m["--no-"+spec.name] = flagRef{spec: spec, negated: true}
	}
	if spec.short != 0 {
		m["-"+string(spec.short)] = flagRef{spec: spec}
	}
	// kong spells aliases through the Flag; gcloud's --service-min-instances
	// and --service-max-instances are aliases of --min and --max.
	for _, a := range aliasesOf(spec.name) {
		m["--"+a] = flagRef{spec: spec}
	}
}

// aliasesOf returns the kong aliases of a deploy flag.
func aliasesOf(name string) []string {
	t := reflect.TypeOf(Flags{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Tag.Get("name") == name {
			if a := f.Tag.Get("aliases"); a != "" {
				return strings.Split(a, ",")
			}
		}
	}
	return nil
}

// helpText is what `rundeploy --help` prints: kong's help with the
// synopsis `rundeploy [SERVICE] [flags]` and rundeploy's own flags grouped
// apart from gcloud's.
func helpText() string {
	var buf bytes.Buffer
	opts := append(kongOptions()[:0:0], kongOptions()...)
	// kong's own --help flag renders the help; exiting is left to the caller.
	opts = append(opts[:2], opts[3:]...) // drop NoDefaultHelp
	opts = append(opts, kong.Writers(&buf, &buf))
	k, err := kong.New(&Command{}, opts...)
	if err != nil {
		return "Usage: rundeploy [SERVICE] [flags]\n"
	}
	_, _ = k.Parse([]string{"--help"})
	text := buf.String()
	// kong writes "Usage: rundeploy [<SERVICE>] [flags]".
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		text = "Usage: rundeploy [SERVICE] [flags]" + text[i:]
	}
	return text
}

// usageFlags is the "optional flags may be" list of gcloud 578's GA
// `run deploy` usage: the visible flags, sorted the way calliope sorts
// them (--no-X sorts as X).
func usageFlags() []string {
	g, err := loadGrammar()
	if err != nil {
		return nil
	}
	var names []string
	for _, f := range g.flags {
		if f.hidden || f.group == "rundeploy" || isGlobalFlag(f.name) {
			continue
		}
		names = append(names, "--"+f.name)
	}
	names = append(names, "--container", "--help")
	sort.Slice(names, func(i, j int) bool { return usageSortKey(names[i]) < usageSortKey(names[j]) })
	return names
}

func usageSortKey(n string) string {
	if strings.HasPrefix(n, "--no-") {
		return n[5:] + "\x00x"
	}
	return strings.TrimPrefix(n, "--")
}

// isGlobalFlag reports whether name is a gcloud-wide flag (Globals).
func isGlobalFlag(name string) bool {
	t := reflect.TypeOf(Globals{})
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("name") == name {
			return true
		}
	}
	return false
}

// usageText is the short usage gcloud prints after an argument error, with
// gcloud 578's GA flag list.
func usageText() string {
	const (
		head   = "Usage: gcloud run deploy [[SERVICE] --namespace=NAMESPACE] [optional flags]\n"
		first  = "  optional flags may be  "
		indent = "                         "
		width  = 80
	)
	var b strings.Builder
	b.WriteString(head)
	line := first
	names := usageFlags()
	for i, n := range names {
		item := n
		if i < len(names)-1 {
			item += " |"
		}
		if len(line) > len(indent) && len(line)+1+len(item) > width {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += item
	}
	b.WriteString(line + "\n")
	b.WriteString("\nFor detailed information on this command and its flags, run:\n  gcloud run deploy --help\n")
	return b.String()
}
