package cli

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rundeploy/rundeploy/wrap"
)

func str(v string) String { return String{Set: true, Value: v} }
func on(v bool) Bool      { return Bool{Set: true, Value: v} }
func list(v ...string) List {
	if v == nil {
		v = []string{}
	}
	return List{Set: true, Items: v}
}
func dict(kv ...string) Dict {
	d := Dict{Set: true, Values: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		d.Keys = append(d.Keys, kv[i])
		d.Values[kv[i]] = kv[i+1]
	}
	return d
}

// TestParseFlags parses every flag in its forms and checks the bound value.
func TestParseFlags(t *testing.T) {
	tests := []struct {
		args []string
		get  func(c *Command) any
		want any
	}{
		{[]string{"svc"}, func(c *Command) any { return c.Service }, "svc"},
		{[]string{"namespaces/p/services/svc"}, func(c *Command) any { return c.Service }, "namespaces/p/services/svc"},
		{[]string{"--", "svc"}, func(c *Command) any { return c.Service }, "svc"},
		{[]string{"--image", "x"}, func(c *Command) any { return c.Image }, str("x")},
		{[]string{"--image=x", "--image=y"}, func(c *Command) any { return c.Image }, str("y")},
		{[]string{"--memory", "-1"}, func(c *Command) any { return c.Memory }, str("-1")},
		{[]string{"--memory", "a b"}, func(c *Command) any { return c.Memory }, str("a b")},
		{[]string{"--revision-suffix="}, func(c *Command) any { return c.RevisionSuffix }, str("")},
		{[]string{"--args=-v"}, func(c *Command) any { return c.Args }, list("-v")},
		{[]string{"--args="}, func(c *Command) any { return c.Args }, list()},
		{[]string{"--command="}, func(c *Command) any { return c.Command }, list()},
		{[]string{"--args=a,b", "--args", "c"}, func(c *Command) any { return c.Args }, list("a", "b", "c")},
		{[]string{"--args=^;^a,b;c"}, func(c *Command) any { return c.Args }, list("a,b", "c")},
		{[]string{"--args=a,"}, func(c *Command) any { return c.Args }, list("a")},
		{[]string{"--set-env-vars=^@^LIST=a,b@X=1"}, func(c *Command) any { return c.SetEnvVars }, dict("LIST", "a,b", "X", "1")},
		{[]string{"--set-env-vars", "A=1", "--set-env-vars", "B=2"}, func(c *Command) any { return c.SetEnvVars }, dict("A", "1", "B", "2")},
		{[]string{"--set-env-vars=A=1,A=2"}, func(c *Command) any { return c.SetEnvVars }, dict("A", "2")},
		{[]string{"--set-env-vars=A=B=C,D="}, func(c *Command) any { return c.SetEnvVars }, dict("A", "B=C", "D", "")},
		{[]string{"--update-env-vars=A=1", "--remove-env-vars=B,C"}, func(c *Command) any { return c.RemoveEnvVars }, list("B", "C")},
		{[]string{"--update-labels=a=1", "--remove-labels=b"}, func(c *Command) any { return c.UpdateLabels }, dict("a", "1")},
		{[]string{"--labels=a=1"}, func(c *Command) any { return c.Labels }, dict("a", "1")},
		{[]string{"--startup-probe=httpGet.port=8080", "--startup-probe=tcpSocket.port=1"}, func(c *Command) any { return c.StartupProbe.Dict }, dict("tcpSocket.port", "1")},
		{[]string{"--liveness-probe="}, func(c *Command) any { return c.LivenessProbe.Dict }, Dict{Set: true, Values: map[string]string{}}},
		{[]string{"--add-volume=name=v,type=in-memory", "--add-volume", "name=w,type=nfs"}, func(c *Command) any { return len(c.AddVolume.Items) }, 2},
		{[]string{"--async"}, func(c *Command) any { return c.Async }, on(true)},
		{[]string{"--no-async"}, func(c *Command) any { return c.Async }, on(false)},
		{[]string{"--no-allow-unauthenticated"}, func(c *Command) any { return c.AllowUnauthenticated }, on(false)},
		{[]string{"--allow-unauthenticated"}, func(c *Command) any { return c.AllowUnauthenticated }, on(true)},
		{[]string{"--no-clear-env-vars"}, func(c *Command) any { return c.ClearEnvVars }, on(false)},
		{[]string{"--no-traffic"}, func(c *Command) any { return c.NoTraffic }, true},
		{[]string{"--no-cpu-throttling"}, func(c *Command) any { return c.CpuThrottling }, on(false)},
		{[]string{"--ingress=internal"}, func(c *Command) any { return c.Ingress }, str("internal")},
		{[]string{"--vpc-egress", "all"}, func(c *Command) any { return c.VpcEgress }, str("all")},
		{[]string{"--max-instances=default"}, func(c *Command) any { return c.MaxInstances }, str("default")},
		{[]string{"--service-min-instances=2"}, func(c *Command) any { return c.Min }, str("2")},
		{[]string{"--timeout=10m5s"}, func(c *Command) any { return c.Timeout }, str("10m5s")},
		{[]string{"--port=default"}, func(c *Command) any { return c.Port }, str("default")},
		{[]string{"-q"}, func(c *Command) any { return c.Quiet }, on(true)},
		{[]string{"--quiet"}, func(c *Command) any { return c.Quiet }, on(true)},
		{[]string{"--project=p"}, func(c *Command) any { return c.Project }, str("p")},
		{[]string{"--format", "value(status.url)"}, func(c *Command) any { return c.Format }, str("value(status.url)")},
		{[]string{"--verbosity=debug"}, func(c *Command) any { return c.Verbosity }, str("debug")},
		{[]string{"--flatten=a,b"}, func(c *Command) any { return c.Flatten }, list("a", "b")},
		{[]string{"--log-http"}, func(c *Command) any { return c.LogHTTP }, on(true)},
		{[]string{"--no-user-output-enabled"}, func(c *Command) any { return c.UserOutputEnabled }, on(false)},
		{[]string{"--no-grant-image-access"}, func(c *Command) any { return c.Preflight.GrantImageAccess }, on(false)},
		{[]string{"--grant-scope=project"}, func(c *Command) any { return c.Preflight.GrantScope }, str("project")},
		{[]string{"--dry-run"}, func(c *Command) any { return c.Preflight.DryRun }, on(true)},
		{[]string{"--help"}, func(c *Command) any { return c.HelpRequested }, true},
		{[]string{"-h"}, func(c *Command) any { return c.HelpRequested }, true},
		{[]string{"--container", "a", "--image=x", "--port=1", "--container=b", "--args=1", "--container", "a", "--memory=1Gi"},
			func(c *Command) any {
				var out []string
				for _, s := range c.Containers {
					out = append(out, s.Name+":"+s.Image.Value+":"+s.Memory.Value+":"+strings.Join(s.Args.Items, ","))
				}
				return out
			}, []string{"a:x:1Gi:", "b:::1"}},
		{[]string{"--container", "a", "--no-use-http2"}, func(c *Command) any { return c.Containers[0].UseHttp2 }, on(false)},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			c, err := Parse(tt.args, nil)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := tt.get(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestEveryFlagParses gives every flag of the grammar a value (or none, for
// booleans) in both spellings and checks it is accepted and marked set.
func TestEveryFlagParses(t *testing.T) {
	g, err := loadGrammar()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range g.flags {
		if f.name == "flags-file" {
			continue // TestFlagsFile
		}
		var forms [][]string
		if f.takesArg {
			v := "1"
			if c, ok := choices[f.name]; ok {
				v = c[0]
			}
			if strings.Contains(f.name, "env-vars") && !strings.HasPrefix(f.name, "remove") && !strings.HasSuffix(f.name, "-file") || strings.Contains(f.name, "labels") && !strings.HasPrefix(f.name, "remove") ||
				strings.Contains(f.name, "secrets") && !strings.HasPrefix(f.name, "remove") || strings.Contains(f.name, "probe") || strings.HasPrefix(f.name, "add-volume") ||
				strings.Contains(f.name, "config-maps") && !strings.HasPrefix(f.name, "remove") || f.name == "update-annotations" {
				v = "k=v"
			}
			if f.name == "env-vars-file" {
				p := filepath.Join(t.TempDir(), "e.yaml")
				os.WriteFile(p, []byte("A: b\n"), 0o644)
				v = p
			}
			// Values the flags' argparse types accept.
			if v2, ok := map[string]string{
				"timeout":               "1s",
				"add-volume":            "name=v,type=in-memory",
				"add-volume-mount":      "volume=v,mount-path=/a",
				"startup-probe":         "timeoutSeconds=1",
				"liveness-probe":        "timeoutSeconds=1",
				"readiness-probe":       "timeoutSeconds=1",
				"build-service-account": "projects/p/serviceAccounts/a",
			}[f.name]; ok {
				v = v2
			}
			forms = [][]string{{"--" + f.name, v}, {"--" + f.name + "=" + v}}
		} else {
			forms = [][]string{{"--" + f.name}}
			if f.negatable {
				forms = append(forms, []string{"--no-" + f.name})
			}
		}
		for _, args := range forms {
			// The Cloud Run for Anthos flags are errors on the managed
			// platform; on gke they parse and the command goes to gcloud.
			anthos := anthosOnly[f.name] || f.name == "platform"
			if anthos {
				args = append(args, "--platform=gke")
			}
			_, err := Parse(args, nil)
			if anthos && !errors.Is(err, ErrNotManaged) || !anthos && err != nil {
				t.Errorf("%q: %v", args, err)
			}
		}
	}
}

// anthosOnly are the flags flags.VerifyManagedFlags rejects on managed.
var anthosOnly = map[string]bool{
	"namespace": true, "cluster": true, "cluster-location": true, "kubeconfig": true, "context": true, "connectivity": true,
	"set-config-maps": true, "update-config-maps": true, "remove-config-maps": true, "clear-config-maps": true,
}

func TestHelpText(t *testing.T) {
	h := helpText()
	if !strings.HasPrefix(h, "Usage: rundeploy [SERVICE] [flags]\n") {
		t.Errorf("help starts %q", h[:min(80, len(h))])
	}
	if !strings.Contains(h, "rundeploy flags:") || !strings.Contains(h, "--[no-]grant-image-access") {
		t.Errorf("help lacks the rundeploy group:\n%s", h)
	}
}

// TestUsageText pins the usage block gcloud 578 prints after an argument
// error (testdata/usage578.txt is its output).
func TestUsageText(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "usage578.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got := usageText(); got != string(want) {
		t.Errorf("usageText():\n%s\nwant:\n%s", got, want)
	}
}

func TestFlagsFile(t *testing.T) {
	dir := t.TempDir()
	inner := filepath.Join(dir, "inner.yaml")
	os.WriteFile(inner, []byte("--cpu: 2\n"), 0o644)
	outer := filepath.Join(dir, "f.yaml")
	os.WriteFile(outer, []byte("--memory: 1Gi\n--set-env-vars: {A: \"1\", B: \"x,y\"}\n--args: [a, 'b,c']\n--async: false\n--flags-file: "+inner+"\n"), 0o644)
	c, err := Parse([]string{"svc", "--flags-file", outer, "--image=x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Memory.Value != "1Gi" || c.Cpu.Value != "2" || !c.Async.Value || c.Image.Value != "x" {
		t.Errorf("got memory=%v cpu=%v async=%v image=%v", c.Memory, c.Cpu, c.Async, c.Image)
	}
	if !reflect.DeepEqual(c.SetEnvVars, dict("A", "1", "B", "x,y")) || !reflect.DeepEqual(c.Args, list("a", "b,c")) {
		t.Errorf("got env=%+v args=%+v", c.SetEnvVars, c.Args)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("--set-env-vars: {A: 2}\n"), 0o644)
	_, err = Parse([]string{"--flags-file=" + bad}, nil)
	if want := "argument --set-env-vars: Environment variable values must be strings. Found 2 (type <class 'int'>)"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	_, err = Parse([]string{"--flags-file=" + filepath.Join(dir, "nope.yaml")}, nil)
	if ve, ok := err.(*wrap.ValueError); !ok || ve.Command != "gcloud" || !strings.HasSuffix(ve.Msg, "nope.yaml] not found.") {
		t.Errorf("missing file: %T %v", err, err)
	}
	// ArgDict applies key_type and required_keys to --flags-file maps too.
	probe := filepath.Join(dir, "probe.yaml")
	os.WriteFile(probe, []byte("--startup-probe: {foo: 1}\n"), 0o644)
	_, err = Parse([]string{"svc", "--image=x", "--flags-file=" + probe}, nil)
	if ve, ok := err.(*wrap.ValueError); !ok || ve.Command != "gcloud" || ve.Msg != "Key [foo] not recognized for startup probe." {
		t.Errorf("probe key from a flags file: %T %v", err, err)
	}
	mount := filepath.Join(dir, "mount.yaml")
	os.WriteFile(mount, []byte("--add-volume-mount: {volume: v}\n"), 0o644)
	_, err = Parse([]string{"svc", "--image=x", "--flags-file=" + mount}, nil)
	if want := "argument --add-volume-mount: Key [mount-path] required in dict arg but not provided"; err == nil || err.Error() != want {
		t.Errorf("mount from a flags file: %v, want %s", err, want)
	}
	loop := filepath.Join(dir, "loop.yaml")
	os.WriteFile(loop, []byte("--flags-file: "+loop+"\n"), 0o644)
	if _, err := Parse([]string{"--flags-file=" + loop}, nil); err == nil || !strings.Contains(err.Error(), "recursive reference") {
		t.Errorf("recursive file: %v", err)
	}
}

func TestClosestMatch(t *testing.T) {
	g, _ := loadGrammar()
	names, _ := g.suggestionChoices()
	for in, want := range map[string]string{"--bogus": "--gpu", "--mem": "--memory", "--imag": "--image", "--env-vars": "--set-env-vars", "--zzzzzzzzzzzzzz": ""} {
		if got := closestMatch(in, names); got != want {
			t.Errorf("closestMatch(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestParsePlatform: --platform and the run/platform property choose the
// platform; anything but managed is handed back as ErrNotManaged.
func TestParsePlatform(t *testing.T) {
	env := func(kv ...string) func(string) string {
		dir := t.TempDir()
		m := map[string]string{"CLOUDSDK_CONFIG": dir}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	tests := []struct {
		args       []string
		getenv     func(string) string
		notManaged bool
	}{
		{[]string{"svc", "--image=x", "--platform=gke"}, nil, true},
		{[]string{"svc", "--image=x", "--platform", "kubernetes"}, nil, true},
		{[]string{"svc", "--image=x"}, env("CLOUDSDK_RUN_PLATFORM", "gke"), true},
		{[]string{"svc", "--image=x", "--namespace=n"}, env("CLOUDSDK_RUN_PLATFORM", "kubernetes"), true},
		{[]string{"svc", "--image=x", "--platform=managed"}, env("CLOUDSDK_RUN_PLATFORM", "gke"), false},
		{[]string{"svc", "--image=x"}, env("CLOUDSDK_RUN_PLATFORM", "managed"), false},
		{[]string{"svc", "--image=x"}, env(), false},
	}
	for _, tt := range tests {
		_, err := Parse(tt.args, tt.getenv)
		if got := errors.Is(err, ErrNotManaged); got != tt.notManaged || (!tt.notManaged && err != nil) {
			t.Errorf("%q: got %v, want not-managed=%v", tt.args, err, tt.notManaged)
		}
	}
}

// TestParse578 covers checks of gcloud 578 flags that the installed gcloud
// (528) cannot record: the message comes from the 578 source.
func TestParse578(t *testing.T) {
	tests := []struct {
		args    []string
		exit    int
		command string
		msg     string
	}{
		// flags.GetMultiRegion: InvalidArgumentException.
		{[]string{"svc", "--image=x", "--region=r", "--regions=a,b"}, 1, "gcloud.run.deploy",
			"Invalid value for [--regions]: --region and --regions are mutually exclusive."},
		// The readiness probe's key_type (_SUPPORTED_READINESS_PROBE_KEYS).
		{[]string{"svc", "--image=x", "--readiness-probe=initialDelaySeconds=1"}, 1, "gcloud",
			"Key [initialDelaySeconds] not recognized for readiness probe."},
		{[]string{"svc", "--container=a", "--image=x", "--port=1", "--readiness-probe=tcpSocket.port=1"}, 1, "gcloud",
			"Key [tcpSocket.port] not recognized for readiness probe."},
		// --add-volume: ArgDict(required_keys=['type']).
		{[]string{"svc", "--image=x", "--add-volume=name=v"}, 2, "gcloud.run.deploy",
			"argument --add-volume: Key [type] required in dict arg but not provided"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.args, nil)
		if err == nil {
			t.Errorf("%q: accepted", tt.args)
			continue
		}
		got := rundeployRecord(tt.args, nil, err)
		if got.Exit != tt.exit || got.Command != tt.command || got.Message != tt.msg {
			t.Errorf("%q:\n got exit=%d (%s) %q\nwant exit=%d (%s) %q", tt.args, got.Exit, got.Command, got.Message, tt.exit, tt.command, tt.msg)
		}
	}
}

// TestParseAcceptsGcloud lists command lines gcloud 528 gets past its
// pre-API checks with (it reached "You do not currently have an active
// account selected"), so rundeploy must accept them too.
func TestParseAcceptsGcloud(t *testing.T) {
	for _, args := range [][]string{
		{"svc", "--image=x", "--depends-on=a,b,c,d,e", "--depends-on=f,g,h,i,j"}, // max_length is per occurrence
		{"svc", "--image=x", "--depends-on="},
		{"svc", "--image=x", "--depends-on=a.b"},
		{"svc", "--image=x", "--build-service-account="},
		{"svc", "--image=x", "--build-service-account=projects/p/serviceAccounts/a"},
		{"svc", "--image=x", "--timeout=P1D"},
		{"svc", "--image=x", "--timeout=0.99999s"}, // rounds to 1s first
		{"svc", "--image=x", "--startup-probe="},
		{"svc", "--image=x", "--startup-probe=timeoutSeconds=x"},                // ints are checked later
		{"svc", "--image=x", "--startup-probe=httpGet.port=1,tcpSocket.port=2"}, // so is the probe type
		{"svc", "--image=x", "--add-volume=name=v,type=bogus"},                  // and the volume type
		{"svc", "--image=x", "--add-volume=type=in-memory,mount-path=/a"},       // 578: the name is generated
		{"svc", "--image=x", "--depends-on=nope"},                               // unknown names: after GetService
		{"svc", "--container=a", "--image=x", "--port=1", "--container=b", "--image=y"},
	} {
		if _, err := Parse(args, nil); err != nil {
			t.Errorf("%q: %v", args, err)
		}
	}
}
