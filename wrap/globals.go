package wrap

import "github.com/rundeploy/rundeploy/deploy"

// Globals are the gcloud-wide flags that `gcloud run deploy` accepts. Each
// one overrides the property gcloud would otherwise read from CLOUDSDK_*
// environment variables or the active named configuration.
type Globals struct {
	Project                   deploy.String `name:"project" help:"The Google Cloud project ID to use for this invocation."`
	Quiet                     deploy.Bool   `name:"quiet" short:"q" negatable:"" help:"Disable all interactive prompts when running commands."`
	Format                    deploy.String `name:"format" help:"Set the format for printing command output resources (json, yaml, none, value(...), get(...))."`
	Verbosity                 deploy.String `name:"verbosity" help:"Override the default verbosity for this command: debug, info, warning, error, critical, none."`
	Account                   deploy.String `name:"account" help:"Google Cloud user account to use for invocation."`
	ImpersonateServiceAccount deploy.String `name:"impersonate-service-account" help:"For this gcloud invocation, all API requests will be made as the given service account or target service account in an impersonation delegation chain."`
	AccessTokenFile           deploy.String `name:"access-token-file" help:"A file path to read the access token."`
	Configuration             deploy.String `name:"configuration" help:"File name of the configuration to use for this command invocation."`
	FlagsFile                 deploy.String `name:"flags-file" placeholder:"YAML_FILE" help:"A YAML or JSON file that specifies a --flag : value dictionary."`
	BillingProject            deploy.String `name:"billing-project" help:"The Google Cloud project that will be charged quota for operations performed in gcloud."`
	LogHTTP                   deploy.Bool   `name:"log-http" negatable:"" help:"Log all HTTP server requests and responses to stderr."`
	UserOutputEnabled         deploy.Bool   `name:"user-output-enabled" negatable:"" help:"Print user intended output to the console."`
	TraceToken                deploy.String `name:"trace-token" help:"Token used to route traces of service requests for investigation of issues."`
	Flatten                   deploy.List   `name:"flatten" help:"Flatten name[] output resource slices in KEY into separate records for each item in each slice."`

	// Hidden gcloud-wide flags.
	UniverseDomain         deploy.String `name:"universe-domain" hidden:""`
	AuthoritySelector      deploy.String `name:"authority-selector" hidden:""`
	AuthorizationTokenFile deploy.String `name:"authorization-token-file" hidden:""`
	CredentialFileOverride deploy.String `name:"credential-file-override" hidden:""`
	HTTPTimeout            deploy.String `name:"http-timeout" hidden:""`
	Document               deploy.String `name:"document" hidden:""`
}
