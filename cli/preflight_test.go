package cli

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rundeploy/rundeploy/wrap"
)

func TestWaitDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{in: "300", want: 300 * time.Second},
		{in: "0", want: 0},
		{in: "5m", want: 5 * time.Minute},
		{in: "1m30s", want: 90 * time.Second},
		{in: "1.5h", want: 90 * time.Minute},
		{in: "500ms", want: 500 * time.Millisecond},
		{in: "1h5m", want: 65 * time.Minute},
		{in: "2d", want: 48 * time.Hour},
		{in: "1w", want: 7 * 24 * time.Hour},
		{in: "PT5M", want: 5 * time.Minute},
		{in: "pt10s", want: 10 * time.Second},
		{in: "P1DT2H", want: 26 * time.Hour},
		{in: "1,5m", want: 90 * time.Second},
		{in: "2S", want: 2 * time.Second},
		{in: "abc", err: "Failed to parse duration: Duration unit 'abc' must be preceded by a number"},
		{in: "5x", err: "Failed to parse duration: Unknown character 'X' in duration"},
		{in: "5", want: 5 * time.Second},
		{in: "-5", err: "value must be greater than or equal to 0s; received: -5"},
		{in: "-5m", err: "value must be greater than or equal to 0s; received: -5m"},
		{in: "-P1D", err: "value must be greater than or equal to 0s; received: -P1D"},
		{in: "5m3", err: "Duration must end with time part character"},
		{in: "P1M", err: "years or months"},
		{in: "1Y", err: "years or months"},
		{in: "PT1H2HT", err: "at most one 'T'"},
		{in: "", err: "Duration must not be empty"},
		{in: "P", err: "Duration must not be empty"},
		{in: "99999999999999999999", err: "Failed to parse duration"},
		{in: "9999999999999d", err: "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseWaitDuration(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parseWaitDuration(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseWaitDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func FuzzWaitDuration(f *testing.F) {
	for _, s := range []string{"300", "5m", "PT5M", "1h5m", "2d", "-P1D", "1.5m", "5m3", "P1M", "xyzzy", "ǅ", "1ms", "T"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseWaitDuration(s)
		if err == nil && d < 0 {
			t.Fatalf("parseWaitDuration(%q) = %v, negative", s, d)
		}
		if err != nil && d != 0 {
			t.Fatalf("parseWaitDuration(%q) = %v with error %v", s, d, err)
		}
	})
}

func TestFlagsSettings(t *testing.T) {
	tests := []struct {
		name    string
		flags   PreflightFlags
		scope   string
		timeout time.Duration
		enabled bool
		err     string
	}{
		{name: "defaults", scope: ScopeRepository, timeout: 5 * time.Minute, enabled: true},
		{name: "project scope", flags: PreflightFlags{GrantScope: String{Set: true, Value: "project"}}, scope: ScopeProject, timeout: 5 * time.Minute, enabled: true},
		{name: "gcloud timeout", flags: PreflightFlags{PropagationTimeout: String{Set: true, Value: "600"}}, scope: ScopeRepository, timeout: 10 * time.Minute, enabled: true},
		{name: "no preflight", flags: PreflightFlags{Preflight: Bool{Set: true}}, scope: ScopeRepository, timeout: 5 * time.Minute},
		{name: "bad scope", flags: PreflightFlags{GrantScope: String{Set: true, Value: "org"}},
			err: "argument --grant-scope: Invalid choice: 'org'.\n\nValid choices are [project, repository]."},
		{name: "scope prefix", flags: PreflightFlags{GrantScope: String{Set: true, Value: "repo"}},
			err: "argument --grant-scope: Invalid choice: 'repo'. Did you mean 'repository'?"},
		{name: "bad timeout", flags: PreflightFlags{PropagationTimeout: String{Set: true, Value: "soon"}},
			err: "argument --propagation-timeout: Failed to parse duration: Duration unit 'soon' must be preceded by a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.flags.Validate()
			if tt.err != "" {
				var ae *wrap.ArgumentError
				if !errors.As(err, &ae) || err.Error() != tt.err {
					t.Fatalf("Validate() = %v, want wrap.ArgumentError %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s, _ := tt.flags.Scope()
			d, _ := tt.flags.Timeout()
			if s != tt.scope || d != tt.timeout || tt.flags.Enabled() != tt.enabled {
				t.Errorf("Scope() = %q, Timeout() = %v, Enabled() = %v", s, d, tt.flags.Enabled())
			}
		})
	}
}
