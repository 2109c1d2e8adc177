package wrap

import "testing"

func TestEndpoints(t *testing.T) {
	c := configFrom(t, env{
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN":              "http://run.fake:8765/",
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_ARTIFACTREGISTRY": "http://127.0.0.1:9/ar/",
	}, "[api_endpoint_overrides]\nrun = http://ignored/\ncloudresourcemanager = https://crm.example.com/\noauth2 = http://127.0.0.1:1/\n")
	tests := []struct{ api, endpoint, rest string }{
		{APIRun, "http://run.fake:8765/", "http://run.fake:8765"},
		{APIArtifactRegistry, "http://127.0.0.1:9/ar/", "http://127.0.0.1:9/ar"},
		{APICloudResourceManager, "https://crm.example.com/", "https://crm.example.com"},
		{APIOAuth2, "http://127.0.0.1:1/", "http://127.0.0.1:1"},
		{APIIAMCredentials, "", ""},
		{APIPolicyTroubleshooter, "", ""},
	}
	for _, tt := range tests {
		if got := c.Endpoint(tt.api); got != tt.endpoint {
			t.Errorf("Endpoint(%s) = %q, want %q", tt.api, got, tt.endpoint)
		}
		if got := c.RESTEndpoint(tt.api); got != tt.rest {
			t.Errorf("RESTEndpoint(%s) = %q, want %q", tt.api, got, tt.rest)
		}
	}
}
