package wrap

import (
	"strings"
)

// APIs whose endpoints rundeploy calls; each honours gcloud's
// api_endpoint_overrides/<api> property (CLOUDSDK_API_ENDPOINT_OVERRIDES_<API>).
const (
	APIRun                  = "run"
	APIArtifactRegistry     = "artifactregistry"
	APICloudResourceManager = "cloudresourcemanager"
	APIIAMCredentials       = "iamcredentials"
	APIPolicyTroubleshooter = "policytroubleshooter"
	APIOAuth2               = "oauth2"
)

// Endpoint returns the property api_endpoint_overrides/<api> (flag layer,
// CLOUDSDK_API_ENDPOINT_OVERRIDES_<API>, or the [api_endpoint_overrides]
// section of the properties files) as written, or "" when unset.
func (c *Config) Endpoint(api string) string {
	v, _ := c.Get("api_endpoint_overrides", api)
	return v
}

// RESTEndpoint is the base URL to pass to option.WithEndpoint for the REST
// client of api: the override with its trailing "/" removed, "" meaning the
// library default. gcloud overrides name the API root ("http://host:port/"),
// and the Go REST clients append "/v2/...", "/v1/..." themselves, so for run
// "http://run.fake:8765/" becomes "http://run.fake:8765".
func (c *Config) RESTEndpoint(api string) string {
	return strings.TrimRight(c.Endpoint(api), "/")
}
