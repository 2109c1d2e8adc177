package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/rundeploy/rundeploy/wrap"
)

// PreflightFlags are rundeploy's own flags, beside gcloud's.
type PreflightFlags struct {
	GrantImageAccess   Bool   `name:"grant-image-access" negatable:"" group:"rundeploy" help:"Grant missing image read access without asking (--no-grant-image-access: never grant, report and stop)."`
	GrantScope         String `name:"grant-scope" group:"rundeploy" placeholder:"repository|project" help:"Where to grant roles/artifactregistry.reader: repository (default, least privilege) or project."`
	Preflight          Bool   `name:"preflight" negatable:"" group:"rundeploy" help:"Check image access before deploying (default); --no-preflight deploys like gcloud."`
	DryRun             Bool   `name:"dry-run" negatable:"" group:"rundeploy" help:"Run the preflight, validate the service with Cloud Run and show what would change; change nothing."`
	PropagationTimeout String `name:"propagation-timeout" group:"rundeploy" placeholder:"DURATION" help:"How long to wait for a new IAM grant to take effect (default 5m)."`
}

// DefaultPropagationTimeout bounds the wait for a new grant to take effect.
const DefaultPropagationTimeout = 5 * time.Minute

// The values of --grant-scope.
const (
	// ScopeRepository grants on the image's repository (least privilege, default).
	ScopeRepository = "repository"
	// ScopeProject grants on the image's project (every repository in it).
	ScopeProject = "project"
)

// Enabled reports whether the preflight runs (it does unless --no-preflight).
func (f *PreflightFlags) Enabled() bool { return !f.Preflight.Set || f.Preflight.Value }

// Scope returns --grant-scope, ScopeRepository by default. An unknown value
// is an argument error worded like gcloud's choice errors.
func (f *PreflightFlags) Scope() (string, error) {
	if !f.GrantScope.Set {
		return ScopeRepository, nil
	}
	switch v := f.GrantScope.Value; v {
	case ScopeRepository, ScopeProject:
		return v, nil
	default:
		msg := fmt.Sprintf("argument --grant-scope: Invalid choice: '%s'.", f.GrantScope.Value)
		for _, c := range []string{ScopeRepository, ScopeProject} {
			if f.GrantScope.Value != "" && strings.HasPrefix(c, f.GrantScope.Value) {
				return "", wrap.ArgumentErrorf("%s Did you mean '%s'?", msg, c)
			}
		}
		return "", wrap.ArgumentErrorf("%s\n\nValid choices are [project, repository].", msg)
	}
}

// Timeout returns --propagation-timeout, DefaultPropagationTimeout
// when not given.
func (f *PreflightFlags) Timeout() (time.Duration, error) {
	if !f.PropagationTimeout.Set {
		return DefaultPropagationTimeout, nil
	}
	d, err := parseWaitDuration(f.PropagationTimeout.Value)
	if err != nil {
		return 0, wrap.ArgumentErrorf("argument --propagation-timeout: %v", err)
	}
	return d, nil
}

// Validate checks the values of rundeploy's own flags (no API calls).
func (f *PreflightFlags) Validate() error {
	if _, err := f.Scope(); err != nil {
		return err
	}
	_, err := f.Timeout()
	return err
}

// parseWaitDuration parses a duration the way gcloud's duration flags do and
// also as Go does: a bare integer is seconds ("300"), Go durations
// ("1m30s", "1.5h", "500ms") and gcloud's ISO 8601 style ("5m", "PT5M",
// "1h5m", "2d", "P1DT2H") are accepted. Negative durations are rejected.
// Errors read like gcloud's ("Failed to parse duration: …").
func parseWaitDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if n, err := strconv.ParseInt(in, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("value must be greater than or equal to 0s; received: %s", s)
		}
		if n > math.MaxInt64/int64(time.Second) {
			return 0, fmt.Errorf("Failed to parse duration: value %s is too large", s)
		}
		return time.Duration(n) * time.Second, nil
	}
	if d, err := time.ParseDuration(in); err == nil {
		if d < 0 {
			return 0, fmt.Errorf("value must be greater than or equal to 0s; received: %s", s)
		}
		return d, nil
	}
	d, err := parseISODuration(in)
	if err != nil {
		return 0, fmt.Errorf("Failed to parse duration: %v", err)
	}
	if d < 0 {
		return 0, fmt.Errorf("value must be greater than or equal to 0s; received: %s", s)
	}
	return d, nil
}

// parseISODuration follows gcloud's iso_duration grammar: an optional sign
// and "P", then number+unit pairs (W, D, and after an optional "T": H, M, S;
// a trailing "ms", "us" or "ns"). Without "P", "M" means minutes. Years and
// months are not accepted: they have no fixed length.
func parseISODuration(s string) (time.Duration, error) {
	u := strings.ToUpper(s)
	sign := 1.0
	if strings.HasPrefix(u, "-") {
		sign, u = -1, u[1:]
	} else {
		u = strings.TrimPrefix(u, "+")
	}
	tImplied := true
	if strings.HasPrefix(u, "P") {
		u, tImplied = u[1:], false
	}
	if u == "" {
		return 0, fmt.Errorf("Duration must not be empty")
	}
	var total float64 // seconds
	tSeen := false
	num := ""
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c >= '0' && c <= '9':
			num += string(c)
			continue
		case c == '.' || c == ',':
			num += "."
			continue
		case c == 'T':
			if tSeen {
				return 0, fmt.Errorf("A duration may contain at most one 'T' separator")
			}
			tSeen, tImplied = true, true
			continue
		case num == "":
			rest := u[i:]
			if len(u) <= len(s) && strings.EqualFold(s[len(s)-len(u)+i:], rest) {
				rest = s[len(s)-len(u)+i:] // as the user wrote it, like gcloud
			}
			return 0, fmt.Errorf("Duration unit '%s' must be preceded by a number", rest)
		}
		n, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("Invalid number '%s' in duration", num)
		}
		num = ""
		switch {
		case c == 'W':
			total += n * 7 * 86400
		case c == 'D':
			total += n * 86400
		case (c == 'M' || c == 'U' || c == 'N') && i == len(u)-2 && u[i+1] == 'S':
			total += n / map[byte]float64{'M': 1e3, 'U': 1e6, 'N': 1e9}[c]
			i++
		case c == 'Y' || (c == 'M' && !tImplied):
			return 0, fmt.Errorf("Duration unit '%c' (years or months) is not supported here", c)
		case c == 'H':
			total += n * 3600
		case c == 'M':
			total += n * 60
		case c == 'S':
			total += n
		default:
			return 0, fmt.Errorf("Unknown character '%c' in duration", c)
		}
		tImplied = true
	}
	if num != "" {
		return 0, fmt.Errorf("Duration must end with time part character")
	}
	secs := sign * total
	if math.Abs(secs) > float64(math.MaxInt64)/float64(time.Second) {
		return 0, fmt.Errorf("Duration %s is too large", s)
	}
	return time.Duration(secs * float64(time.Second)), nil
}
