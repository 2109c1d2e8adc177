package wrap

import (
	"regexp"
	"strings"
	"sync"
)

// setProjectHelp is gcloud's _SET_PROJECT_HELP, appended to project errors.
const setProjectHelp = "To set your project, run:\n\n  $ gcloud config set project PROJECT_ID\n\nor to unset it, run:\n\n  $ gcloud config unset project"

// ErrNoProject is gcloud run deploy's error when no project is configured
// (exit status 1).
var ErrNoProject error = &ValueError{
	Command: "gcloud.run.deploy",
	Msg:     "The [project] resource is not properly specified. Please specify the argument [--project] on the command line or set the property [core/project].",
}

// validProject is gcloud's _VALID_PROJECT_REGEX (Python's "$" also matches
// before a final newline).
var validProject = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:(?:[-a-z0-9]{1,63}\.)*(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?):)?(?:[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)\n?\z`)
})

// Project resolves the project for run deploy: flag (when non-empty), then
// core/project (flag layer, CLOUDSDK_CORE_PROJECT, files). It validates the
// value like gcloud's core/project validator and calliope's
// RequireProjectID, with gcloud's messages:
//
//   - unset: ErrNoProject
//   - "": "The project property is set to the empty string, which is invalid." + help
//   - not an ID: "... not the project name [X]" or "... [X] is not a valid project ID." + help
//     (reported by "gcloud" rather than "gcloud.run.deploy" when it came from the flag)
//   - all digits: the "set to Project number" errors.
//
// All errors are *ValueError (exit status 1).
func (c *Config) Project(flag string) (string, error) {
	v, src, ok := flag, SourceFlag, flag != ""
	if !ok {
		v, src, ok = c.Lookup("core", "project")
	}
	if !ok {
		return "", ErrNoProject
	}
	if err := validateProject(v, src == SourceFlag); err != nil {
		return "", err
	}
	return v, nil
}

func validateProject(v string, fromFlag bool) error {
	cmd := "gcloud.run.deploy"
	if v == "" {
		return &ValueError{Command: cmd, Msg: "The project property is set to the empty string, which is invalid.\n" + setProjectHelp}
	}
	if fromFlag {
		// The flag's StoreProperty action validates while parsing.
		cmd = "gcloud"
	}
	if !validProject().MatchString(v) {
		if looksLikeProjectName(v) {
			return &ValueError{Command: cmd, Msg: "The project property must be set to a valid project ID, not the project name [" + v + "]\n" + setProjectHelp}
		}
		return &ValueError{Command: cmd, Msg: "The project property must be set to a valid project ID, [" + v + "] is not a valid project ID.\n" + setProjectHelp}
	}
	if isDigits(v) {
		if fromFlag {
			return &ValueError{Command: "gcloud.run.deploy", Msg: "The value of ``--project'' flag was set to Project number.To use this command, set it to PROJECT ID instead."}
		}
		return &ValueError{Command: "gcloud.run.deploy", Msg: "The value of ``core/project'' property is set to project number.To use this command, set ``--project'' flag to PROJECT ID or set ``core/project'' property to PROJECT ID."}
	}
	return nil
}

// looksLikeProjectName is gcloud's _LooksLikeAProjectName.
func looksLikeProjectName(p string) bool {
	if c := p[0]; c == '-' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' {
		return true
	}
	return strings.ContainsAny(p, " !\"'")
}

// isDigits is Python's str.isdigit for ASCII input.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ErrNoRegion is gcloud run deploy's error when no region is given and none
// can be prompted for (exit status 1). Region returns exactly this value when
// the region is unset, which is when gcloud would prompt.
var ErrNoRegion error = &ValueError{
	Command: "gcloud.run.deploy",
	Msg:     "You must specify a region. Either use the `--region` flag or set the run/region property.",
}

// Region resolves the region like gcloud's run flags.GetRegion: the flag when
// non-empty, then run/region if explicitly set (environment or files). When
// it is unset Region returns ErrNoRegion: the caller prompts (PromptRegion)
// if it can, else reports the error. A run/region explicitly set to "" is an
// error with the same text that is not ErrNoRegion (gcloud does not prompt
// then).
func (c *Config) Region(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	v, ok := c.Get("run", "region")
	if !ok {
		return "", ErrNoRegion
	}
	if v == "" {
		e := *ErrNoRegion.(*ValueError)
		return "", &e
	}
	return v, nil
}

// Account is core/account (--account, CLOUDSDK_CORE_ACCOUNT, files), or "".
func (c *Config) Account() string {
	v, _ := c.Get("core", "account")
	return v
}

// DisablePrompts reports core/disable_prompts (--quiet,
// CLOUDSDK_CORE_DISABLE_PROMPTS, files).
func (c *Config) DisablePrompts() bool {
	v, _ := c.GetBool("core", "disable_prompts")
	return v
}

// verbosities are gcloud's log.OrderedVerbosityNames.
var verbosities = []string{"debug", "info", "warning", "error", "critical", "none"}

// Verbosity is core/verbosity lower-cased, "warning" when unset or not one of
// debug, info, warning, error, critical, none (gcloud ignores invalid values
// from the environment and files).
func (c *Config) Verbosity() string {
	v, _ := c.Get("core", "verbosity")
	v = strings.ToLower(v)
	for _, n := range verbosities {
		if v == n {
			return v
		}
	}
	return "warning"
}

// BillingProject is billing/quota_project as set (--billing-project,
// CLOUDSDK_BILLING_QUOTA_PROJECT, files), or "" when unset.
func (c *Config) BillingProject() string {
	v, _ := c.Get("billing", "quota_project")
	return v
}

// QuotaProject is the X-Goog-User-Project value gcloud sends
// (creds.GetQuotaProject): with billing/quota_project unset, CURRENT_PROJECT
// or CURRENT_PROJECT_WITH_FALLBACK it is core/project for user credentials
// and "" for others; LEGACY gives ""; any other value is used as is.
func (c *Config) QuotaProject(userCredentials bool) string {
	q, ok := c.Get("billing", "quota_project")
	if !ok {
		q = "CURRENT_PROJECT"
	}
	switch q {
	case "CURRENT_PROJECT", "CURRENT_PROJECT_WITH_FALLBACK":
		if userCredentials {
			p, _ := c.Get("core", "project")
			return p
		}
		return ""
	case "LEGACY":
		return ""
	}
	return q
}

// ImpersonateServiceAccount is auth/impersonate_service_account
// ("SA" or "DELEGATE1,...,SA"), or "".
func (c *Config) ImpersonateServiceAccount() string {
	v, _ := c.Get("auth", "impersonate_service_account")
	return v
}

// AccessTokenFile is auth/access_token_file, or "".
func (c *Config) AccessTokenFile() string {
	v, _ := c.Get("auth", "access_token_file")
	return v
}

// CredentialFileOverride is auth/credential_file_override, or "".
func (c *Config) CredentialFileOverride() string {
	v, _ := c.Get("auth", "credential_file_override")
	return v
}

// LogHTTP reports core/log_http (--log-http, CLOUDSDK_CORE_LOG_HTTP, files).
func (c *Config) LogHTTP() bool {
	v, _ := c.GetBool("core", "log_http")
	return v
}

// UniverseDomain is core/universe_domain, default "googleapis.com".
func (c *Config) UniverseDomain() string {
	if v, ok := c.Get("core", "universe_domain"); ok && v != "" {
		return v
	}
	return "googleapis.com"
}

// CheckGCEMetadata reports core/check_gce_metadata (default true): whether
// the GCE metadata server may be probed for credentials.
func (c *Config) CheckGCEMetadata() bool {
	v, set := c.GetBool("core", "check_gce_metadata")
	return v || !set
}
