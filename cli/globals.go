package cli

import "github.com/rundeploy/rundeploy/wrap"

// Globals are the gcloud-wide flags that `gcloud run deploy` accepts. Each
// one overrides the property gcloud would otherwise read from CLOUDSDK_*
// environment variables or the active named configuration.
type Globals struct {
	Project                   String `name:"project" help:"The Google Cloud project ID to use for this invocation."`
	Quiet                     Bool   `name:"quiet" short:"q" negatable:"" help:"Disable all interactive prompts when running commands."`
	Format                    String `name:"format" help:"Set the format for printing command output resources (json, yaml, none, value(...), get(...))."`
	Verbosity                 String `name:"verbosity" help:"Override the default verbosity for this command: debug, info, warning, error, critical, none."`
	Account                   String `name:"account" help:"Google Cloud user account to use for invocation."`
	ImpersonateServiceAccount String `name:"impersonate-service-account" help:"For this gcloud invocation, all API requests will be made as the given service account or target service account in an impersonation delegation chain."`
	AccessTokenFile           String `name:"access-token-file" help:"A file path to read the access token."`
	Configuration             String `name:"configuration" help:"File name of the configuration to use for this command invocation."`
	FlagsFile                 String `name:"flags-file" placeholder:"YAML_FILE" help:"A YAML or JSON file that specifies a --flag : value dictionary."`
	BillingProject            String `name:"billing-project" help:"The Google Cloud project that will be charged quota for operations performed in gcloud."`
	LogHTTP                   Bool   `name:"log-http" negatable:"" help:"Log all HTTP server requests and responses to stderr."`
	UserOutputEnabled         Bool   `name:"user-output-enabled" negatable:"" help:"Print user intended output to the console."`
	TraceToken                String `name:"trace-token" help:"Token used to route traces of service requests for investigation of issues."`
	Flatten                   List   `name:"flatten" help:"Flatten name[] output resource slices in KEY into separate records for each item in each slice."`

	// Hidden gcloud-wide flags.
	UniverseDomain         String `name:"universe-domain" hidden:""`
	AuthoritySelector      String `name:"authority-selector" hidden:""`
	AuthorizationTokenFile String `name:"authorization-token-file" hidden:""`
	CredentialFileOverride String `name:"credential-file-override" hidden:""`
	HTTPTimeout            String `name:"http-timeout" hidden:""`
	Document               String `name:"document" hidden:""`
}

// Apply records the gcloud-wide flags that were given as flag-level
// properties, exactly as gcloud's StoreProperty actions do: --project sets
// core/project, --quiet sets core/disable_prompts to True, and so on.
// Flags that were not given leave the property to the environment and files.
func (g *Globals) Apply(c *wrap.Config) {
	str := func(f String, section, name string) {
		if f.Set {
			c.SetFlag(section, name, f.Value)
		}
	}
	boolean := func(f Bool, section, name string) {
		if f.Set {
			v := "False"
			if f.Value {
				v = "True"
			}
			c.SetFlag(section, name, v)
		}
	}
	str(g.Project, "core", "project")
	str(g.Account, "core", "account")
	str(g.ImpersonateServiceAccount, "auth", "impersonate_service_account")
	str(g.AccessTokenFile, "auth", "access_token_file")
	str(g.BillingProject, "billing", "quota_project")
	str(g.Verbosity, "core", "verbosity")
	str(g.TraceToken, "core", "trace_token")
	str(g.UniverseDomain, "core", "universe_domain")
	str(g.AuthoritySelector, "auth", "authority_selector")
	str(g.AuthorizationTokenFile, "auth", "authorization_token_file")
	str(g.CredentialFileOverride, "auth", "credential_file_override")
	str(g.HTTPTimeout, "core", "http_timeout")
	if g.Quiet.Set && g.Quiet.Value {
		// StoreConstProperty(core/disable_prompts, True): there is no
		// --no-quiet in gcloud.
		c.SetFlag("core", "disable_prompts", "True")
	}
	boolean(g.LogHTTP, "core", "log_http")
	boolean(g.UserOutputEnabled, "core", "user_output_enabled")
}
