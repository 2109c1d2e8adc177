package parity

import (
	"os"
	"strings"
	"testing"
)

var testTarget = Target{Project: "my-proj", Region: "us-central1"}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The reference's Appendix A v1 body and its hand-written v2 equivalent
// (numeric and named enums, long connector name, Cloud SQL volume + mount,
// different generated secret volume name) normalise to the same model.
func TestAppendixAModelsAgree(t *testing.T) {
	v1, err := FromV1(mustRead(t, "appendix_a_v1.json"), testTarget)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := FromV2(mustRead(t, "appendix_a_v2.json"), testTarget)
	if err != nil {
		t.Fatal(err)
	}
	if d := Diff(v1.Canonical(), v2.Canonical()); len(d) > 0 {
		t.Errorf("models differ:\n%v\nv1:\n%s\nv2:\n%s", d, v1, v2)
	}
	want := map[string]string{
		"svc.ingress":                        "internal-and-cloud-load-balancing",
		"svc.scaling.min":                    "2",
		"tmpl.scaling.max":                   "10",
		"tmpl.cloudsql":                      `["my-proj:us-central1:inst1","p2:r2:i2"]`,
		"tmpl.cpu-throttling":                "false",
		"tmpl.encryption-key-shutdown":       "7200",
		"tmpl.encryption-key-revocation":     "shut-down",
		"tmpl.vpc.connector":                 "myconn",
		"tmpl.vpc.egress":                    "all-traffic",
		"tmpl.revision":                      "ks-v1",
		"ctr[].env.DB_PASS":                  "secret:dbpass:latest",
		"ctr[].mount[/etc/secrets]":          "gen@/etc/secrets",
		"vol[gen@/etc/secrets]":              "secret:apikey items=key:3",
		"vol[bkt]":                           "gcs bucket=mybucket ro=true opts=implicit-dirs,uid=1000",
		"vol[cache]":                         "emptyDir:in-memory size=256Mi",
		"ctr[].port":                         "9090",
		"ctr[].port-name":                    "h2c",
		"ctr[].startup-probe":                "tcpSocket port=9090 initialDelaySeconds=3 failureThreshold=5",
		"svc.binauthz":                       "default",
		"svc.default-url-disabled":           "true",
		"tmpl.gpu-zonal-redundancy-disabled": "true",
		"tmpl.accelerator":                   "nvidia-l4",
	}
	for k, v := range want {
		if v1[k] != v {
			t.Errorf("v1 model %s = %q, want %q", k, v1[k], v)
		}
	}
	if _, ok := v1["ctr[].mount[/cloudsql]"]; ok {
		t.Error("v1 model has a /cloudsql mount")
	}
	if _, ok := v2["ctr[].mount[/cloudsql]"]; ok {
		t.Error("v2 model keeps the Cloud SQL mount")
	}
	// Without its /cloudsql mount, the Cloud SQL volume is not what v1 means.
	noMount, err := FromV2([]byte(`{"template":{"containers":[{"image":"i"}],"volumes":[{"name":"cloudsql","cloudSqlInstance":{"instances":["a:b:c"]}}]}}`), testTarget)
	if err != nil {
		t.Fatal(err)
	}
	if noMount["tmpl.cloudsql.mount"] != "missing" {
		t.Errorf("missing /cloudsql mount not flagged: %s", noMount)
	}
}

func TestFromV1MasksRandomParts(t *testing.T) {
	body := `{"metadata":{"name":"s","annotations":{"run.googleapis.com/client-name":"gcloud","run.googleapis.com/client-version":"528.0.0","run.googleapis.com/operation-id":"x"}},
	 "spec":{"template":{"metadata":{"labels":{"client.knative.dev/nonce":"abcdefghij"}},"spec":{"containers":[{"image":"i"}]}},
	  "traffic":[{"percent":100,"revisionName":"s-00001-xyz"},{"revisionName":"s-00002-abc","tag":"blue"}]}}`
	m, err := FromV1([]byte(body), testTarget)
	if err != nil {
		t.Fatal(err)
	}
	want := Model{
		"tmpl.nonce": "set", "ctr[].image": "i", "tmpl.containers": "", "tmpl.ingress-container": "",
		"traffic": "REV=s-00001-xxx:100 REV=s-00002-xxx:0:tag=blue",
	}
	delete(want, "tmpl.containers")
	delete(want, "tmpl.ingress-container")
	if d := Diff(want, m); len(d) > 0 {
		t.Errorf("FromV1: %v\n%s", d, m)
	}
}

func TestFromV2NonceAndRevision(t *testing.T) {
	for _, tc := range []struct{ body, key, want string }{
		{`{"template":{"labels":{"client.knative.dev/nonce":"qwertyuiop"}}}`, "tmpl.nonce", "set"},
		{`{"template":{"labels":{"client.knative.dev/nonce":"short"}}}`, "tmpl.nonce", "bad:short"},
		{`{"template":{"revision":"svc-00002-kij"}}`, "tmpl.revision", "svc-00002-xxx"},
		{`{"template":{"revision":"svc-blue"}}`, "tmpl.revision", "svc-blue"},
		{`{"ingress":"INGRESS_TRAFFIC_INTERNAL_ONLY"}`, "svc.ingress", "internal"},
		{`{"ingress":2}`, "svc.ingress", "internal"},
		{`{"traffic":[{"type":1,"percent":100},{"type":2,"revision":"s-00001-abc","tag":"t"}]}`, "traffic", "LATEST:100 REV=s-00001-xxx:0:tag=t"},
		{`{"scaling":{"scalingMode":2,"manualInstanceCount":3}}`, "svc.scaling.mode", "manual"},
		{`{"template":{"containers":[{"name":"a","resources":{"limits":{"cpu":"1"}}}]}}`, "tmpl.cpu-throttling", "false"},
		{`{"template":{"containers":[{"name":"a","resources":{"cpuIdle":true,"startupCpuBoost":true}}]}}`, "tmpl.cpu-boost", "true"},
	} {
		m, err := FromV2([]byte(tc.body), testTarget)
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		if m[tc.key] != tc.want {
			t.Errorf("%s: %s = %q, want %q", tc.body, tc.key, m[tc.key], tc.want)
		}
	}
}

func TestCanonicalFillsServerDefaults(t *testing.T) {
	// What the fake's v2 surface stores after a minimal deploy (and
	// rundeploy echoes back on update) equals gcloud's minimal v1 object.
	v2 := `{"ingress":1,"traffic":[{"type":1,"percent":100}],"template":{"timeout":"300s","maxInstanceRequestConcurrency":80,
	  "serviceAccount":"123456789012-compute@developer.gserviceaccount.com",
	  "containers":[{"image":"i","resources":{"limits":{"cpu":"1000m","memory":"512Mi"},"cpuIdle":true},"ports":[{"name":"http1","containerPort":8080}]}]}}`
	v1 := `{"metadata":{"name":"s"},"spec":{"template":{"spec":{"containers":[{"name":"","image":"i"}]}}}}`
	a, err := FromV2([]byte(v2), testTarget)
	if err != nil {
		t.Fatal(err)
	}
	b, err := FromV1([]byte(v1), testTarget)
	if err != nil {
		t.Fatal(err)
	}
	if d := Diff(b.Canonical(), a.Canonical()); len(d) > 0 {
		t.Errorf("defaults not filled: %v", d)
	}
	// An explicit non-default is still a difference.
	a["tmpl.timeout"] = "60"
	if d := Diff(b.Canonical(), a.Canonical()); len(d) != 1 || d[0].Key != "tmpl.timeout" {
		t.Errorf("Diff = %v, want one tmpl.timeout difference", d)
	}
}

func TestGeneratedVolumeNames(t *testing.T) {
	m := Model{}
	m.addVolumes([]volume{{"sec-abc-def", "secret:sec items=k:1"}, {"in-memory-xyz-qrs", "emptyDir:in-memory size="}, {"cache", "emptyDir:in-memory size="}},
		map[string][][2]string{"": {{"sec-abc-def", "/etc/s"}, {"cache", "/cache"}}})
	want := Model{
		"vol[gen@/etc/s]":                   "secret:sec items=k:1",
		"vol[gen:emptyDir:in-memory size=]": "emptyDir:in-memory size=",
		"vol[cache]":                        "emptyDir:in-memory size=",
		"ctr[].mount[/etc/s]":               "gen@/etc/s",
		"ctr[].mount[/cache]":               "cache",
	}
	if d := Diff(want, m); len(d) > 0 {
		t.Errorf("addVolumes: %v", d)
	}
}

func TestSecretAliasResolved(t *testing.T) {
	body := `{"metadata":{"name":"s"},"spec":{"template":{"metadata":{"annotations":{"run.googleapis.com/secrets":"remote-abc:projects/123/secrets/remote"}},
	 "spec":{"containers":[{"image":"i","env":[{"name":"DB","valueFrom":{"secretKeyRef":{"name":"remote-abc","key":"5"}}}]}]}}}}`
	m, err := FromV1([]byte(body), testTarget)
	if err != nil {
		t.Fatal(err)
	}
	if got := m["ctr[].env.DB"]; got != "secret:projects/123/secrets/remote:5" {
		t.Errorf("env DB = %q", got)
	}
}

func TestDiffAndAllowances(t *testing.T) {
	d := Diff(Model{"a": "1", "b": "2"}, Model{"b": "3", "c": "4"})
	var got []string
	for _, x := range d {
		got = append(got, x.String())
	}
	want := `a: gcloud "1", rundeploy <unset>|b: gcloud "2", rundeploy "3"|c: gcloud <unset>, rundeploy "4"`
	if strings.Join(got, "|") != want {
		t.Errorf("Diff = %s", strings.Join(got, "|"))
	}
	as := []Allowance{{Case: "u-*", Field: "ctr[", Reason: "r"}}
	if _, ok := Allowed(as, "u-x", "ctr[].env.A"); !ok {
		t.Error("u-x ctr[ not allowed")
	}
	if _, ok := Allowed(as, "c-x", "ctr[].env.A"); ok {
		t.Error("c-x allowed")
	}
	cfg := Config{Allow: as}
	if r := cfg.judge(Case{Name: "u-x"}, []string{"d"}, []Difference{{Key: "ctr[].a"}}); r.Status != Documented {
		t.Errorf("judge allowed = %s", r.Status)
	}
	if r := cfg.judge(Case{Name: "u-x"}, []string{"d", "e"}, []Difference{{Key: "ctr[].a"}, {Key: "svc.x"}}); r.Status != Fail {
		t.Errorf("judge mixed = %s", r.Status)
	}
	if r := cfg.judge(Case{Name: "u-x"}, nil, nil); r.Status != Pass {
		t.Errorf("judge none = %s", r.Status)
	}
}

func TestParseCorpus(t *testing.T) {
	good := `
- {name: c-a, kind: create, args: "s --image=x --set-env-vars=A=1,B=2"}
- {name: u-a, kind: update, base: s --image=x, args: [s, "--description=a b"]}
`
	cs, err := ParseCorpus([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || len(cs[0].Args) != 3 || cs[0].Args[2] != "--set-env-vars=A=1,B=2" || cs[1].Args[1] != "--description=a b" {
		t.Errorf("ParseCorpus = %+v", cs)
	}
	for _, bad := range []string{
		`- {name: c-a, kind: create}`,
		`- {name: C_A, kind: create, args: x}`,
		`- {name: c-a, kind: nope, args: x}`,
		`- {name: u-a, kind: update, args: x}`,
		`- {name: c-a, kind: create, base: y, args: x}`,
		"- {name: c-a, kind: create, args: x}\n- {name: c-a, kind: create, args: x}",
		`- {name: c-a, kind: create, args: {a: b}}`,
	} {
		if _, err := ParseCorpus([]byte(bad)); err == nil {
			t.Errorf("ParseCorpus(%q) succeeded", bad)
		}
	}
	sel, err := Select(cs, "^c-", false)
	if err != nil || len(sel) != 1 {
		t.Errorf("Select = %v, %v", sel, err)
	}
	if got := Expand([]string{"--image=$IMG", "$DATA/f", "a$b"}, map[string]string{"IMG": "i", "DATA": "/d"}); strings.Join(got, " ") != "--image=i /d/f a$b" {
		t.Errorf("Expand = %q", got)
	}
}

func TestFirstError(t *testing.T) {
	stderr := "Deploying...\nERROR: (gcloud.run.deploy) argument --port: bad  \nUsage: x\nERROR: second\n"
	if got := firstError(stderr); got != "ERROR: (gcloud.run.deploy) argument --port: bad" {
		t.Errorf("firstError = %q", got)
	}
}

func FuzzFromV1(f *testing.F) {
	f.Add(string(mustReadF(f, "appendix_a_v1.json")))
	f.Add(`{"spec":{"template":{"metadata":{"annotations":{"run.googleapis.com/network-interfaces":"[{}]"}}}}}`)
	f.Add(`{"metadata":{"annotations":{"run.googleapis.com/custom-audiences":"x"}}}`)
	f.Fuzz(func(t *testing.T, body string) {
		m, err := FromV1([]byte(body), testTarget)
		if err == nil {
			_ = m.Canonical().String()
		}
	})
}

func FuzzFromV2(f *testing.F) {
	f.Add(string(mustReadF(f, "appendix_a_v2.json")))
	f.Add(`{"template":{"volumes":[{"name":"a-b-c","cloudSqlInstance":{}}]}}`)
	f.Fuzz(func(t *testing.T, body string) {
		m, err := FromV2([]byte(body), testTarget)
		if err == nil {
			_ = m.Canonical().String()
		}
	})
}

func mustReadF(f *testing.F, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func FuzzParseCorpus(f *testing.F) {
	f.Add("- {name: c-a, kind: create, args: \"s --image=x\"}\n")
	f.Add("- {name: u-a, kind: update, base: [s, --image=x], args: s --image=y}\n")
	f.Add("- {name: e-a, kind: error, args: [\"--x=a b\"], ci: true}\n")
	f.Fuzz(func(t *testing.T, src string) {
		cs, err := ParseCorpus([]byte(src))
		if err != nil {
			return
		}
		for _, c := range cs {
			if len(c.Args) == 0 || !caseName.MatchString(c.Name) {
				t.Fatalf("ParseCorpus accepted %+v", c)
			}
		}
	})
}
