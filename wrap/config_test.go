package wrap

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rundeploy/rundeploy/internal/gcloudtest"
)

// newConfigDir makes a gcloud config directory with the given named
// configurations (name -> file text) and active_config content ("" = none).
func newConfigDir(t *testing.T, active string, configs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range configs {
		gcloudtest.WriteFile(t, dir, filepath.Join("configurations", "config_"+name), text)
	}
	if active != "" {
		gcloudtest.WriteFile(t, dir, "active_config", active)
	}
	return dir
}

func TestLoadConfigActiveConfiguration(t *testing.T) {
	configs := map[string]string{
		"default": "[core]\nproject = from-default\n",
		"other":   "[core]\nproject = from-other\n",
	}
	tests := []struct {
		name        string
		active      string // active_config file
		env         env
		flag        string
		wantName    string
		wantProject string // "" = unset
	}{
		{name: "no active_config: default", wantName: "default", wantProject: "from-default"},
		{name: "active_config file", active: "other", wantName: "other", wantProject: "from-other"},
		{name: "env beats file", active: "other", env: env{"CLOUDSDK_ACTIVE_CONFIG_NAME": "default"}, wantName: "default", wantProject: "from-default"},
		{name: "flag beats env", active: "default", env: env{"CLOUDSDK_ACTIVE_CONFIG_NAME": "default"}, flag: "other", wantName: "other", wantProject: "from-other"},
		{name: "empty env ignored", active: "other", env: env{"CLOUDSDK_ACTIVE_CONFIG_NAME": ""}, wantName: "other", wantProject: "from-other"},
		{name: "NONE flag: no config", flag: "NONE", wantName: "NONE"},
		{name: "NONE in active_config", active: "NONE", wantName: "NONE"},
		{name: "missing configuration is empty", flag: "nonexist", wantName: "nonexist"},
		{name: "invalid name from flag used as given", flag: "BAD_NAME", wantName: "BAD_NAME"},
		{name: "invalid name in active_config ignored", active: "Bad_Name", wantName: "default", wantProject: "from-default"},
		// Python's "$" accepts the newline, so gcloud uses an empty
		// configuration named "other\n" (verified with gcloud 528).
		{name: "active_config with newline", active: "other\n", wantName: "other\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newConfigDir(t, tt.active, configs)
			e := env{"CLOUDSDK_CONFIG": dir, "PATH": t.TempDir()}
			for k, v := range tt.env {
				e[k] = v
			}
			c, err := LoadConfig(e.get, tt.flag)
			if err != nil {
				t.Fatal(err)
			}
			if c.Name != tt.wantName {
				t.Errorf("Name = %q, want %q", c.Name, tt.wantName)
			}
			wantPath := filepath.Join(dir, "configurations", "config_"+tt.wantName)
			if tt.wantName == "NONE" {
				wantPath = ""
			}
			if c.Path != wantPath {
				t.Errorf("Path = %q, want %q", c.Path, wantPath)
			}
			got, ok := c.Get("core", "project")
			if got != tt.wantProject || ok != (tt.wantProject != "") {
				t.Errorf("core/project = %q, %v; want %q", got, ok, tt.wantProject)
			}
		})
	}
}

func TestLoadConfigPrecedence(t *testing.T) {
	dir := newConfigDir(t, "default", map[string]string{
		"default": "[core]\nproject = file-proj\naccount = file@example.com\n\n[run]\nregion = europe-west1\n\n[api_endpoint_overrides]\nrun = http://run.fake:8765/\n",
	})
	c, err := LoadConfig(env{
		"CLOUDSDK_CONFIG":       dir,
		"PATH":                  t.TempDir(),
		"CLOUDSDK_CORE_PROJECT": "env-proj",
		"CLOUDSDK_RUN_REGION":   "us-east1",
	}.get, "")
	if err != nil {
		t.Fatal(err)
	}
	c.SetFlag("core", "account", "flag@example.com")
	tests := []struct {
		section, name string
		want          string
		src           Source
	}{
		{"core", "project", "env-proj", SourceEnv},
		{"run", "region", "us-east1", SourceEnv},
		{"core", "account", "flag@example.com", SourceFlag},
		{"api_endpoint_overrides", "run", "http://run.fake:8765/", SourceFile},
		{"core", "verbosity", "", SourceUnset},
	}
	for _, tt := range tests {
		v, src, ok := c.Lookup(tt.section, tt.name)
		if v != tt.want || src != tt.src || ok != (tt.src != SourceUnset) {
			t.Errorf("Lookup(%s/%s) = %q, %v, %v; want %q, %v", tt.section, tt.name, v, src, ok, tt.want, tt.src)
		}
	}
	if got := c.Endpoint("run"); got != "http://run.fake:8765/" {
		t.Errorf("Endpoint(run) = %q", got)
	}
	if got := c.RESTEndpoint("run"); got != "http://run.fake:8765" {
		t.Errorf("RESTEndpoint(run) = %q", got)
	}
}

// An empty CLOUDSDK_* variable is a value (""), not unset — gcloud reports
// "The project property is set to the empty string" for CLOUDSDK_CORE_PROJECT=.
// Only the real environment can express that.
func TestEmptyEnvironmentVariableIsSet(t *testing.T) {
	dir := newConfigDir(t, "default", map[string]string{"default": "[core]\nproject = file-proj\n"})
	t.Setenv("CLOUDSDK_CONFIG", dir)
	t.Setenv("CLOUDSDK_CORE_PROJECT", "")
	t.Setenv("CLOUDSDK_RUN_REGION", "")
	t.Setenv("PATH", t.TempDir())
	c, err := LoadConfig(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := c.Get("core", "project"); v != "" || !ok {
		t.Errorf("core/project = %q, %v; want \"\", true", v, ok)
	}
	_, err = c.Project("")
	var ve *ValueError
	if !errors.As(err, &ve) || !strings.HasPrefix(ve.Msg, "The project property is set to the empty string, which is invalid.\nTo set your project, run:") {
		t.Errorf("Project error = %v", err)
	}
	_, err = c.Region("")
	if err == nil || errors.Is(err, ErrNoRegion) || err.Error() != ErrNoRegion.Error() {
		t.Errorf("Region error = %v; want gcloud's text but not ErrNoRegion (no prompt)", err)
	}
}

func TestLoadConfigInstallationProperties(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX stand-in gcloud")
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, ".install"), 0o755); err != nil {
		t.Fatal(err)
	}
	gcloudtest.WriteFile(t, root, "properties", "[core]\nproject = install-proj\naccount = install@example.com\n")
	gcloudtest.WriteFake(t, filepath.Join(root, "bin"), gcloudtest.Fake{})
	// gcloud is found through a symlink in another PATH directory, as with
	// /usr/bin/gcloud -> ../lib/google-cloud-sdk/bin/gcloud.
	pathDir := t.TempDir()
	if err := os.Symlink(filepath.Join(root, "bin", "gcloud"), filepath.Join(pathDir, "gcloud")); err != nil {
		t.Fatal(err)
	}
	dir := newConfigDir(t, "default", map[string]string{"default": "[core]\nproject = user-proj\n"})
	c, err := LoadConfig(env{"CLOUDSDK_CONFIG": dir, "PATH": pathDir}.get, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.InstallationPath != filepath.Join(root, "properties") {
		t.Errorf("InstallationPath = %q", c.InstallationPath)
	}
	if v, _ := c.Get("core", "project"); v != "user-proj" {
		t.Errorf("named configuration must override the installation: project = %q", v)
	}
	if v, _ := c.Get("core", "account"); v != "install@example.com" {
		t.Errorf("account = %q, want the installation's", v)
	}

	// Without .install there is no SDK root and no installation file.
	if err := os.Remove(filepath.Join(root, ".install")); err != nil {
		t.Fatal(err)
	}
	c, err = LoadConfig(env{"CLOUDSDK_CONFIG": dir, "PATH": pathDir}.get, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.InstallationPath != "" || c.Account() != "" {
		t.Errorf("InstallationPath = %q, account = %q; want none", c.InstallationPath, c.Account())
	}
}

func TestLoadConfigLegacyProperties(t *testing.T) {
	dir := t.TempDir()
	gcloudtest.WriteFile(t, dir, "properties", "[core]\nproject = legacy\n")
	c, err := LoadConfig(env{"CLOUDSDK_CONFIG": dir, "PATH": t.TempDir()}.get, "")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Get("core", "project"); v != "legacy" {
		t.Errorf("project = %q, want legacy", v)
	}
	// Once migrated (header written), the legacy file is ignored.
	gcloudtest.WriteFile(t, dir, "properties", legacyDeprecation+"[core]\nproject = legacy\n")
	gcloudtest.WriteFile(t, dir, "configurations/config_default", "[core]\nproject = migrated\n")
	c, err = LoadConfig(env{"CLOUDSDK_CONFIG": dir, "PATH": t.TempDir()}.get, "")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Get("core", "project"); v != "migrated" {
		t.Errorf("project = %q, want migrated", v)
	}
}

func TestLoadConfigParseError(t *testing.T) {
	dir := newConfigDir(t, "default", map[string]string{"default": "[core]\nproject\n"})
	_, err := LoadConfig(env{"CLOUDSDK_CONFIG": dir, "PATH": t.TempDir()}.get, "")
	var pe *PropertiesError
	if !errors.As(err, &pe) || pe.Line != 2 || pe.Path != filepath.Join(dir, "configurations", "config_default") {
		t.Fatalf("err = %#v", err)
	}
}

func TestConfigDir(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX layout")
	}
	tests := []struct {
		env  env
		want string
	}{
		{env{"CLOUDSDK_CONFIG": "/x/gc", "HOME": "/home/u"}, "/x/gc"},
		{env{"HOME": "/home/u"}, "/home/u/.config/gcloud"},
		{env{"CLOUDSDK_CONFIG": "", "HOME": "/home/v"}, "/home/v/.config/gcloud"},
	}
	for _, tt := range tests {
		if got := ConfigDir(tt.env.get); got != tt.want {
			t.Errorf("ConfigDir(%v) = %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestEnvName(t *testing.T) {
	tests := [][3]string{
		{"core", "project", "CLOUDSDK_CORE_PROJECT"},
		{"run", "region", "CLOUDSDK_RUN_REGION"},
		{"core", "disable_prompts", "CLOUDSDK_CORE_DISABLE_PROMPTS"},
		{"auth", "access_token_file", "CLOUDSDK_AUTH_ACCESS_TOKEN_FILE"},
		{"api_endpoint_overrides", "run", "CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN"},
	}
	for _, tt := range tests {
		if got := EnvName(tt[0], tt[1]); got != tt[2] {
			t.Errorf("EnvName(%s, %s) = %s, want %s", tt[0], tt[1], got, tt[2])
		}
	}
}

func TestParseBool(t *testing.T) {
	tests := []struct {
		in         string
		value, set bool
	}{
		{"true", true, true}, {"True", true, true}, {"1", true, true}, {"yes", true, true},
		{"Y", true, true}, {"on", true, true}, {"ON", true, true},
		{"false", false, true}, {"0", false, true}, {"no", false, true}, {"off", false, true},
		{"", false, true}, {"maybe", false, true}, {" true", false, true},
		{"none", false, false}, {"None", false, false},
	}
	for _, tt := range tests {
		v, s := ParseBool(tt.in)
		if v != tt.value || s != tt.set {
			t.Errorf("ParseBool(%q) = %v, %v; want %v, %v", tt.in, v, s, tt.value, tt.set)
		}
	}
}
