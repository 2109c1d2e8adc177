package cli

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/rundeploy/rundeploy/wrap"
)

// Parse reads a `gcloud run deploy` command line exactly as gcloud
// does: --flags-file expansion, --container sections, argparse's rules for
// flags, values, positionals and errors; then kong binds the values, and
// Flags.Validate applies the checks gcloud makes before any API call.
//
// Errors are *ArgumentError (exit 2) or *ValueError (exit 1)
// carrying gcloud's message, or a *PlatformError (errors.Is
// ErrNotManaged) when --platform or the run/platform property names
// Cloud Run for Anthos. getenv is the environment the gcloud properties are
// read from (run/platform); nil means none: no environment variables and no
// properties files.
func Parse(args []string, getenv func(string) string) (*Command, error) {
	g, err := loadGrammar()
	if err != nil {
		return nil, fmt.Errorf("building the command grammar: %w", err)
	}
	args, err = expandFlagsFiles(args)
	if err != nil {
		return nil, err
	}

	mainArgs, sections := splitContainers(args)
	cmd := &Command{}

	// gcloud parses the container sections first, each with its own parser.
	for _, s := range sections {
		sc, err := g.scan(s.args, true)
		if err != nil {
			return nil, err
		}
		cc := &containerCommand{}
		if sc.help {
			cmd.HelpRequested = true
			return cmd, nil
		}
		if err := bind(g.container, cc, sc); err != nil {
			return nil, err
		}
		if err := sc.finish(); err != nil {
			return nil, err
		}
		if err := ValidateContainerGroups(&cc.ContainerFlags, sc.specified); err != nil {
			return nil, err
		}
		cmd.Containers = append(cmd.Containers, ContainerSection{Name: s.name, ContainerFlags: cc.ContainerFlags})
	}

	sc, err := g.scan(mainArgs, false)
	if err != nil {
		return nil, err
	}
	if sc.help {
		cmd.HelpRequested = true
		return cmd, nil
	}
	if err := bind(g.main, cmd, sc); err != nil {
		return nil, err
	}
	if err := sc.finish(); err != nil {
		return nil, err
	}
	if err := ValidateGroups(&cmd.Flags, sc.specified); err != nil {
		return nil, err
	}
	if len(sections) > 0 {
		var misplaced []string
		seen := map[string]bool{}
		for _, n := range sc.specified {
			if ref, ok := g.containerByName["--"+n]; ok && !ref.negated && !seen[n] {
				seen[n] = true
				misplaced = append(misplaced, "--"+n)
			}
		}
		if len(misplaced) > 0 {
			sort.Strings(misplaced)
			return nil, &wrap.ArgumentError{Command: "gcloud.run", Msg: fmt.Sprintf(
				"When --container is specified %s must be specified after --container.", strings.Join(misplaced, ", "))}
		}
	}
	platform, platformSet := platformProperty(getenv, cmd.Configuration.Value)
	if err := cmd.Flags.ValidateFor(platform, platformSet); err != nil {
		return nil, err
	}
	return cmd, nil
}

// platformProperty reads the run/platform property (CLOUDSDK_RUN_PLATFORM,
// then the properties files of the configuration). Unreadable properties
// files count as "not set" here; resolving the configuration later reports
// them.
func platformProperty(getenv func(string) string, configuration string) (string, bool) {
	if getenv == nil {
		return "", false
	}
	cfg, err := wrap.LoadConfig(getenv, configuration)
	if err != nil {
		return "", false
	}
	return cfg.Get("run", "platform")
}

// section is one --container NAME section of the command line.
type section struct {
	name string
	args []string
}

// splitContainers is gcloud's ContainerParser: every argument after
// `--container NAME` belongs to NAME until the next --container; sections of
// the same name are concatenated; `--` ends the splitting.
func splitContainers(args []string) (rest []string, sections []section) {
	index := map[string]int{}
	cur := -1
	add := func(a string) {
		if cur < 0 {
			rest = append(rest, a)
		} else {
			sections[cur].args = append(sections[cur].args, a)
		}
	}
	open := func(name string) {
		i, ok := index[name]
		if !ok {
			i = len(sections)
			index[name] = i
			sections = append(sections, section{name: name})
		}
		cur = i
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--container":
			if i+1 >= len(args) {
				rest = append(rest, a)
			} else {
				open(args[i+1])
				i++
			}
		case strings.HasPrefix(a, "--container="):
			open(strings.TrimPrefix(a, "--container="))
		case a == "--":
			rest = append(rest, args[i:]...)
			return rest, sections
		default:
			add(a)
		}
	}
	return rest, sections
}

// scanned is one parser's view of its arguments, argparse style.
type scanned struct {
	tokens    []string // normalised argv for kong, in command-line order
	stopAt    int      // tokens before the first error/help (len(tokens) if none)
	stopErr   error    // immediate error at stopAt
	deferred  error    // "Invalid choice" error at stopAt (unknown args win over it)
	help      bool
	unknown   []string // unrecognised arguments before stopAt
	specified []string // flag names given (without --), in order
	suggest   func([]string) error
}

var negativeNumber = regexp.MustCompile(`^-\d+$|^-\d*\.\d+$`)

// isOptionLike is argparse's test (_parse_optional) for an argument that
// starts a flag: a known flag, or a known flag followed by "=VALUE" (even
// when VALUE holds spaces, as in "--description=my svc"), before the
// negative-number and space rules.
func isOptionLike(a string, byName map[string]flagRef) bool {
	if len(a) < 2 || a[0] != '-' {
		return false
	}
	if _, ok := byName[a]; ok {
		return true
	}
	if n, _, eq := strings.Cut(a, "="); eq {
		if _, ok := byName[n]; ok {
			return true
		}
	}
	if negativeNumber.MatchString(a) || strings.Contains(a, " ") {
		return false
	}
	return true
}

// scan reads args the way argparse does for gcloud's parser (the main one,
// or a --container section's when container is true).
func (g *grammar) scan(args []string, container bool) (*scanned, error) {
	byName := g.byName
	if container {
		byName = g.containerByName
	}
	sc := &scanned{}
	sc.suggest = g.unrecognized
	var positional []string
	haveService := container // container sections take no positional
	stop := func(err error, deferred bool) {
		sc.stopAt = len(sc.tokens)
		if deferred {
			sc.deferred = err
		} else {
			sc.stopErr = err
		}
	}
	afterDashes := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" && !afterDashes {
			afterDashes = true
			continue
		}
		if afterDashes || !isOptionLike(a, byName) {
			if !haveService {
				haveService = true
				positional = append(positional, a)
			} else {
				sc.unknown = append(sc.unknown, a)
			}
			continue
		}
		if a == "--container" && !container {
			// Only a trailing --container reaches the main parser.
			stop(&wrap.ArgumentError{Msg: "argument --container: expected one argument"}, false)
			break
		}
		if a == "-h" || a == "--help" {
			sc.help = true
			sc.stopAt = len(sc.tokens)
			break
		}
		ref, ok := byName[a]
		value, hasValue := "", false
		if !ok {
			if n, v, eq := strings.Cut(a, "="); eq {
				if ref, ok = byName[n]; ok {
					value, hasValue = v, true
				}
			}
		}
		if !ok {
			sc.unknown = append(sc.unknown, a)
			continue
		}
		spec := ref.spec
		display := optionString(a)
		if !spec.takesArg {
			if hasValue {
				stop(&wrap.ArgumentError{Msg: fmt.Sprintf("argument %s: ignored explicit argument '%s'", display, value)}, false)
				break
			}
			sc.specified = append(sc.specified, strings.TrimPrefix(display, "--"))
			if ref.negated {
				sc.tokens = append(sc.tokens, "--no-"+spec.name)
			} else {
				sc.tokens = append(sc.tokens, "--"+spec.name)
			}
			continue
		}
		if !hasValue {
			if i+1 >= len(args) || isOptionLike(args[i+1], byName) || args[i+1] == "--" {
				stop(&wrap.ArgumentError{Msg: fmt.Sprintf("argument %s: expected one argument", display)}, false)
				break
			}
			i++
			value = args[i]
		}
		if err, deferred := checkValue(spec.name, display, value); err != nil {
			stop(err, deferred)
			break
		}
		sc.specified = append(sc.specified, spec.name)
		sc.tokens = append(sc.tokens, "--"+spec.name+"="+value)
	}
	if sc.stopErr == nil && sc.deferred == nil && !sc.help {
		sc.stopAt = len(sc.tokens)
	}
	if len(positional) > 0 {
		sc.positional(positional[0])
	}
	return sc, nil
}

func (sc *scanned) positional(service string) {
	// The positional goes after "--" so kong never reads it as a flag.
	sc.tokens = append(sc.tokens, "--", service)
	if sc.stopErr == nil && sc.deferred == nil && !sc.help {
		sc.stopAt = len(sc.tokens)
	} else {
		// Keep the positional bound even when a flag error stops the parse.
		sc.tokens = append(sc.tokens[:sc.stopAt], "--", service)
		sc.stopAt = len(sc.tokens)
	}
}

// optionString is the flag as gcloud names it in messages ("--memory").
func optionString(a string) string {
	n, _, _ := strings.Cut(a, "=")
	return n
}

// finish reports what argparse reports after consuming the arguments:
// the first error, else the unrecognised arguments.
func (sc *scanned) finish() error {
	if sc.stopErr != nil {
		return sc.stopErr
	}
	if len(sc.unknown) > 0 {
		return sc.suggest(sc.unknown)
	}
	return sc.deferred
}

// bind hands the normalised tokens before the first error to kong, which
// decodes the values in command-line order (gcloud's value errors).
func bind(k *kong.Kong, target any, sc *scanned) error {
	tokens := sc.tokens[:sc.stopAt]
	pk, err := kong.New(target, kongOptions()...)
	if err != nil {
		return err
	}
	_ = k
	// Trace decodes the values in order; Reset and Apply store them. kong's
	// validation hooks are deliberately not run: Flags.Validate belongs after
	// gcloud's argparse checks, and Parse calls it there.
	err = func() error {
		ctx, err := kong.Trace(pk, tokens)
		if err != nil {
			return err
		}
		if ctx.Error != nil {
			return ctx.Error
		}
		if err := ctx.Reset(); err != nil {
			return err
		}
		_, err = ctx.Apply()
		return err
	}()
	if err != nil {
		var ae *wrap.ArgumentError
		var ve *wrap.ValueError
		switch {
		case errors.As(err, &ae):
			return ae
		case errors.As(err, &ve):
			return ve
		}
		return &wrap.ArgumentError{Msg: err.Error()}
	}
	return nil
}

// checkValue applies gcloud's argparse type checks that do not depend on
// earlier occurrences: choices (a deferred error, unknown arguments win over
// it), scalar conversions, and reading --env-vars-file.
func checkValue(flag, display, value string) (err error, deferred bool) {
	if list, ok := choices[flag]; ok {
		for _, c := range list {
			if c == value {
				return nil, false
			}
		}
		return invalidChoice(display, flag, value), true
	}
	if flag == "env-vars-file" {
		if _, _, err := ReadEnvVarsFile(value); err != nil {
			return err, false
		}
		return nil, false
	}
	return ConvertFlagValue(flag, value), false
}
