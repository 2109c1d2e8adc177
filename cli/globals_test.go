package cli

import (
	"path/filepath"
	"testing"

	"github.com/rundeploy/rundeploy/internal/gcloudtest"
	"github.com/rundeploy/rundeploy/wrap"
)

// env is a test environment for wrap.LoadConfig.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// configDir writes a gcloud configuration directory with the named
// configurations and the active one.
func configDir(t *testing.T, active string, configs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range configs {
		gcloudtest.WriteFile(t, dir, filepath.Join("configurations", "config_"+name), text)
	}
	gcloudtest.WriteFile(t, dir, "active_config", active)
	return dir
}

// configFrom loads the default configuration holding file, under e.
func configFrom(t *testing.T, e env, file string) *wrap.Config {
	t.Helper()
	e2 := env{"CLOUDSDK_CONFIG": configDir(t, "default", map[string]string{"default": file}), "PATH": t.TempDir()}
	for k, v := range e {
		e2[k] = v
	}
	c, err := wrap.LoadConfig(e2.get, "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestApplyGlobals(t *testing.T) {
	c := configFrom(t, env{
		"CLOUDSDK_CORE_PROJECT":         "env-proj",
		"CLOUDSDK_CORE_DISABLE_PROMPTS": "0",
		"CLOUDSDK_CORE_LOG_HTTP":        "true",
	}, "[core]\naccount = file@example.com\nverbosity = info\n")
	g := &Globals{
		Project:                   String{Set: true, Value: "flag-proj"},
		Quiet:                     Bool{Set: true, Value: true},
		LogHTTP:                   Bool{Set: true, Value: false},
		ImpersonateServiceAccount: String{Set: true, Value: "sa@p.iam.gserviceaccount.com"},
		AccessTokenFile:           String{Set: true, Value: "/tok"},
		BillingProject:            String{Set: true, Value: "bill"},
		CredentialFileOverride:    String{Set: true, Value: "/key.json"},
		UniverseDomain:            String{Set: true, Value: "example.net"},
	}
	g.Apply(c)
	checks := []struct {
		what string
		got  any
		want any
	}{
		{"project", must(c.Project("")), "flag-proj"},
		{"account (file, no flag)", c.Account(), "file@example.com"},
		{"disable prompts (--quiet over env 0)", c.DisablePrompts(), true},
		{"log http (--no-log-http over env)", c.LogHTTP(), false},
		{"verbosity (file)", c.Verbosity(), "info"},
		{"impersonate", c.ImpersonateServiceAccount(), "sa@p.iam.gserviceaccount.com"},
		{"access token file", c.AccessTokenFile(), "/tok"},
		{"billing", c.BillingProject(), "bill"},
		{"credential file override", c.CredentialFileOverride(), "/key.json"},
		{"universe", c.UniverseDomain(), "example.net"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.what, ch.got, ch.want)
		}
	}

	// Flags that were not given leave the properties alone.
	c2 := configFrom(t, env{"CLOUDSDK_CORE_DISABLE_PROMPTS": "1"}, "")
	(&Globals{}).Apply(c2)
	if !c2.DisablePrompts() || c2.LogHTTP() || c2.Verbosity() != "warning" || c2.UniverseDomain() != "googleapis.com" {
		t.Errorf("defaults: prompts=%v logHTTP=%v verbosity=%q universe=%q", c2.DisablePrompts(), c2.LogHTTP(), c2.Verbosity(), c2.UniverseDomain())
	}
}

func TestConfigurationAndGlobals(t *testing.T) {
	dir := configDir(t, "default", map[string]string{
		"default": "[core]\nproject = d\n",
		"other":   "[core]\nproject = o\n[run]\nregion = r\n",
	})
	g := &Globals{Configuration: String{Set: true, Value: "other"}, Account: String{Set: true, Value: "a@b.c"}}
	c, err := wrap.LoadConfig(env{"CLOUDSDK_CONFIG": dir, "PATH": t.TempDir()}.get, g.Configuration.Value)
	if err != nil {
		t.Fatal(err)
	}
	g.Apply(c)
	if c.Name != "other" || must(c.Project("")) != "o" || must(c.Region("")) != "r" || c.Account() != "a@b.c" {
		t.Errorf("got name=%q project=%q region=%q account=%q", c.Name, must(c.Project("")), must(c.Region("")), c.Account())
	}
}
