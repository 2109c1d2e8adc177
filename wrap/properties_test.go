package wrap

import (
	"errors"
	"testing"
)

func configFrom(t *testing.T, e env, file string) *Config {
	t.Helper()
	dir := newConfigDir(t, "default", map[string]string{"default": file})
	e2 := env{"CLOUDSDK_CONFIG": dir, "PATH": t.TempDir()}
	for k, v := range e {
		e2[k] = v
	}
	c, err := LoadConfig(e2.get, "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Messages verified with gcloud 528 `gcloud run deploy` (see the task notes).
func TestProject(t *testing.T) {
	const help = "\nTo set your project, run:\n\n  $ gcloud config set project PROJECT_ID\n\nor to unset it, run:\n\n  $ gcloud config unset project"
	tests := []struct {
		name    string
		env     env
		file    string
		flag    string
		want    string
		wantCmd string
		wantMsg string
	}{
		{name: "flag", flag: "p1", env: env{"CLOUDSDK_CORE_PROJECT": "p2"}, want: "p1"},
		{name: "env", env: env{"CLOUDSDK_CORE_PROJECT": "p2"}, file: "[core]\nproject = p3\n", want: "p2"},
		{name: "file", file: "[core]\nproject = p3\n", want: "p3"},
		{name: "domain-scoped", flag: "google.com:foo", want: "google.com:foo"},
		{name: "legacy leading digit", flag: "1abc", want: "1abc"},
		{name: "missing", wantCmd: "gcloud.run.deploy",
			wantMsg: "The [project] resource is not properly specified. Please specify the argument [--project] on the command line or set the property [core/project]."},
		{name: "empty in file", file: "[core]\nproject =\n", wantCmd: "gcloud.run.deploy",
			wantMsg: "The project property is set to the empty string, which is invalid." + help},
		{name: "name from flag", flag: "My Project", wantCmd: "gcloud",
			wantMsg: "The project property must be set to a valid project ID, not the project name [My Project]" + help},
		{name: "name from env", env: env{"CLOUDSDK_CORE_PROJECT": "My Project"}, wantCmd: "gcloud.run.deploy",
			wantMsg: "The project property must be set to a valid project ID, not the project name [My Project]" + help},
		{name: "upper case", flag: "Bad_proj", wantCmd: "gcloud",
			wantMsg: "The project property must be set to a valid project ID, not the project name [Bad_proj]" + help},
		{name: "underscore", env: env{"CLOUDSDK_CORE_PROJECT": "bad_x"}, wantCmd: "gcloud.run.deploy",
			wantMsg: "The project property must be set to a valid project ID, [bad_x] is not a valid project ID." + help},
		{name: "quote", flag: "a'b", wantCmd: "gcloud",
			wantMsg: "The project property must be set to a valid project ID, not the project name [a'b]" + help},
		{name: "number from flag", flag: "123456", wantCmd: "gcloud.run.deploy",
			wantMsg: "The value of ``--project'' flag was set to Project number.To use this command, set it to PROJECT ID instead."},
		{name: "number from property", env: env{"CLOUDSDK_CORE_PROJECT": "123456"}, wantCmd: "gcloud.run.deploy",
			wantMsg: "The value of ``core/project'' property is set to project number.To use this command, set ``--project'' flag to PROJECT ID or set ``core/project'' property to PROJECT ID."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := configFrom(t, tt.env, tt.file)
			got, err := c.Project(tt.flag)
			if tt.wantMsg == "" {
				if err != nil || got != tt.want {
					t.Fatalf("Project(%q) = %q, %v; want %q", tt.flag, got, err, tt.want)
				}
				return
			}
			var ve *ValueError
			if !errors.As(err, &ve) {
				t.Fatalf("Project(%q) = %q, %v; want a ValueError", tt.flag, got, err)
			}
			if ve.Msg != tt.wantMsg || ve.Command != tt.wantCmd || ve.ExitCode() != 1 {
				t.Errorf("error = (%s) %q\nwant   (%s) %q", ve.Command, ve.Msg, tt.wantCmd, tt.wantMsg)
			}
		})
	}
	if c := configFrom(t, nil, ""); true {
		if _, err := c.Project(""); err != ErrNoProject {
			t.Errorf("missing project: err = %v, want ErrNoProject", err)
		}
	}
}

func TestRegion(t *testing.T) {
	tests := []struct {
		name    string
		env     env
		file    string
		flag    string
		want    string
		wantErr error
	}{
		{name: "flag", flag: "us-central1", env: env{"CLOUDSDK_RUN_REGION": "x"}, want: "us-central1"},
		{name: "env", env: env{"CLOUDSDK_RUN_REGION": "europe-west1"}, file: "[run]\nregion = asia-east1\n", want: "europe-west1"},
		{name: "file", file: "[run]\nregion = asia-east1\n", want: "asia-east1"},
		{name: "no compute/region fallback", file: "[compute]\nregion = asia-east1\n", wantErr: ErrNoRegion},
		{name: "unset", wantErr: ErrNoRegion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := configFrom(t, tt.env, tt.file)
			got, err := c.Region(tt.flag)
			if got != tt.want || err != tt.wantErr {
				t.Errorf("Region(%q) = %q, %v; want %q, %v", tt.flag, got, err, tt.want, tt.wantErr)
			}
		})
	}
	if got := ErrNoRegion.Error(); got != "You must specify a region. Either use the `--region` flag or set the run/region property." {
		t.Errorf("ErrNoRegion = %q", got)
	}
	c := configFrom(t, nil, "[run]\nregion =\n")
	if _, err := c.Region(""); err == nil || err == ErrNoRegion || err.Error() != ErrNoRegion.Error() {
		t.Errorf("explicit empty region: err = %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestVerbosity(t *testing.T) {
	for in, want := range map[string]string{"": "warning", "debug": "debug", "DEBUG": "debug", "none": "none", "foo": "warning", "critical": "critical"} {
		c := configFrom(t, env{"CLOUDSDK_CORE_VERBOSITY": in}, "")
		if got := c.Verbosity(); got != want {
			t.Errorf("verbosity %q -> %q, want %q", in, got, want)
		}
	}
}

func TestQuotaProject(t *testing.T) {
	tests := []struct {
		quota string
		user  bool
		want  string
	}{
		{"", true, "proj"},
		{"", false, ""},
		{"CURRENT_PROJECT", true, "proj"},
		{"CURRENT_PROJECT_WITH_FALLBACK", false, ""},
		{"LEGACY", true, ""},
		{"billing-proj", false, "billing-proj"},
	}
	for _, tt := range tests {
		e := env{"CLOUDSDK_CORE_PROJECT": "proj"}
		if tt.quota != "" {
			e["CLOUDSDK_BILLING_QUOTA_PROJECT"] = tt.quota
		}
		c := configFrom(t, e, "")
		if got := c.QuotaProject(tt.user); got != tt.want {
			t.Errorf("QuotaProject(quota=%q, user=%v) = %q, want %q", tt.quota, tt.user, got, tt.want)
		}
	}
}

func TestCheckGCEMetadata(t *testing.T) {
	for in, want := range map[string]bool{"": true, "false": false, "0": false, "true": true, "none": true} {
		e := env{}
		if in != "" {
			e["CLOUDSDK_CORE_CHECK_GCE_METADATA"] = in
		}
		if got := configFrom(t, e, "").CheckGCEMetadata(); got != want {
			t.Errorf("check_gce_metadata=%q -> %v, want %v", in, got, want)
		}
	}
}
