package deploy

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
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
			return &ValueError{Command: "gcloud", Msg: fmt.Sprintf("Instance count value %s is not an integer or 'default'.", value)}
		}
		if n < 0 {
			return &ValueError{Command: "gcloud", Msg: fmt.Sprintf("Instance count value %s is negative.", value)}
		}
	case "scaling":
		if value == "auto" {
			return nil
		}
		n, ok := pyInt(value)
		if !ok {
			return &ValueError{Command: "gcloud", Msg: fmt.Sprintf("Input value '%s' for --scaling flag is not an integer nor 'auto'.", value)}
		}
		if n < 0 {
			return &ValueError{Command: "gcloud", Msg: fmt.Sprintf("Input value '%s' for --scaling flag should be a positive integer or 'auto'.", value)}
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
		secs, err := ParseDuration(value)
		if err != nil {
			return argError(flag, fmt.Errorf("Failed to parse duration: %s", strings.TrimRight(err.Error(), ".")))
		}
		if secs < 1 {
			return argError(flag, fmt.Errorf("value must be greater than or equal to 1s; received: %s", value))
		}
	}
	return nil
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

var durationPart = regexp.MustCompile(`(?i)^([0-9]*\.?[0-9]+)([dhms])`)

// ParseDuration reads a gcloud duration (`300`, `10m5s`, `1h`, `1.5s`,
// `P1DT2H`): a bare number is seconds. It returns the total in seconds.
func ParseDuration(s string) (float64, error) {
	orig := s
	u := strings.ToUpper(strings.TrimSpace(s))
	if u == "" {
		return 0, fmt.Errorf("Duration unit expected.")
	}
	u = strings.TrimPrefix(u, "P")
	u = strings.Replace(u, "T", "", 1)
	if n, err := strconv.ParseFloat(u, 64); err == nil && !strings.ContainsAny(u, "eEnNiI") {
		return n, nil
	}
	var total float64
	seen := false
	for u != "" {
		m := durationPart.FindStringSubmatch(u)
		if m == nil && (u[0] < '0' || u[0] > '9') && u[0] != '.' {
			return 0, fmt.Errorf("Duration unit '%s' must be preceded by a number", strings.ToLower(u[:1]))
		}
		if m == nil {
			return 0, fmt.Errorf("Duration unit expected [%s].", orig)
		}
		n, _ := strconv.ParseFloat(m[1], 64)
		switch strings.ToLower(m[2]) {
		case "d":
			n *= 86400
		case "h":
			n *= 3600
		case "m":
			n *= 60
		}
		total += n
		seen = true
		u = u[len(m[0]):]
	}
	if !seen {
		return 0, fmt.Errorf("Duration unit expected [%s].", orig)
	}
	return total, nil
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
	return &ArgumentError{Msg: fmt.Sprintf("argument --%s: At most one of %s can be specified.", named[0], strings.Join(parts, " | "))}
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

var serviceName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Validate makes the checks gcloud makes after parsing and before any API
// call, with gcloud's messages.
func (f *Flags) Validate() error {
	if f.Service != "" {
		name := f.Service
		if rest, ok := strings.CutPrefix(name, "namespaces/"); ok {
			if ns, svc, ok := strings.Cut(rest, "/services/"); ok && ns != "" && !strings.Contains(ns, "/") {
				name = svc
			}
		}
		if !serviceName.MatchString(name) {
			return ValueErrorf("Invalid resource name [%s]. The name must use only lowercase alphanumeric characters and dashes, cannot begin or end with a dash, and cannot be longer than 63 characters.", f.Service)
		}
	}
	if f.Namespace.Set && (!f.Platform.Set || f.Platform.Value == "managed") {
		return ValueErrorf("The `--namespace` flag is not supported on the fully managed version of Cloud Run. Specify `--platform gke` or run `gcloud config set run/platform gke` to work with Cloud Run for Anthos deployed on Google Cloud.")
	}
	if len(f.Containers) > maxContainers {
		return ValueErrorf("Too many containers: at most %d containers can be specified.", maxContainers)
	}
	if f.Region.Set && f.Regions.Set {
		return ArgumentErrorf("argument --region: At most one of --region | --regions can be specified.")
	}
	return nil
}

// maxContainers is Cloud Run's limit on containers per revision.
const maxContainers = 10
