package cli

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/rundeploy/rundeploy/wrap"
)

// TestParseDuration pins ParseDuration to gcloud 528's times.ParseDuration
// (default unit "s") and arg_parsers.Duration's rounding: every row was
// produced by running gcloud's own code on the input.
func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		err  string
	}{
		{"300", 300, ""},
		{"10m5s", 605, ""},
		{"1h", 3600, ""},
		{"5m30s", 330, ""},
		{"PT1M", 60, ""},
		{"1.5m", 90, ""},
		{"2h1s", 7201, ""},
		{"1", 1, ""},
		{"", 0, ""},
		{"0", 0, ""},
		{"-5", -5, ""},
		{"abc", 0, "Duration unit 'abc' must be preceded by a number."},
		{"10x", 0, "Unknown character 'X' in duration."},
		{"1h2", 0, "Duration must end with time part character."},
		{"TT1S", 0, "A duration may contain at most one 'T' separator."},
		{"500ms", 0.5, ""},
		{"1x", 0, "Unknown character 'X' in duration."},
		{"-1", -1, ""},
		{"1.5", 0, "Duration must end with time part character."},
		{"PT", 0, ""},
		{"P0", 0, ""},
		{"10mm", 0, "Duration unit 'm' must be preceded by a number."},
		{"1TT", 0, "A duration may contain at most one 'T' separator."},
		{"s", 0, "Duration unit 's' must be preceded by a number."},
		{"PTs", 0, "Duration unit 'Ts' must be preceded by a number."},
		{"0.5s", 0.5, ""},
		{"1.2.3s", 0, "could not convert string to float: '1.2.3'"},
		{"-.s", 0, "could not convert string to float: '-.'"},
		{".s", 0, "could not convert string to float: '.'"},
		{"1_0x", 0, "Unknown character '_' in duration."},
		{"1_0", 10, ""},
		{"+5", 5, ""},
		{" 7 ", 7, ""},
		{"999ms", 0.999, ""},
		{"0.99999s", 1, ""},
		{"P1D", 86400, ""},
		{"P1DT2H", 93600, ""},
		{"P1Y", 31556926, ""},
		{"P1.5Y", 47335389.04, ""},
		{"P2M", 5259488, ""},
		{"P1M2DT3H4M5S", 2813589, ""},
		{"1.23456s", 1.2346, ""},
		{"1W", 604800, ""},
		{"P1W", 604800, ""},
		{"2d", 172800, ""},
		{"36h", 129600, ""},
		{"1.5h", 5400, ""},
		{"-P1D", -86400, ""},
		{"+PT5S", 5, ""},
		{"1,5s", 1.5, ""},
		{"5us", 0, ""},
		{"5ns", 0, ""},
		{"5ms1", 0, "Duration unit 's1' must be preceded by a number."},
		{"3m2ms", 180.002, ""},
		{"PT1.5M", 90, ""},
		{"P400D", 34494526, ""},
		{"-P400D", -34494526, ""},
		{"P1.3M", 3407344, ""},
		{"0.00001s", 0, ""},
		{"1e5", 0, "Unknown character 'E' in duration."},
		{"١٢s", 12, ""},
		{"P", 0, ""},
		{"T", 0, ""},
		{"-", 0, ""},
		{"+", 0, ""},
		{"1s2s", 3, ""},
		{"1d2h3m4s", 93784, ""},
		{"90061", 90061, ""},
		{"1H1M", 3660, ""},
		{"p1dt1h", 90000, ""},
		{"1y", 31556926, ""},
		{"12M", 720, ""},
		{"P12M", 31556926, ""},
		{"1.9999999s", 2, ""},
		{"59.99999s", 60, ""},
		{"3599.99999s", 3600, ""},
		{"1000000000", 1000000000, ""},
		{"PT36H", 129600, ""},
		{"P0.5D", 43200, ""},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseDuration(%q) = %v, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// FuzzParseDuration: the parser never panics, returns finite values
// rounded to 4 decimals, and its errors carry gcloud's period.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"300", "10m5s", "P1DT2H", "1.5m", "PTs", "-.s", "1_0", "0.99999s", "P1.5Y", "١٢s", "5ms1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if d != 0 {
				t.Errorf("ParseDuration(%q) = %v with error %v", s, d, err)
			}
			return
		}
		if math.IsNaN(d) {
			t.Errorf("ParseDuration(%q) = NaN", s)
		}
	})
}

func TestParseTimeoutMessages(t *testing.T) {
	for in, want := range map[string]string{
		"0.5s":   "argument --timeout: value must be greater than or equal to 1s; received: 0.5s",
		"":       "argument --timeout: value must be greater than or equal to 1s; received empty string",
		"1x":     "argument --timeout: Failed to parse duration: Unknown character 'X' in duration",
		"1.2.3s": "argument --timeout: Failed to parse duration: could not convert string to float: '1.2.3'",
	} {
		_, err := ParseTimeout(in)
		var ae *wrap.ArgumentError
		if !errors.As(err, &ae) || err.Error() != want {
			t.Errorf("ParseTimeout(%q) = %v (%T), want %q", in, err, err, want)
		}
	}
	if got, err := ParseTimeout("0.99999s"); err != nil || got != 1 {
		t.Errorf("ParseTimeout(0.99999s) = %v, %v; want 1 (gcloud rounds to 4 places first)", got, err)
	}
}

// TestValidateFor covers the platform and container checks gcloud makes
// before any API call.
func TestValidateFor(t *testing.T) {
	str := func(v string) String { return String{Set: true, Value: v} }
	tests := []struct {
		name     string
		f        Flags
		prop     string
		propSet  bool
		wantErr  string
		notManag bool
	}{
		{name: "managed default", f: Flags{}},
		{name: "gke flag", f: Flags{Platform: str("gke")}, notManag: true},
		{name: "kubernetes property", prop: "kubernetes", propSet: true, notManag: true},
		{name: "flag beats property", f: Flags{Platform: str("managed")}, prop: "gke", propSet: true},
		{name: "bad property", prop: "MANAGED", propSet: true, wantErr: "Invalid target platform specified: [MANAGED]."},
		{name: "cluster", f: Flags{Cluster: str("c")}, wantErr: "The `--cluster` flag"},
		{name: "no-clear-config-maps", f: Flags{ClearConfigMaps: Bool{Set: true}}, wantErr: "The `--[update|set|remove|clear]-config-maps` flag"},
		{name: "connectivity first", f: Flags{Connectivity: str("internal"), Namespace: str("n")}, wantErr: "The `--connectivity=[internal|external]` flag"},
		{name: "region and regions", f: Flags{Region: str("r"), Regions: str("a"), Cluster: str("c")},
			wantErr: "Invalid value for [--regions]: --region and --regions are mutually exclusive."},
		{name: "two containers no port", f: Flags{Containers: []ContainerSection{{Name: "a"}, {Name: "b"}}},
			wantErr: "Invalid value for [--container]: Exactly one container must specify --port or --use-http2"},
		{name: "platform before containers", f: Flags{Kubeconfig: str("k"), Containers: []ContainerSection{{Name: "a"}, {Name: "b"}}},
			wantErr: "The `--kubeconfig` flag"},
		{name: "bad name after platform", f: Flags{Service: "Bad", Context: str("c")}, wantErr: "The `--context` flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.f.ValidateFor(tt.prop, tt.propSet)
			switch {
			case tt.notManag:
				if !errors.Is(err, ErrNotManaged) {
					t.Errorf("got %v, want ErrNotManaged", err)
				}
			case tt.wantErr == "":
				if err != nil {
					t.Errorf("got %v", err)
				}
			case err == nil || !strings.HasPrefix(err.Error(), tt.wantErr):
				t.Errorf("got %v, want %q…", err, tt.wantErr)
			}
		})
	}
	many := Flags{}
	for i := 0; i < 11; i++ {
		cs := ContainerSection{Name: string(rune('a' + i))}
		if i == 0 {
			cs.Port = String{Set: true, Value: "8080"}
		}
		many.Containers = append(many.Containers, cs)
	}
	if err := many.Validate(); err == nil || err.Error() != "Invalid value for [--container]: Services may include at most 10 containers" {
		t.Errorf("11 containers: %v", err)
	}
}
