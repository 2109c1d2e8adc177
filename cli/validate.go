package cli

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/rundeploy/rundeploy/wrap"
)

// ConvertFlagValue applies gcloud's argparse type conversion for the flags
// that have one, in the order gcloud reads the command line. It returns the
// error gcloud reports (an *ArgumentError, or a *ValueError for the
// conversions gcloud raises as `ERROR: (gcloud) …`), or nil.
func ConvertFlagValue(flag, value string) error {
	switch flag {
	case "max-instances", "min-instances", "min", "max", "service-min-instances", "service-max-instances":
		if value == "default" {
			return nil
		}
		n, ok := pyInt(value)
		if !ok {
			return &wrap.ValueError{Command: "gcloud", Msg: fmt.Sprintf("Instance count value %s is not an integer or 'default'.", value)}
		}
		if n < 0 {
			return &wrap.ValueError{Command: "gcloud", Msg: fmt.Sprintf("Instance count value %s is negative.", value)}
		}
	case "scaling":
		if value == "auto" {
			return nil
		}
		n, ok := pyInt(value)
		if !ok {
			return &wrap.ValueError{Command: "gcloud", Msg: fmt.Sprintf("Input value '%s' for --scaling flag is not an integer nor 'auto'.", value)}
		}
		if n < 0 {
			return &wrap.ValueError{Command: "gcloud", Msg: fmt.Sprintf("Input value '%s' for --scaling flag should be a positive integer or 'auto'.", value)}
		}
	case "port":
		if n, ok := pyInt(value); value != "default" && (!ok || n < 1 || n > 65535) {
			return argError(flag, fmt.Errorf("Bad value [%s]: must be an integer between 1 and 65535, inclusive, or \"default\".", value))
		}
	case "concurrency":
		if n, ok := pyInt(value); value != "default" && (!ok || n <= 0) {
			return argError(flag, fmt.Errorf("Bad value [%s]: must be an integer greater than 0 or \"default\".", value))
		}
	case "timeout":
		if _, err := ParseTimeout(value); err != nil {
			return err
		}
	case "build-service-account":
		// flags.ServiceAccount raises a non-argparse error: `ERROR: (gcloud)`.
		if value != "" && !buildServiceAccount.MatchString(value) {
			return &wrap.ValueError{Command: "gcloud", Msg: fmt.Sprintf("Invalid service account value [%s]. The service account value must follow the pattern projects/<projectId>/serviceAccounts/<serviceAccount>.", value)}
		}
	}
	return nil
}

// buildServiceAccount is flags.ServiceAccount's pattern. Python's re.match
// with a trailing `$` also accepts one final newline.
var buildServiceAccount = regexp.MustCompile(`^projects/[^/]+/serviceAccounts/[^/]+\n?$`)

// ParseTimeout is --timeout's argparse type, arg_parsers.Duration with a
// lower bound of 1s: the duration in seconds, or gcloud's *ArgumentError.
func ParseTimeout(value string) (float64, error) {
	secs, err := ParseDuration(value)
	if err != nil {
		return 0, argError("timeout", fmt.Errorf("Failed to parse duration: %s", strings.TrimRight(err.Error(), ".")))
	}
	if secs < 1 {
		if value == "" {
			return 0, argError("timeout", fmt.Errorf("value must be greater than or equal to 1s; received empty string"))
		}
		return 0, argError("timeout", fmt.Errorf("value must be greater than or equal to 1s; received: %s", value))
	}
	return secs, nil
}

// pyInt is Python's int(str): surrounding whitespace, a sign, and
// underscores between digits are allowed.
func pyInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 || body == "" || body[0] == '_' || body[len(body)-1] == '_' || strings.Contains(body, "__") {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			// Python ints do not overflow: report the sign only.
			if strings.HasPrefix(s, "-") {
				return -1 << 63, true
			}
			return 1<<63 - 1, true
		}
		return 0, false
	}
	return n, true
}

// mutexGroup is one of gcloud's mutually exclusive argument groups. members
// are listed in gcloud's display order; a member with several flags is a
// nested group ("--remove-env-vars --update-env-vars"), named in the message
// only by its usage.
type mutexGroup [][]string

// nestedUsage is how gcloud prints nested groups whose own structure shows
// in the message.
var nestedUsage = map[string]string{
	"network": "--network --subnet --clear-network-tags | --network-tags",
}

func (g mutexGroup) check(given map[string]bool) error {
	var hit []int
	for i, m := range g {
		for _, f := range m {
			if given[f] {
				hit = append(hit, i)
				break
			}
		}
	}
	if len(hit) < 2 {
		return nil
	}
	// gcloud names the first specified member in its sort order: single
	// flags sort before nested groups, alphabetically.
	var named []string
	for _, i := range hit {
		if len(g[i]) == 1 {
			named = append(named, g[i][0])
		}
	}
	if len(named) == 0 {
		named = append(named, g[hit[0]][0])
	}
	sort.Slice(named, func(a, b int) bool { return sortKey(named[a]) < sortKey(named[b]) })
	parts := make([]string, len(g))
	for i, m := range g {
		parts[i] = "--" + strings.Join(m, " --")
		if u, ok := nestedUsage[m[0]]; ok && len(m) > 1 {
			parts[i] = u
		}
	}
	return &wrap.ArgumentError{Msg: fmt.Sprintf("argument --%s: At most one of %s can be specified.", named[0], strings.Join(parts, " | "))}
}

func sortKey(flag string) string {
	if strings.HasPrefix(flag, "no-") {
		return flag[3:] + "\x00x"
	}
	return flag
}

// containerGroups are the mutex groups of gcloud's ContainerArgGroup.
var containerGroups = []mutexGroup{
	{{"clear-env-vars"}, {"env-vars-file"}, {"set-env-vars"}, {"remove-env-vars", "update-env-vars"}},
	{{"clear-secrets"}, {"set-secrets"}, {"remove-secrets", "update-secrets"}},
	{{"build-env-vars-file"}, {"clear-build-env-vars"}, {"set-build-env-vars"}, {"remove-build-env-vars", "update-build-env-vars"}},
	{{"command"}, {"function"}},
	{{"base-image"}, {"clear-base-image"}},
	{{"build-service-account"}, {"clear-build-service-account"}},
	{{"build-worker-pool"}, {"clear-build-worker-pool"}},
}

// serviceGroups are the mutex groups of the service-level flags.
var serviceGroups = []mutexGroup{
	{{"add-cloudsql-instances"}, {"clear-cloudsql-instances"}, {"remove-cloudsql-instances"}, {"set-cloudsql-instances"}},
	{{"add-custom-audiences"}, {"clear-custom-audiences"}, {"remove-custom-audiences"}, {"set-custom-audiences"}},
	{{"binary-authorization"}, {"clear-binary-authorization"}},
	{{"clear-encryption-key-shutdown-hours"}, {"encryption-key-shutdown-hours"}},
	{{"clear-key"}, {"key"}},
	{{"labels"}, {"update-labels"}},
	{{"clear-labels"}, {"remove-labels"}},
	{{"clear-network-tags"}, {"network-tags"}},
	{{"clear-network"}, {"network", "subnet", "clear-network-tags", "network-tags"}},
	{{"clear-post-key-revocation-action-type"}, {"post-key-revocation-action-type"}},
}

// givenSet turns the specified flag names (as spelled, "no-async" for the
// negation) into the set of flags gcloud counts as given.
func givenSet(specified []string) map[string]bool {
	m := make(map[string]bool, len(specified))
	for _, n := range specified {
		m[strings.TrimPrefix(n, "no-")] = true
		m[n] = true
	}
	return m
}

// ValidateContainerGroups checks the mutex groups of one container's flags
// (gcloud checks them when it parses each --container section).
func ValidateContainerGroups(c *ContainerFlags, specified []string) error {
	given := givenSet(specified)
	for _, g := range containerGroups {
		if err := g.check(given); err != nil {
			return err
		}
	}
	return nil
}

// ValidateGroups checks gcloud's mutex groups for the main parser, in
// gcloud's order (groups are checked in sorted order of their usage).
func ValidateGroups(f *Flags, specified []string) error {
	given := givenSet(specified)
	all := append(append([]mutexGroup{}, serviceGroups...), containerGroups...)
	sort.SliceStable(all, func(i, j int) bool { return all[i][0][0] < all[j][0][0] })
	for _, g := range all {
		if err := g.check(given); err != nil {
			return err
		}
	}
	return nil
}

var serviceName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`) })

// Platforms are the values of gcloud's run/platform property (and the
// --platform flag). rundeploy deploys to PlatformManaged only.
const (
	PlatformManaged    = "managed"
	PlatformGKE        = "gke"
	PlatformKubernetes = "kubernetes"
)

// ErrNotManaged matches (errors.Is) the error Validate returns when the
// command targets Cloud Run for Anthos (--platform or run/platform gke or
// kubernetes), which rundeploy does not implement: the caller should hand
// the whole command to the real gcloud, as for source deploys.
var ErrNotManaged = errors.New("rundeploy deploys to Cloud Run (fully managed) only")

// PlatformError is the error for a command whose platform is not managed.
type PlatformError struct{ Platform string }

func (e *PlatformError) Error() string {
	return fmt.Sprintf("%s; platform [%s] is handled by gcloud", ErrNotManaged, e.Platform)
}

// Is makes errors.Is(err, ErrNotManaged) true.
func (e *PlatformError) Is(target error) bool { return target == ErrNotManaged }

// Validate makes the checks gcloud makes after parsing and before any API
// call, with gcloud's messages, for the platform the --platform flag names
// (managed when it is not given). ValidateFor also honours the run/platform
// property.
func (f *Flags) Validate() error { return f.ValidateFor("", false) }

// ValidateFor is Validate with the value of the run/platform property
// (CLOUDSDK_RUN_PLATFORM or the properties files; propertySet false when it
// is not set), which applies when --platform is not given.
//
// The checks run in the order of gcloud's deploy.Run: --region against
// --regions (flags.GetMultiRegion), the platform (GetAndValidatePlatform:
// an unknown one is an error, gke/kubernetes give a *PlatformError, managed
// rejects the Anthos-only flags), the containers (exactly one ingress
// container, at most 10), then the service name (flags.ValidateResource).
func (f *Flags) ValidateFor(platformProperty string, propertySet bool) error {
	// flags.GetMultiRegion (gcloud 578): the --region flag itself, not the
	// run/region property, conflicts with --regions.
	if f.Region.Set && f.Region.Value != "" && f.Regions.Set && f.Regions.Value != "" {
		return &wrap.ValueError{Command: "gcloud.run.deploy", Msg: "Invalid value for [--regions]: --region and --regions are mutually exclusive."}
	}
	platform := PlatformManaged
	switch {
	case f.Platform.Set:
		platform = f.Platform.Value
	case propertySet:
		platform = platformProperty
	}
	switch platform {
	case PlatformManaged:
		if err := f.verifyManagedFlags(); err != nil {
			return err
		}
	case PlatformGKE, PlatformKubernetes:
		return &PlatformError{Platform: platform}
	default:
		return wrap.ValueErrorf("Invalid target platform specified: [%s].\nAvailable platforms:\n"+
			"- managed: Fully managed version of Cloud Run. Use with the `--region` flag or set the [run/region] property to specify a Cloud Run region.\n"+
			"- gke: Cloud Run for Anthos on Google Cloud. Use with the `--cluster` and `--cluster-location` flags or set the [run/cluster] and [run/cluster_location] properties to specify a cluster in a given zone.\n"+
			"- kubernetes: Use a Knative-compatible kubernetes cluster. Use with the `--kubeconfig` and `--context` flags to specify a kubeconfig file and the context for connecting.", platform)
	}
	// deploy.py _ValidateAndGetContainers.
	if n := len(f.Containers); n > 1 {
		ingress := 0
		for i := range f.Containers {
			if f.Containers[i].Port.Set || f.Containers[i].UseHttp2.Set {
				ingress++
			}
		}
		if ingress != 1 {
			return wrap.ValueErrorf("Invalid value for [--container]: Exactly one container must specify --port or --use-http2")
		}
	}
	if len(f.Containers) > maxContainers {
		return wrap.ValueErrorf("Invalid value for [--container]: Services may include at most %d containers", maxContainers)
	}
	if f.Service != "" {
		name := f.Service
		if rest, ok := strings.CutPrefix(name, "namespaces/"); ok {
			if ns, svc, ok := strings.Cut(rest, "/services/"); ok && ns != "" && !strings.Contains(ns, "/") {
				name = svc
			}
		}
		if !serviceName().MatchString(name) {
			return wrap.ValueErrorf("Invalid resource name [%s]. The name must use only lowercase alphanumeric characters and dashes, cannot begin or end with a dash, and cannot be longer than 63 characters.", f.Service)
		}
	}
	return nil
}

// verifyManagedFlags is flags.VerifyManagedFlags: the Cloud Run for Anthos
// flags are errors on the managed platform, reported in gcloud's order. A
// flag counts when it is given at all (--no-clear-config-maps too).
func (f *Flags) verifyManagedFlags() error {
	const (
		gkeDesc = "Cloud Run for Anthos deployed on Google Cloud"
		k8sDesc = "Cloud Run for Anthos deployed on VMware"
	)
	checks := []struct {
		set              bool
		flag, plat, desc string
	}{
		{f.Connectivity.Set, "--connectivity=[internal|external]", PlatformGKE, gkeDesc},
		{f.Namespace.Set, "--namespace", PlatformGKE, gkeDesc},
		{f.Cluster.Set, "--cluster", PlatformGKE, gkeDesc},
		{f.ClusterLocation.Set, "--cluster-location", PlatformGKE, gkeDesc},
		{f.SetConfigMaps.Set || f.UpdateConfigMaps.Set || f.RemoveConfigMaps.Set || f.ClearConfigMaps.Set,
			"--[update|set|remove|clear]-config-maps", PlatformGKE, gkeDesc},
		{f.Kubeconfig.Set, "--kubeconfig", PlatformKubernetes, k8sDesc},
		{f.Context.Set, "--context", PlatformKubernetes, k8sDesc},
	}
	for _, c := range checks {
		if c.set {
			return wrap.ValueErrorf("The `%s` flag is not supported on the fully managed version of Cloud Run. "+
				"Specify `--platform %s` or run `gcloud config set run/platform %s` to work with %s.",
				c.flag, c.plat, c.plat, c.desc)
		}
	}
	return nil
}

// maxContainers is gcloud's limit on containers per service.
const maxContainers = 10

// ParseDuration reads a duration the way gcloud's duration flags do
// (arg_parsers.Duration: times.ParseDuration with the default unit "s" and
// iso_duration.Duration.Parse): `300` (a bare integer is seconds), `10m5s`,
// `1h`, `1.5m`, `500ms`, `PT30S`, `P1DT2H`. It returns the duration in
// seconds, rounded to 4 decimal places as gcloud returns it, or an error
// whose text is gcloud's (with its trailing period; argparse strips it).
//
// Calendar units follow gcloud: a year is 365.2422 days, a month a twelfth
// of that, and a week 7 days; `M` before any day or time part means months.
func ParseDuration(value string) (float64, error) {
	s := value
	if n, ok := pyIntString(value); ok {
		s = n + "s"
	}
	var d isoDuration
	if err := d.parse(s); err != nil {
		return 0, err
	}
	total, err := d.normalize()
	if err != nil {
		return 0, err
	}
	whole := math.Trunc(total)
	rounded := pyRound(total, 4)
	if rounded-whole != 0 {
		return rounded, nil
	}
	return whole, nil
}

// isoDuration holds the parts of a parsed duration before normalisation.
type isoDuration struct {
	years, months, days, hours, minutes, seconds float64
}

// Constants of gcloud's iso_duration.
const (
	durDaysPerYear    = 365.2422
	durSecondsPerDay  = 86400
	durSecondsPerYear = durSecondsPerDay * durDaysPerYear
	durSecondsPerMon  = durSecondsPerYear / 12
)

// parse follows iso_duration.Duration.Parse: an optional sign, an optional
// P (without it T is implied, so M means minutes), numbers each followed by
// a unit letter, and ms/us/ns as the last part.
func (d *isoDuration) parse(orig string) error {
	str := []rune(orig)
	s := []rune(strings.ToUpper(orig))
	sign := ""
	if len(s) > 0 && s[0] == '-' {
		s, sign = s[1:], "-"
	} else if len(s) > 0 && s[0] == '+' {
		s = s[1:]
	}
	tSeparator, tImplied := false, false
	if len(s) > 0 && s[0] == 'P' {
		s = s[1:]
	} else {
		tImplied = true
	}
	amount := []rune(sign)
	hasDigits := func() bool { return len(amount) > len([]rune(sign)) }
loop:
	for i, c := range s {
		switch {
		case pyIsDigit(c):
			amount = append(amount, c)
		case c == '.' || c == ',':
			amount = append(amount, '.')
		case c == 'T':
			if tSeparator {
				return fmt.Errorf("A duration may contain at most one 'T' separator.")
			}
			tSeparator, tImplied = true, true
		case !hasDigits():
			// gcloud indexes the original string with the position in the
			// stripped one.
			rest := ""
			if i < len(str) {
				rest = string(str[i:])
			}
			return fmt.Errorf("Duration unit '%s' must be preceded by a number.", rest)
		default:
			n, err := pyFloat(string(amount))
			if err != nil {
				return err
			}
			amount = []rune(sign)
			switch {
			case c == 'Y':
				d.years += n
			case c == 'W':
				d.days += n * 7
			case c == 'D':
				d.days += n
			case (c == 'M' || c == 'U' || c == 'N') && len(s) == i+2 && s[i+1] == 'S':
				d.seconds += n / map[rune]float64{'M': 1e3, 'U': 1e6, 'N': 1e9}[c]
				break loop
			case c == 'M' && !tImplied:
				tImplied = true
				d.months += n
			default:
				tImplied = true
				switch c {
				case 'H':
					d.hours += n
				case 'M':
					d.minutes += n
				case 'S':
					d.seconds += n
				default:
					return fmt.Errorf("Unknown character '%c' in duration.", c)
				}
			}
		}
	}
	if hasDigits() && strings.TrimLeft(strings.ToUpper(orig), "+-") != "P0" {
		return fmt.Errorf("Duration must end with time part character.")
	}
	return nil
}

// normalize is iso_duration.Duration._Normalize: fractions percolate down
// to microseconds, carries go up, and the result is the total in seconds.
func (d *isoDuration) normalize() (float64, error) {
	percolate := func(f float64) (float64, float64, error) {
		if math.IsInf(f, 0) {
			return 0, 0, fmt.Errorf("cannot convert float infinity to integer")
		}
		whole := math.Trunc(f)
		return whole, pyRound(pyRound(f, 4)-whole, 4), nil
	}
	var frac float64
	var err error
	if d.years, frac, err = percolate(d.years); err != nil {
		return 0, err
	}
	if frac != 0 {
		d.days += durDaysPerYear * frac
	}
	if d.months, frac, err = percolate(d.months); err != nil {
		return 0, err
	}
	if frac != 0 {
		d.days += math.Trunc(durDaysPerYear * frac / 12)
	}
	if d.days, frac, err = percolate(d.days); err != nil {
		return 0, err
	}
	if frac != 0 {
		d.hours += 24 * frac
	}
	if d.hours, frac, err = percolate(d.hours); err != nil {
		return 0, err
	}
	if frac != 0 {
		d.minutes += 60 * frac
	}
	if d.minutes, frac, err = percolate(d.minutes); err != nil {
		return 0, err
	}
	if frac != 0 {
		d.seconds += 60 * frac
	}
	micro := 0.0
	if d.seconds, frac, err = percolate(d.seconds); err != nil {
		return 0, err
	}
	if frac != 0 {
		micro = math.Trunc(1e6 * frac)
	}

	total := 0.0
	carry := math.Trunc(micro / 1e6)
	micro -= math.Trunc(carry * 1e6)
	total += micro / 1e6
	d.seconds += carry

	carry = math.Trunc(d.seconds / 60)
	d.seconds -= carry * 60
	total += d.seconds
	d.minutes += carry

	carry = math.Trunc(d.minutes / 60)
	d.minutes -= carry * 60
	total += d.minutes * 60
	d.hours += carry

	if d.days == 0 && d.months == 0 && d.years == 0 {
		return total + d.hours*3600, nil
	}
	carry = math.Trunc(d.hours / 24)
	d.hours -= carry * 24
	total += d.hours * 3600
	d.days += carry

	// The first year may have 366 days (leap years).
	if d.days >= 366 {
		d.days -= 366
		d.years++
	} else if d.days <= -366 {
		d.days += 366
		d.years--
	}
	carry = math.Trunc(d.days / durDaysPerYear)
	d.days -= math.Trunc(carry * durDaysPerYear)
	total += d.days * durSecondsPerDay
	d.years += carry

	carry = math.Trunc(d.months / 12)
	d.months -= carry * 12
	total += d.months * durSecondsPerMon
	d.years += carry
	total += d.years * durSecondsPerYear
	return pyRound(total, 0) + micro/1e6, nil
}

// pyRound is Python's round(x, places) for floats: the decimal nearest to
// the exact binary value, ties to even.
func pyRound(x float64, places int) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return x
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', places, 64), 64)
	return r
}

// pyIsDigit is Python's str.isdigit for one character, for the decimal
// digits of every script (Unicode Nd).
func pyIsDigit(r rune) bool { return unicode.IsDigit(r) }

// pyFloat is Python's float() on the sign, digits and points a duration
// part collects, with Python's error text.
func pyFloat(s string) (float64, error) {
	var b strings.Builder
	points := 0
	digits := 0
	for i, r := range s {
		switch {
		case i == 0 && r == '-':
			b.WriteRune(r)
		case r == '.':
			points++
			b.WriteRune(r)
		case unicode.IsDigit(r):
			digits++
			b.WriteRune('0' + digitValue(r))
		}
	}
	if points > 1 || digits == 0 {
		return 0, fmt.Errorf("could not convert string to float: '%s'", s)
	}
	return strconv.ParseFloat(b.String(), 64)
}

// digitValue is the value of a Unicode decimal digit: the digits of each
// script are runs of ten consecutive code points starting at zero.
func digitValue(r rune) rune {
	start := r
	for start > 0 && unicode.IsDigit(start-1) {
		start--
	}
	return (r - start) % 10
}

// pyIntString is Python's str(int(s)) when int(s) succeeds: surrounding
// whitespace, a sign and single underscores between digits are accepted,
// and the result has no leading zeros or plus sign.
func pyIntString(s string) (string, bool) {
	if _, ok := pyInt(s); !ok {
		return "", false
	}
	clean := strings.ReplaceAll(strings.TrimSpace(s), "_", "")
	var n big.Int
	if _, ok := n.SetString(strings.TrimPrefix(clean, "+"), 10); !ok {
		return "", false
	}
	return n.String(), true
}
