package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/rundeploy/rundeploy/cli"
	"github.com/rundeploy/rundeploy/wrap"
)

// Flag value helpers: tests build Flags directly, as the grammar would.
func str(v string) cli.String { return cli.String{Set: true, Value: v} }
func yes() cli.Bool           { return cli.Bool{Set: true, Value: true} }
func no() cli.Bool            { return cli.Bool{Set: true, Value: false} }
func list(items ...string) cli.List {
	return cli.List{Set: true, Items: items}
}
func dict(kvs ...string) cli.Dict {
	d := cli.Dict{Set: true, Values: map[string]string{}}
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		d.Keys = append(d.Keys, k)
		d.Values[k] = v
	}
	return d
}
func lastDict(kvs ...string) cli.LastDict     { return cli.LastDict{Dict: dict(kvs...)} }
func dictList(items ...cli.Dict) cli.DictList { return cli.DictList{Set: true, Items: items} }

var testTarget = Target{Project: "my-proj", Region: "us-central1", Service: "web"}

// testOptions returns PlanOptions with a fixed random stream.
func testOptions() PlanOptions {
	return PlanOptions{ClientName: "rundeploy", ClientVersion: "0.0.0-test", Rand: rand.NewChaCha8([32]byte{1, 2, 3})}
}

func secretEnv(name, secret, version string) *runpb.EnvVar {
	return &runpb.EnvVar{Name: name, Values: &runpb.EnvVar_ValueSource{ValueSource: &runpb.EnvVarSource{
		SecretKeyRef: &runpb.SecretKeySelector{Secret: secret, Version: version}}}}
}

func literalEnv(name, value string) *runpb.EnvVar {
	return &runpb.EnvVar{Name: name, Values: &runpb.EnvVar_Value{Value: value}}
}

// existingService is the update fixture: two containers (ingress "app" and
// sidecar "side"), literal and secret env vars, a secret volume, an
// in-memory volume shared by both containers, Cloud SQL, labels, scaling,
// VPC access, traffic with tags, Binary Authorization with a breakglass.
func existingService() *runpb.Service {
	return &runpb.Service{
		Name:                "projects/my-proj/locations/us-central1/services/web",
		Uid:                 "uid-1",
		Generation:          4,
		Etag:                "etag-4",
		CreateTime:          &timestamppb.Timestamp{Seconds: 1767225600},
		Labels:              map[string]string{"team": "a", "env": "prod"},
		Annotations:         map[string]string{"example.com/keep": "me"},
		Client:              "gcloud",
		ClientVersion:       "578.0.0",
		Description:         "the web service",
		Ingress:             runpb.IngressTraffic_INGRESS_TRAFFIC_ALL,
		CustomAudiences:     []string{"aud1"},
		Scaling:             &runpb.ServiceScaling{MinInstanceCount: 1},
		BinaryAuthorization: &runpb.BinaryAuthorization{BinauthzMethod: &runpb.BinaryAuthorization_UseDefault{UseDefault: true}, BreakglassJustification: "previous incident"},
		LatestReadyRevision: "projects/my-proj/locations/us-central1/services/web/revisions/web-00004-abc",
		Uri:                 "https://web-abc-uc.a.run.app",
		Traffic: []*runpb.TrafficTarget{
			{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, Percent: 90},
			{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, Revision: "web-00003-xyz", Percent: 10, Tag: "old"},
			{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, Revision: "web-00002-qqq", Tag: "blue"},
		},
		Template: &runpb.RevisionTemplate{
			Revision:       "web-00004-abc",
			Labels:         map[string]string{"team": "a", "env": "prod", "client.knative.dev/nonce": "oldnonceab"},
			Scaling:        &runpb.RevisionScaling{MinInstanceCount: 1, MaxInstanceCount: 5},
			Timeout:        &durationpb.Duration{Seconds: 300},
			ServiceAccount: "web@my-proj.iam.gserviceaccount.com",
			VpcAccess: &runpb.VpcAccess{
				Connector: "projects/my-proj/locations/us-central1/connectors/conn",
				Egress:    runpb.VpcAccess_PRIVATE_RANGES_ONLY,
			},
			MaxInstanceRequestConcurrency: 80,
			Containers: []*runpb.Container{
				{
					Name:  "app",
					Image: "us-docker.pkg.dev/my-proj/apps/web:v1",
					Env: []*runpb.EnvVar{
						literalEnv("A", "1"),
						secretEnv("DB_PASS", "dbpass", "latest"),
						literalEnv("B", "2"),
					},
					Resources: &runpb.ResourceRequirements{Limits: map[string]string{"cpu": "1", "memory": "512Mi"}, CpuIdle: true, StartupCpuBoost: true},
					Ports:     []*runpb.ContainerPort{{Name: "http1", ContainerPort: 8080}},
					VolumeMounts: []*runpb.VolumeMount{
						{Name: "cfg-abc-def", MountPath: "/etc/cfg"},
						{Name: "cache", MountPath: "/cache"},
						{Name: "cloudsql", MountPath: "/cloudsql"},
					},
					StartupProbe: &runpb.Probe{ProbeType: &runpb.Probe_TcpSocket{TcpSocket: &runpb.TCPSocketAction{Port: 8080}}},
					DependsOn:    []string{"side"},
				},
				{
					Name:         "side",
					Image:        "us-docker.pkg.dev/my-proj/apps/side:1",
					Env:          []*runpb.EnvVar{literalEnv("S", "1")},
					VolumeMounts: []*runpb.VolumeMount{{Name: "cache", MountPath: "/cache"}},
				},
			},
			Volumes: []*runpb.Volume{
				{Name: "cfg-abc-def", VolumeType: &runpb.Volume_Secret{Secret: &runpb.SecretVolumeSource{Secret: "cfg", Items: []*runpb.VersionToPath{{Path: "key", Version: "3"}}}}},
				{Name: "cache", VolumeType: &runpb.Volume_EmptyDir{EmptyDir: &runpb.EmptyDirVolumeSource{Medium: runpb.EmptyDirVolumeSource_MEMORY, SizeLimit: "64Mi"}}},
				{Name: "cloudsql", VolumeType: &runpb.Volume_CloudSqlInstance{CloudSqlInstance: &runpb.CloudSqlInstance{Instances: []string{"my-proj:us-central1:db1"}}}},
			},
		},
	}
}

// baseFlags is the minimal deploy: an image for the primary container.
func baseFlags() *cli.Flags {
	f := &cli.Flags{}
	f.Service = "web"
	f.Image = str("us-docker.pkg.dev/my-proj/apps/web:v2")
	return f
}

// marshalGolden renders a Service as sorted, indented JSON (protojson's own
// output is deliberately unstable, so it is re-indented).
func marshalGolden(t *testing.T, svc *runpb.Service, warnings []string) []byte {
	t.Helper()
	raw, err := protojson.Marshal(svc)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	out := map[string]any{"service": v}
	if len(warnings) > 0 {
		out["warnings"] = warnings
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// updateGoldens reports whether -update was given. The flag itself is
// declared once per package (progress_test.go).
func updateGoldens() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "plan", name+".json")
	if updateGoldens() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./deploy -run TestPlan -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n--- got\n%s", path, got)
	}
}

type planCase struct {
	name     string
	existing func() *runpb.Service // nil: create
	flags    func(f *cli.Flags)
	opts     func(o *PlanOptions)
	// check runs extra assertions on the result (unrelated fields kept, ...).
	check func(t *testing.T, got *runpb.Service, existing *runpb.Service)
}

// planCases: one create and one update row (at least) per flag family. The
// golden files pin the whole request; check functions spell out the
// property each row is about.
var planCases = []planCase{
	{name: "minimal_create", flags: func(f *cli.Flags) {},
		check: func(t *testing.T, got, _ *runpb.Service) {
			c := got.Template.Containers[0]
			if !c.Resources.StartupCpuBoost || !c.Resources.CpuIdle {
				t.Errorf("new service: want startup_cpu_boost and cpu_idle true, got %v", c.Resources)
			}
			if got.Template.Labels[nonceLabel] == "" || got.Template.Revision != "" {
				t.Errorf("want nonce label and no revision name, got %v %q", got.Template.Labels, got.Template.Revision)
			}
			if got.Client != "rundeploy" || got.ClientVersion != "0.0.0-test" {
				t.Errorf("client = %q %q", got.Client, got.ClientVersion)
			}
			if len(got.Traffic) != 0 {
				t.Errorf("create without --tag must leave traffic to the server, got %v", got.Traffic)
			}
		}},
	{name: "minimal_update", existing: existingService, flags: func(f *cli.Flags) {},
		check: func(t *testing.T, got, ex *runpb.Service) {
			want := proto.Clone(ex).(*runpb.Service)
			want.Template.Containers[0].Image = "us-docker.pkg.dev/my-proj/apps/web:v2"
			want.Template.Revision = ""
			want.Template.Labels[nonceLabel] = got.Template.Labels[nonceLabel]
			want.Client, want.ClientVersion = "rundeploy", "0.0.0-test"
			want.BinaryAuthorization.BreakglassJustification = ""
			if !proto.Equal(got, want) {
				t.Errorf("update with only --image changed more than image, nonce, client and breakglass:\n got %v\nwant %v", got, want)
			}
			if got.Template.Labels[nonceLabel] == "oldnonceab" {
				t.Error("nonce not renewed")
			}
		}},
	{name: "appendix_a_create", flags: func(f *cli.Flags) {
		// The reference v1 create body (gcloud-run-deploy.md Appendix A).
		f.Image = str("us-docker.pkg.dev/my-proj/repo/app:1.0")
		f.Port = str("9090")
		f.UseHttp2 = yes()
		f.SetEnvVars = dict("A=1", "B=two")
		f.SetSecrets = dict("DB_PASS=dbpass:latest", "/etc/secrets/key=apikey:3")
		f.Memory = str("1Gi")
		f.Cpu = str("2")
		f.Concurrency = str("50")
		f.Timeout = str("5m30s")
		f.MinInstances = str("1")
		f.MaxInstances = str("10")
		f.Min = str("2")
		f.Max = str("20")
		f.ServiceAccount = str("sa@my-proj.iam.gserviceaccount.com")
		f.AllowUnauthenticated = no()
		f.Ingress = str("internal-and-cloud-load-balancing")
		f.VpcConnector = str("myconn")
		f.VpcEgress = str("all-traffic")
		f.Labels = dict("team=a", "env=prod")
		f.SetCloudsqlInstances = list("inst1", "p2:r2:i2")
		f.RevisionSuffix = str("v1")
		f.Args = list("--flag", "x")
		f.Command = list("/bin/app")
		f.ExecutionEnvironment = str("gen2")
		f.CpuBoost = no()
		f.CpuThrottling = no()
		f.Description = str("my svc")
		f.SessionAffinity = yes()
		f.DefaultUrl = no()
		f.InvokerIamCheck = no()
		f.AddCustomAudiences = list("aud1")
		f.Key = str("projects/p/locations/l/keyRings/r/cryptoKeys/k")
		f.PostKeyRevocationActionType = str("shut-down")
		f.EncryptionKeyShutdownHours = str("2")
		f.BinaryAuthorization = str("default")
		f.Breakglass = str("urgent")
		f.StartupProbe = lastDict("tcpSocket.port=9090", "initialDelaySeconds=3", "failureThreshold=5")
		f.LivenessProbe = lastDict("httpGet.path=/healthz", "httpGet.port=9090", "periodSeconds=10")
		f.AddVolume = dictList(
			dict("name=cache", "type=in-memory", "size-limit=256Mi"),
			dict("name=bkt", "type=cloud-storage", "bucket=mybucket", "readonly=true", "mount-options=implicit-dirs;uid=1000"),
			dict("name=nfsv", "type=nfs", "location=10.0.0.2:/share"))
		f.AddVolumeMount = dictList(dict("volume=cache", "mount-path=/cache"))
		f.Workdir = str("/srv")
		f.Gpu = str("1")
		f.GpuType = str("nvidia-l4")
		f.GpuZonalRedundancy = no()
		f.DeployHealthCheck = no()
	}, check: func(t *testing.T, got, _ *runpb.Service) {
		tm := got.Template
		if tm.Revision != "web-v1" {
			t.Errorf("revision = %q", tm.Revision)
		}
		if _, ok := tm.Labels[nonceLabel]; ok {
			t.Error("named revision must not carry a nonce")
		}
		c := tm.Containers[0]
		if c.Resources.CpuIdle || c.Resources.StartupCpuBoost {
			t.Errorf("--no-cpu-throttling --no-cpu-boost: got %v", c.Resources)
		}
		if tm.Timeout.Seconds != 330 || tm.MaxInstanceRequestConcurrency != 50 {
			t.Errorf("timeout/concurrency = %v %v", tm.Timeout, tm.MaxInstanceRequestConcurrency)
		}
		if tm.VpcAccess.Connector != "projects/my-proj/locations/us-central1/connectors/myconn" {
			t.Errorf("connector = %q", tm.VpcAccess.Connector)
		}
	}},
	{name: "env_update", existing: existingService, flags: func(f *cli.Flags) {
		f.UpdateEnvVars = dict("B=20", "C=3")
		f.RemoveEnvVars = list("A")
	}, check: func(t *testing.T, got, _ *runpb.Service) {
		env := got.Template.Containers[0].Env
		var names []string
		for _, e := range env {
			names = append(names, e.Name)
		}
		if strings.Join(names, ",") != "DB_PASS,B,C" {
			t.Errorf("env order = %v", names)
		}
		if !proto.Equal(got.Template.Containers[1], existingService().Template.Containers[1]) {
			t.Error("sidecar changed")
		}
	}},
	{name: "env_set_keeps_secrets", existing: existingService, flags: func(f *cli.Flags) {
		f.SetEnvVars = dict("Z=26")
	}},
	{name: "env_clear", existing: existingService, flags: func(f *cli.Flags) { f.ClearEnvVars = yes() }},
	{name: "env_create", flags: func(f *cli.Flags) { f.SetEnvVars = dict("A=1", " B =2") }},
	{name: "env_file", existing: existingService, flags: func(f *cli.Flags) {
		f.EnvVarsFile = str("vars.env")
	}, opts: func(o *PlanOptions) {}},
	{name: "secrets_update", existing: existingService, flags: func(f *cli.Flags) {
		f.UpdateSecrets = dict("API_KEY=projects/123456/secrets/api", "/etc/cfg/other=cfg:5", "/etc/tls/cert=tls:2")
	}, check: func(t *testing.T, got, _ *runpb.Service) {
		var cfg *runpb.SecretVolumeSource
		for _, v := range got.Template.Volumes {
			if v.Name == "cfg-abc-def" {
				cfg = v.GetSecret()
			}
		}
		if cfg == nil || len(cfg.Items) != 2 {
			t.Errorf("want cfg volume with merged items, got %v", cfg)
		}
	}},
	{name: "secrets_remove_file", existing: existingService, flags: func(f *cli.Flags) {
		f.RemoveSecrets = list("/etc/cfg/key", "DB_PASS")
	}, check: func(t *testing.T, got, _ *runpb.Service) {
		for _, v := range got.Template.Volumes {
			if v.GetSecret() != nil {
				t.Errorf("emptied secret volume kept: %v", v)
			}
		}
		for _, m := range got.Template.Containers[0].VolumeMounts {
			if m.MountPath == "/etc/cfg" {
				t.Error("mount of emptied secret volume kept")
			}
		}
	}},
	{name: "secrets_clear", existing: existingService, flags: func(f *cli.Flags) { f.ClearSecrets = yes() }},
	{name: "secrets_create_remote_and_dir", flags: func(f *cli.Flags) {
		f.SetSecrets = dict("TOKEN=projects/42/secrets/tok/versions/7", "/etc/app/a=appcfg:1", "/etc/app/b=appcfg:2")
	}},
	{name: "resources_update", existing: existingService, flags: func(f *cli.Flags) {
		f.Memory = str("2Gi")
		f.Cpu = str("2")
		f.Gpu = str("1")
	}},
	{name: "gpu_zero_update", existing: func() *runpb.Service {
		s := existingService()
		s.Template.NodeSelector = &runpb.NodeSelector{Accelerator: "nvidia-l4"}
		s.Template.GpuZonalRedundancyDisabled = proto.Bool(true)
		s.Template.Containers[0].Resources.Limits[gpuLimit] = "1"
		return s
	}, flags: func(f *cli.Flags) { f.Gpu = str("0") }},
	{name: "resources_create_memory_only", flags: func(f *cli.Flags) { f.Memory = str("1Gi") },
		check: func(t *testing.T, got, _ *runpb.Service) {
			if !got.Template.Containers[0].Resources.CpuIdle {
				t.Error("resources set without --cpu-throttling must keep cpu_idle=true")
			}
		}},
	{name: "probes_update", existing: existingService, flags: func(f *cli.Flags) {
		f.StartupProbe = lastDict("httpGet.path=/ready", "periodSeconds=3")
		f.LivenessProbe = lastDict("grpc.port=9000", "grpc.service=health")
		f.ReadinessProbe = lastDict("httpGet.port=8081", "failureThreshold=2")
	}},
	{name: "probes_remove", existing: existingService, flags: func(f *cli.Flags) {
		f.StartupProbe = lastDict()
	}, check: func(t *testing.T, got, _ *runpb.Service) {
		if got.Template.Containers[0].StartupProbe != nil {
			t.Error("--startup-probe='' must remove the probe")
		}
	}},
	{name: "port_update_moves_tcp_probe", existing: existingService, flags: func(f *cli.Flags) {
		f.Port = str("9000")
		f.UseHttp2 = yes()
	}, check: func(t *testing.T, got, _ *runpb.Service) {
		c := got.Template.Containers[0]
		if c.Ports[0].ContainerPort != 9000 || c.Ports[0].Name != "h2c" || c.StartupProbe.GetTcpSocket().Port != 9000 {
			t.Errorf("ports %v probe %v", c.Ports, c.StartupProbe)
		}
	}},
	{name: "port_default_create", flags: func(f *cli.Flags) { f.Port = str("default") }},
	{name: "http2_create", flags: func(f *cli.Flags) { f.UseHttp2 = yes() }},
	{name: "command_args_workdir_clear", existing: func() *runpb.Service {
		s := existingService()
		s.Template.Containers[0].Command = []string{"/bin/old"}
		s.Template.Containers[0].Args = []string{"-x"}
		s.Template.Containers[0].WorkingDir = "/old"
		return s
	}, flags: func(f *cli.Flags) {
		f.Command = cli.List{Set: true}
		f.Args = list("a,b", "c")
		f.Workdir = str("")
	}},
	{name: "volumes_update", existing: existingService, flags: func(f *cli.Flags) {
		f.RemoveVolume = list("cache")
		f.AddVolume = dictList(dict("name=data", "type=cloud-storage", "bucket=b1"))
		f.RemoveVolumeMount = list("/cache")
		f.AddVolumeMount = dictList(dict("volume=data", "mount-path=/data"))
	}},
	{name: "volumes_clear", existing: existingService, flags: func(f *cli.Flags) {
		f.ClearVolumes = yes()
		f.ClearVolumeMounts = yes()
	}},
	{name: "volume_mount_path_shortcut", flags: func(f *cli.Flags) {
		f.AddVolume = dictList(dict("type=in-memory", "mount-path=/scratch"), dict("name=nfs1", "type=nfs", "location=fs:/exports", "readonly=True", "mount-path=/nfs"))
	}},
	{name: "scaling_update", existing: existingService, flags: func(f *cli.Flags) {
		f.MinInstances = str("0")
		f.MaxInstances = str("default")
		f.Min = str("3")
		f.Max = str("30")
		f.Concurrency = str("default")
		f.Timeout = str("10m5s")
	}, check: func(t *testing.T, got, _ *runpb.Service) {
		tm := got.Template
		if tm.Scaling.MinInstanceCount != 0 || tm.Scaling.MaxInstanceCount != 0 || tm.MaxInstanceRequestConcurrency != 0 || tm.Timeout.Seconds != 605 {
			t.Errorf("template scaling %v concurrency %d timeout %v", tm.Scaling, tm.MaxInstanceRequestConcurrency, tm.Timeout)
		}
	}},
	{name: "scaling_manual", existing: existingService, flags: func(f *cli.Flags) { f.Scaling = str("4") }},
	{name: "scaling_auto_create", flags: func(f *cli.Flags) { f.Scaling = str("auto"); f.Timeout = str("90") }},
	{name: "network_update", existing: existingService, flags: func(f *cli.Flags) {
		f.Ingress = str("internal")
		f.VpcConnector = str("projects/other/locations/us-central1/connectors/c2")
		f.VpcEgress = str("all")
		f.Network = str("default")
		f.Subnet = str("sub1")
		f.NetworkTags = list("t1", "t2")
	}},
	{name: "clear_vpc_connector", existing: existingService, flags: func(f *cli.Flags) { f.ClearVpcConnector = yes() }},
	{name: "clear_network", existing: func() *runpb.Service {
		s := existingService()
		s.Template.VpcAccess = &runpb.VpcAccess{Egress: runpb.VpcAccess_ALL_TRAFFIC,
			NetworkInterfaces: []*runpb.VpcAccess_NetworkInterface{{Network: "n", Subnetwork: "s", Tags: []string{"x"}}}}
		return s
	}, flags: func(f *cli.Flags) { f.ClearNetwork = yes() }},
	{name: "network_tags_clear_keeps_network", existing: func() *runpb.Service {
		s := existingService()
		s.Template.VpcAccess = &runpb.VpcAccess{Egress: runpb.VpcAccess_ALL_TRAFFIC,
			NetworkInterfaces: []*runpb.VpcAccess_NetworkInterface{{Network: "n", Tags: []string{"x"}}}}
		return s
	}, flags: func(f *cli.Flags) { f.ClearNetworkTags = yes() }},
	{name: "labels_update", existing: existingService, flags: func(f *cli.Flags) {
		f.UpdateLabels = dict("env=staging", "tier=web")
		f.RemoveLabels = list("team")
	}, check: func(t *testing.T, got, _ *runpb.Service) {
		if got.Template.Labels["env"] != "staging" || got.Labels["tier"] != "web" || got.Labels["team"] != "" {
			t.Errorf("labels %v / %v", got.Labels, got.Template.Labels)
		}
	}},
	{name: "labels_clear_then_add", existing: existingService, flags: func(f *cli.Flags) {
		f.ClearLabels = yes()
		f.Labels = dict("only=this")
	}},
	{name: "cloudsql_add", existing: existingService, flags: func(f *cli.Flags) {
		f.AddCloudsqlInstances = list("db2", "other:europe-west1:db3")
	}},
	{name: "cloudsql_remove_last", existing: existingService, flags: func(f *cli.Flags) {
		f.RemoveCloudsqlInstances = list("db1")
	}, check: func(t *testing.T, got, _ *runpb.Service) {
		for _, v := range got.Template.Volumes {
			if v.GetCloudSqlInstance() != nil {
				t.Error("cloudsql volume kept")
			}
		}
		for _, m := range got.Template.Containers[0].VolumeMounts {
			if m.Name == "cloudsql" {
				t.Error("cloudsql mount kept")
			}
		}
	}},
	{name: "cloudsql_create", flags: func(f *cli.Flags) { f.AddCloudsqlInstances = list("db") }},
	{name: "tag_update", existing: existingService, flags: func(f *cli.Flags) { f.Tag = str("blue") },
		check: func(t *testing.T, got, _ *runpb.Service) {
			if got.Template.Revision != "web-00005-"+got.Template.Revision[len("web-00005-"):] || len(got.Template.Revision) != len("web-00005-abc") {
				t.Errorf("revision = %q", got.Template.Revision)
			}
			last := got.Traffic[len(got.Traffic)-1]
			if last.Tag != "blue" || last.Revision != got.Template.Revision {
				t.Errorf("traffic = %v", got.Traffic)
			}
			for _, tt := range got.Traffic {
				if tt.Revision == "web-00002-qqq" {
					t.Error("0% target whose tag moved must be dropped")
				}
			}
		}},
	{name: "tag_create", flags: func(f *cli.Flags) { f.Tag = str("v1") }},
	{name: "no_traffic_tag", existing: existingService, flags: func(f *cli.Flags) {
		f.NoTraffic = true
		f.Tag = str("green")
	}},
	{name: "no_traffic", existing: existingService, flags: func(f *cli.Flags) { f.NoTraffic = true },
		check: func(t *testing.T, got, _ *runpb.Service) {
			for _, tt := range got.Traffic {
				if isLatest(tt) {
					t.Errorf("LATEST kept: %v", got.Traffic)
				}
			}
		}},
	{name: "revision_suffix_clear", existing: existingService, flags: func(f *cli.Flags) { f.RevisionSuffix = str("") },
		check: func(t *testing.T, got, _ *runpb.Service) {
			if got.Template.Revision != "" {
				t.Errorf("revision = %q", got.Template.Revision)
			}
		}},
	{name: "revision_suffix_long_service", flags: func(f *cli.Flags) { f.RevisionSuffix = str("release-2026-11-23") },
		opts: nil},
	{name: "toggles_update", existing: existingService, flags: func(f *cli.Flags) {
		f.ExecutionEnvironment = str("gen1")
		f.CpuBoost = no()
		f.CpuThrottling = yes()
		f.SessionAffinity = yes()
		f.DefaultUrl = no()
		f.InvokerIamCheck = no()
		f.Iap = yes()
		f.DeployHealthCheck = yes()
		f.Description = str("")
		f.GpuZonalRedundancy = yes()
		f.ServiceAccount = str("other@my-proj.iam.gserviceaccount.com")
	}},
	{name: "security_update", existing: existingService, flags: func(f *cli.Flags) {
		f.ClearBinaryAuthorization = yes()
		f.Key = str("projects/p/locations/l/keyRings/r/cryptoKeys/k2")
		f.PostKeyRevocationActionType = str("prevent-new")
		f.SetCustomAudiences = list("x", "y")
		f.UpdateAnnotations = dict("example.com/owner=team-a")
	}},
	{name: "clear_key", existing: func() *runpb.Service {
		s := existingService()
		s.Template.EncryptionKey = "k"
		s.Template.EncryptionKeyRevocationAction = runpb.EncryptionKeyRevocationAction_SHUTDOWN
		s.Template.EncryptionKeyShutdownDuration = &durationpb.Duration{Seconds: 7200}
		return s
	}, flags: func(f *cli.Flags) { f.ClearKey = yes(); f.ClearCustomAudiences = yes() }},
	{name: "breakglass_set", existing: existingService, flags: func(f *cli.Flags) { f.Breakglass = str("hotfix") }},
	{name: "client_flags", flags: func(f *cli.Flags) {
		f.ClientName = str("my-ci")
		f.ClientVersion = str("9")
		f.Regions = str("us-central1,europe-west1")
	}},
	{name: "sidecar_sections_update", existing: existingService, flags: func(f *cli.Flags) {
		f.Image = cli.String{}
		f.Containers = []cli.ContainerSection{
			{Name: "side", ContainerFlags: cli.ContainerFlags{Image: str("us-docker.pkg.dev/my-proj/apps/side:2"), Memory: str("256Mi"), UpdateEnvVars: dict("S=2")}},
			{Name: "metrics", ContainerFlags: cli.ContainerFlags{Image: str("us-docker.pkg.dev/my-proj/apps/metrics:1"), DependsOn: list("side")}},
			{Name: "app", ContainerFlags: cli.ContainerFlags{Image: str("us-docker.pkg.dev/my-proj/apps/web:v3"), Port: str("8080")}},
		}
	}, check: func(t *testing.T, got, ex *runpb.Service) {
		want := proto.Clone(ex.Template.Containers[0]).(*runpb.Container)
		want.Image = "us-docker.pkg.dev/my-proj/apps/web:v3"
		if !proto.Equal(got.Template.Containers[0], want) {
			t.Errorf("app container changed beyond its image: %v", got.Template.Containers[0])
		}
		if n := len(got.Template.Containers); n != 3 {
			t.Errorf("containers = %d", n)
		}
	}},
	{name: "sidecar_sections_create", flags: func(f *cli.Flags) {
		f.Image = cli.String{}
		f.Containers = []cli.ContainerSection{
			{Name: "app", ContainerFlags: cli.ContainerFlags{Image: str("us-docker.pkg.dev/p/r/app"), Port: str("8080"), DependsOn: list("side"), SetEnvVars: dict("A=1")}},
			{Name: "side", ContainerFlags: cli.ContainerFlags{Image: str("us-docker.pkg.dev/p/r/side"), Memory: str("512Mi"), BaseImage: str("us-central1-docker.pkg.dev/serverless-runtimes/google-22/runtimes/nodejs22")}},
		}
	}, check: func(t *testing.T, got, _ *runpb.Service) {
		app := got.Template.Containers[0]
		if app.Name != "app" || len(app.DependsOn) != 1 || !app.Resources.StartupCpuBoost {
			t.Errorf("app = %v", app)
		}
		if got.Template.Containers[1].Resources.StartupCpuBoost {
			t.Error("cpu boost belongs to the ingress container only")
		}
	}},
	{name: "cloudsql_sections_create", flags: func(f *cli.Flags) {
		f.Image = cli.String{}
		f.SetCloudsqlInstances = list("db")
		f.Containers = []cli.ContainerSection{
			{Name: "side", ContainerFlags: cli.ContainerFlags{Image: str("us-docker.pkg.dev/p/r/side")}},
			{Name: "app", ContainerFlags: cli.ContainerFlags{Image: str("us-docker.pkg.dev/p/r/app"), Port: str("8080")}},
		}
	}, check: func(t *testing.T, got, _ *runpb.Service) {
		cs := got.Template.Containers
		if len(cs) != 2 || len(cs[0].VolumeMounts) != 0 || len(cs[1].VolumeMounts) != 1 || cs[1].VolumeMounts[0].MountPath != "/cloudsql" {
			t.Errorf("want /cloudsql mounted on the ingress container only, got %v", cs)
		}
	}},
	{name: "probes_create", flags: func(f *cli.Flags) {
		f.StartupProbe = lastDict("tcpSocket.port=8080", "timeoutSeconds=", "periodSeconds=240")
		f.ReadinessProbe = lastDict("grpc.service=ready")
	}},
	{name: "network_create", flags: func(f *cli.Flags) {
		f.Network = str("projects/host/global/networks/shared")
		f.Subnet = str("sub")
		f.NetworkTags = list("web")
		f.VpcEgress = str("private-ranges-only")
	}},
	{name: "command_args_create", flags: func(f *cli.Flags) {
		f.Command = list("/bin/sh", "-c")
		f.Args = list("exec app")
		f.Workdir = str("/app")
	}},
	{name: "annotations_create", flags: func(f *cli.Flags) {
		f.UpdateAnnotations = dict("example.com/a=1", "b=2")
		f.Ingress = str("all")
	}},
	{name: "tag_with_suffix", existing: existingService, flags: func(f *cli.Flags) {
		f.Tag = str("old")
		f.RevisionSuffix = str("rc1")
	}, check: func(t *testing.T, got, _ *runpb.Service) {
		last := got.Traffic[len(got.Traffic)-1]
		if got.Template.Revision != "web-rc1" || last.Revision != "web-rc1" || last.Tag != "old" {
			t.Errorf("revision %q traffic %v", got.Template.Revision, got.Traffic)
		}
		for _, tt := range got.Traffic[:len(got.Traffic)-1] {
			if tt.Tag == "old" {
				t.Errorf("tag not moved: %v", got.Traffic)
			}
		}
	}},
	{name: "remove_containers", existing: existingService, flags: func(f *cli.Flags) { f.RemoveContainers = list("side") },
		check: func(t *testing.T, got, _ *runpb.Service) {
			if len(got.Template.Containers) != 1 || len(got.Template.Containers[0].DependsOn) != 0 {
				t.Errorf("containers = %v", got.Template.Containers)
			}
		}},
	{name: "base_image", existing: existingService, flags: func(f *cli.Flags) {
		f.BaseImage = str("us-central1-docker.pkg.dev/serverless-runtimes/google-22/runtimes/go122")
	}},
	{name: "depends_on_primary", existing: existingService, flags: func(f *cli.Flags) { f.DependsOn = cli.List{Set: true} }},
	{name: "gpu_create_warning", flags: func(f *cli.Flags) { f.Gpu = str("1"); f.CpuThrottling = no() }},
}

func TestPlan(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "vars.env")
	if err := os.WriteFile(envFile, []byte("FROM_FILE=1\nB=file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range planCases {
		t.Run(tc.name, func(t *testing.T) {
			f := baseFlags()
			tc.flags(f)
			if f.EnvVarsFile.Set {
				f.EnvVarsFile.Value = envFile
			}
			o := testOptions()
			if tc.opts != nil {
				tc.opts(&o)
			}
			var existing, pristine *runpb.Service
			if tc.existing != nil {
				existing = tc.existing()
				pristine = proto.Clone(existing).(*runpb.Service)
			}
			got, warnings, err := PlanWithWarnings(existing, f, testTarget, o)
			if err != nil {
				t.Fatalf("PlanWithWarnings: %v", err)
			}
			if existing != nil && !proto.Equal(existing, pristine) {
				t.Fatal("Plan mutated the existing service")
			}
			checkGolden(t, tc.name, marshalGolden(t, got, warnings))
			if tc.check != nil {
				tc.check(t, got, pristine)
			}
			// Plan is deterministic for a given random stream.
			again, _, err := PlanWithWarnings(existing, f, testTarget, testOptionsFor(tc))
			if err != nil || !proto.Equal(got, again) {
				t.Errorf("second plan differs: %v", err)
			}
		})
	}
}

func testOptionsFor(tc planCase) PlanOptions {
	o := testOptions()
	if tc.opts != nil {
		tc.opts(&o)
	}
	return o
}

func TestPlanErrors(t *testing.T) {
	cases := []struct {
		name     string
		existing func() *runpb.Service
		flags    func(f *cli.Flags)
		opts     func(o *PlanOptions)
		// want is the message; kind is "value:<command>", "argument" or
		// "source".
		want, kind string
	}{
		{"max_instances_not_int", nil, func(f *cli.Flags) { f.MaxInstances = str("lots") },
			nil, "Instance count value lots is not an integer or 'default'.", "value:gcloud"},
		{"min_instances_negative", nil, func(f *cli.Flags) { f.MinInstances = str("-1") },
			nil, "Instance count value -1 is negative.", "value:gcloud"},
		{"scaling_bad", nil, func(f *cli.Flags) { f.Scaling = str("lots") },
			nil, "Input value 'lots' for --scaling flag is not an integer nor 'auto'.", "value:gcloud"},
		{"max_with_manual_scaling", nil, func(f *cli.Flags) { f.Scaling = str("2"); f.Max = str("3") },
			nil, "Cannot set service max instances when scaling mode is manual.", "value:gcloud.run.deploy"},
		{"timeout_zero", nil, func(f *cli.Flags) { f.Timeout = str("0") },
			nil, "argument --timeout: value must be greater than or equal to 1s; received: 0", "argument"},
		{"timeout_unit", nil, func(f *cli.Flags) { f.Timeout = str("abc") },
			nil, "argument --timeout: Failed to parse duration: Duration unit 'abc' must be preceded by a number", "argument"},
		{"timeout_char", nil, func(f *cli.Flags) { f.Timeout = str("10x") },
			nil, "argument --timeout: Failed to parse duration: Unknown character 'X' in duration", "argument"},
		{"concurrency_zero", nil, func(f *cli.Flags) { f.Concurrency = str("0") },
			nil, `argument --concurrency: Bad value [0]: must be an integer greater than 0 or "default".`, "argument"},
		{"port_range", nil, func(f *cli.Flags) { f.Port = str("70000") },
			nil, `argument --port: Bad value [70000]: must be an integer between 1 and 65535, inclusive, or "default".`, "argument"},
		{"ingress_choice", nil, func(f *cli.Flags) { f.Ingress = str("bad") },
			nil, "argument --ingress: Invalid choice: 'bad'.", "argument"},
		{"probe_key", nil, func(f *cli.Flags) { f.StartupProbe = lastDict("foo=1") },
			nil, "Key [foo] not recognized for startup probe.", "value:gcloud"},
		{"liveness_tcp_key", nil, func(f *cli.Flags) { f.LivenessProbe = lastDict("tcpSocket.port=1") },
			nil, "Key [tcpSocket.port] not recognized for liveness probe.", "value:gcloud"},
		{"probe_int", nil, func(f *cli.Flags) { f.StartupProbe = lastDict("periodSeconds=abc") },
			nil, "Value for key [periodSeconds] must be an integer.", "value:gcloud.run.deploy"},
		{"readiness_success_threshold", nil, func(f *cli.Flags) { f.ReadinessProbe = lastDict("successThreshold=2") },
			nil, "--readiness-probe key [successThreshold] is not supported by the Cloud Run Admin API v2 fields this build knows.", "value:gcloud.run.deploy"},
		{"namespace", nil, func(f *cli.Flags) { f.Namespace = str("x") },
			nil, "The `--namespace` flag is not supported on the fully managed version of Cloud Run. Specify `--platform gke` or run `gcloud config set run/platform gke` to work with Cloud Run for Anthos deployed on Google Cloud.", "value:gcloud.run.deploy"},
		{"config_maps", nil, func(f *cli.Flags) { f.SetConfigMaps = dict("a=b") },
			nil, "The `--[update|set|remove|clear]-config-maps` flag is not supported on the fully managed version of Cloud Run. Specify `--platform gke` or run `gcloud config set run/platform gke` to work with Cloud Run for Anthos deployed on Google Cloud.", "value:gcloud.run.deploy"},
		{"kubeconfig", nil, func(f *cli.Flags) { f.Kubeconfig = str("k") },
			nil, "The `--kubeconfig` flag is not supported on the fully managed version of Cloud Run. Specify `--platform kubernetes` or run `gcloud config set run/platform kubernetes` to work with Cloud Run for Anthos deployed on VMware.", "value:gcloud.run.deploy"},
		{"no_traffic_create", nil, func(f *cli.Flags) { f.NoTraffic = true },
			nil, "--no-traffic not supported when creating a new service.", "value:gcloud.run.deploy"},
		{"env_literal_over_secret", existingService, func(f *cli.Flags) { f.UpdateEnvVars = dict("DB_PASS=x") },
			nil, "Cannot update environment variable [DB_PASS] to string literal because it has already been set with a different type.", "value:gcloud.run.deploy"},
		{"secret_over_literal", existingService, func(f *cli.Flags) { f.UpdateSecrets = dict("A=s:1") },
			nil, "Cannot update environment variable [A] to the given type because it has already been set with a different type.", "value:gcloud.run.deploy"},
		{"secret_no_version", nil, func(f *cli.Flags) { f.SetSecrets = dict("A=s") },
			nil, "No secret version specified for A. Use A:latest to reference the latest version.", "value:gcloud.run.deploy"},
		{"secret_bad_spec", nil, func(f *cli.Flags) { f.SetSecrets = dict("A=a:b:c") },
			nil, "Invalid secret spec 'a:b:c'", "value:gcloud.run.deploy"},
		{"secret_bad_name", nil, func(f *cli.Flags) { f.SetSecrets = dict("A=a.b:1") },
			nil, "'a.b' is not a valid secret name.", "value:gcloud.run.deploy"},
		{"secret_mount_short", nil, func(f *cli.Flags) { f.SetSecrets = dict("/a=s:1") },
			nil, "Mount path [/a] must be in the form /<mountPath>/<path>", "value:gcloud.run.deploy"},
		{"secret_two_in_dir", nil, func(f *cli.Flags) { f.SetSecrets = dict("/d/a=s1:1", "/d/b=s2:1") },
			nil, "Cannot update secret at [/d/b] because a different secret is already mounted in the same directory.", "value:gcloud.run.deploy"},
		{"secret_other_secret_in_dir", existingService, func(f *cli.Flags) { f.UpdateSecrets = dict("/etc/cfg/x=other:1") },
			nil, "Multiple secrets are specified for directory [/etc/cfg]. Cloud Run only supports one secret per directory", "value:gcloud.run.deploy"},
		{"secret_over_non_secret_mount", existingService, func(f *cli.Flags) { f.UpdateSecrets = dict("/cache/x=s:1") },
			nil, "Cannot update mount [/cache] because its mounted volume is of a different source type.", "value:gcloud.run.deploy"},
		{"clear_vpc_all_traffic", func() *runpb.Service {
			s := existingService()
			s.Template.VpcAccess.Egress = runpb.VpcAccess_ALL_TRAFFIC
			return s
		}, func(f *cli.Flags) { f.ClearVpcConnector = yes() },
			nil, "Cannot remove VPC connector with VPC egress set to \"all-traffic\". Set `--vpc-egress=private-ranges-only` or run this command interactively and provide confirmation to continue.", "value:gcloud.run.deploy"},
		{"clear_vpc_declined", existingService, func(f *cli.Flags) { f.ClearVpcConnector = yes(); f.VpcEgress = str("all") },
			func(o *PlanOptions) { o.Confirm = func(string) (bool, error) { return false, nil } },
			"Aborted by user.", "value:gcloud.run.deploy"},
		{"volume_bad_type", nil, func(f *cli.Flags) { f.AddVolume = dictList(dict("name=a", "type=foo")) },
			nil, "Volume type foo not supported", "value:gcloud.run.deploy"},
		{"volume_unexpected_key", nil, func(f *cli.Flags) { f.AddVolume = dictList(dict("name=a", "type=in-memory", "bucket=x")) },
			nil, "Volume a of type in-memory had unexpected parameter bucket", "value:gcloud.run.deploy"},
		{"volume_missing_key", nil, func(f *cli.Flags) { f.AddVolume = dictList(dict("name=a", "type=cloud-storage")) },
			nil, "Volume a of type cloud-storage requires the following parameters: {'bucket'}", "value:gcloud.run.deploy"},
		{"volume_no_name", nil, func(f *cli.Flags) { f.AddVolume = dictList(dict("type=in-memory")) },
			nil, `Volume "name" must be specified if "mount-path" is not specified.`, "value:gcloud.run.deploy"},
		{"volume_nfs_location", nil, func(f *cli.Flags) { f.AddVolume = dictList(dict("name=n", "type=nfs", "location=server")) },
			nil, "Volume n: field 'location' must be of the form IP_ADDRESS:/DIRECTORY", "value:gcloud.run.deploy"},
		{"volume_mount_path_with_containers", nil, func(f *cli.Flags) {
			f.Image = cli.String{}
			f.Containers = []cli.ContainerSection{{Name: "a", ContainerFlags: cli.ContainerFlags{Image: str("i")}}}
			f.AddVolume = dictList(dict("type=in-memory", "mount-path=/x"))
		}, nil, `When using the --containers flag, "mount-path" cannot be specified under the --add-volume flag. Instead, specify "mount-path" using the --add-volume-mount flag after the --container flag of the container the volume should be mounted to.`, "value:gcloud.run.deploy"},
		{"cloudsql_malformed", nil, func(f *cli.Flags) { f.AddCloudsqlInstances = list("a:b") },
			nil, "Malformed CloudSQL instance string: a:b", "value:gcloud.run.deploy"},
		{"depends_on_missing", nil, func(f *cli.Flags) { f.DependsOn = list("ghost") },
			nil, "--depends_on for container  references nonexistent containers: ghost.", "value:gcloud.run.deploy"},
		{"two_ingress_containers", nil, func(f *cli.Flags) {
			f.Image = cli.String{}
			f.Containers = []cli.ContainerSection{
				{Name: "a", ContainerFlags: cli.ContainerFlags{Image: str("i"), Port: str("80")}},
				{Name: "b", ContainerFlags: cli.ContainerFlags{Image: str("j"), UseHttp2: yes()}},
			}
		}, nil, "Invalid value for [--container]: Exactly one container must specify --port or --use-http2", "value:gcloud.run.deploy"},
		{"missing_ingress", func() *runpb.Service {
			s := existingService()
			s.Template.Containers[0].Ports = nil
			return s
		}, func(f *cli.Flags) {}, nil, "missing ingress container", "value:gcloud.run.deploy"},
		{"system_annotation", nil, func(f *cli.Flags) { f.UpdateAnnotations = dict("run.googleapis.com/ingress=all") },
			nil, "--update-annotations: annotation [run.googleapis.com/ingress] is in the system namespace run.googleapis.com, which the Cloud Run Admin API v2 rejects; use the flag for that setting instead.", "value:gcloud.run.deploy"},
		{"shutdown_hours", nil, func(f *cli.Flags) { f.EncryptionKeyShutdownHours = str("two") },
			nil, "--encryption-key-shutdown-hours must be a whole number of hours; Cloud Run Admin API v2 stores it as a duration, and [two] is not one.", "value:gcloud.run.deploy"},
		{"deleting", func() *runpb.Service {
			s := existingService()
			s.DeleteTime = &timestamppb.Timestamp{Seconds: 1}
			return s
		}, func(f *cli.Flags) {}, nil, "Service [web] is in the process of being deleted.", "value:gcloud.run.deploy"},
		{"automatic_updates_with_image", nil, func(f *cli.Flags) { f.AutomaticUpdates = yes() },
			nil, "Invalid value for [--automatic-updates]: --automatic-updates can only be specified in the container that builds from source.", "value:gcloud.run.deploy"},
		{"too_many_containers", nil, func(f *cli.Flags) {
			f.Image = cli.String{}
			for i := 0; i < 11; i++ {
				f.Containers = append(f.Containers, cli.ContainerSection{Name: string(rune('a' + i)), ContainerFlags: cli.ContainerFlags{Image: str("i")}})
			}
			f.Containers[0].Port = str("80")
		}, nil, "Invalid value for [--container]: Services may include at most 10 containers", "value:gcloud.run.deploy"},
		{"source", nil, func(f *cli.Flags) { f.Image = cli.String{}; f.Source = str(".") }, nil, "", "source"},
		{"no_image", nil, func(f *cli.Flags) { f.Image = cli.String{} }, nil, "", "source"},
		{"function", nil, func(f *cli.Flags) { f.Function = str("main") }, nil, "", "source"},
		{"build_worker_pool", nil, func(f *cli.Flags) { f.BuildWorkerPool = str("p") }, nil, "", "source"},
		{"section_without_image", nil, func(f *cli.Flags) {
			f.Image = cli.String{}
			f.Containers = []cli.ContainerSection{{Name: "a", ContainerFlags: cli.ContainerFlags{Port: str("80")}}}
		}, nil, "", "source"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := baseFlags()
			tc.flags(f)
			o := testOptions()
			if tc.opts != nil {
				tc.opts(&o)
			}
			var existing *runpb.Service
			if tc.existing != nil {
				existing = tc.existing()
			}
			svc, err := Plan(existing, f, testTarget, o)
			if err == nil {
				t.Fatalf("want error, got service %v", svc)
			}
			if svc != nil {
				t.Errorf("service returned with error")
			}
			var ve *wrap.ValueError
			var ae *wrap.ArgumentError
			switch {
			case tc.kind == "source":
				if !errors.Is(err, ErrSourceDeploy) {
					t.Fatalf("want ErrSourceDeploy, got %T %v", err, err)
				}
				return
			case tc.kind == "argument":
				if !errors.As(err, &ae) {
					t.Fatalf("want *wrap.ArgumentError, got %T %v", err, err)
				}
			case strings.HasPrefix(tc.kind, "value:"):
				if !errors.As(err, &ve) {
					t.Fatalf("want *wrap.ValueError, got %T %v", err, err)
				}
				if cmd := strings.TrimPrefix(tc.kind, "value:"); ve.Command != cmd {
					t.Errorf("Command = %q, want %q", ve.Command, cmd)
				}
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n got %s\nwant %s", err, tc.want)
			}
		})
	}
}

// TestPlanConfirmClearVpc: with a prompt available and a yes answer, the
// connector and egress are cleared.
func TestPlanConfirmClearVpc(t *testing.T) {
	f := baseFlags()
	f.ClearVpcConnector = yes()
	f.VpcEgress = str("all-traffic")
	o := testOptions()
	var asked string
	o.Confirm = func(m string) (bool, error) { asked = m; return true, nil }
	got, err := Plan(existingService(), f, testTarget, o)
	if err != nil {
		t.Fatal(err)
	}
	if asked != "Removing the VPC connector from this service will clear the VPC egress setting and route outbound traffic to the public internet." {
		t.Errorf("prompt = %q", asked)
	}
	if got.Template.VpcAccess != nil {
		t.Errorf("vpc access = %v", got.Template.VpcAccess)
	}
}

// TestPlanDoesNotMutateFlags: the --add-volume mount-path shortcut
// generates a name without writing it into the caller's Flags.
func TestPlanDoesNotMutateFlags(t *testing.T) {
	f := baseFlags()
	f.AddVolume = dictList(dict("type=in-memory", "mount-path=/x"))
	if _, err := Plan(nil, f, testTarget, testOptions()); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.AddVolume.Items[0].Values["name"]; ok || len(f.AddVolume.Items[0].Keys) != 2 {
		t.Errorf("flags mutated: %+v", f.AddVolume.Items[0])
	}
}

// TestPlanRandomFailure: a failing random source is reported, not ignored.
func TestPlanRandomFailure(t *testing.T) {
	o := testOptions()
	o.Rand = bytes.NewReader(nil)
	if _, err := Plan(nil, baseFlags(), testTarget, o); err == nil || !strings.Contains(err.Error(), "random") {
		t.Errorf("err = %v", err)
	}
}

func TestRevisionName(t *testing.T) {
	long := strings.Repeat("s", 63)
	if got := revisionName(long, "v1"); got != strings.Repeat("s", 60)+"-v1" || len(got) != 63 {
		t.Errorf("revisionName = %q", got)
	}
	if got := revisionName("web", "00005-abc"); got != "web-00005-abc" {
		t.Errorf("revisionName = %q", got)
	}
}

func TestRandWords(t *testing.T) {
	r := newRandSource(rand.NewChaCha8([32]byte{9}))
	for i := 0; i < 2000; i++ {
		w, err := r.word()
		if err != nil {
			t.Fatal(err)
		}
		if len(w) != 3 || !strings.ContainsRune(consonants, rune(w[0])) || !strings.ContainsRune(vowels, rune(w[1])) ||
			!strings.ContainsRune(consonants, rune(w[2])) || invalidWords[w] {
			t.Fatalf("bad word %q", w)
		}
	}
	if len(invalidWords) != 248 {
		t.Errorf("blocklist has %d words, gcloud's has 248", len(invalidWords))
	}
}

func TestParseTimeout(t *testing.T) {
	cases := map[string]int64{"300": 300, "10m5s": 605, "1h": 3600, "5m30s": 330, "PT1M": 60, "1.5m": 90, "2h1s": 7201, "1": 1}
	for in, want := range cases {
		got, err := parseTimeout(in)
		if err != nil || got != want {
			t.Errorf("parseTimeout(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "-5", "abc", "10x", "1h2", "TT1S", "500ms"} {
		if _, err := parseTimeout(bad); err == nil {
			t.Errorf("parseTimeout(%q): want error", bad)
		}
	}
}

// FuzzParseTimeout: the duration parser never panics, and accepted values
// are at least one second.
func FuzzParseTimeout(f *testing.F) {
	for _, s := range []string{"300", "10m5s", "1h", "P1DT2H", "1.5m", "abc", "-1s", "PT", "1,5s", "5ms", "TT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseTimeout(s)
		if err == nil && n < 1 {
			t.Errorf("parseTimeout(%q) = %d", s, n)
		}
		var ae *wrap.ArgumentError
		if err != nil && !errors.As(err, &ae) {
			t.Errorf("parseTimeout(%q): error %T is not an ArgumentError", s, err)
		}
	})
}

// FuzzParseSecret: secret specs never panic; accepted specs always carry a
// reference and a short name, and remote specs a version ("latest" by
// default). A local "NAME:" keeps its empty version, as in gcloud.
func FuzzParseSecret(f *testing.F) {
	for _, s := range []string{"s:1", "s", "projects/1/secrets/s", "projects/1/secrets/s:2", "projects/1/secrets/s/versions/3", "a:b:c", ":", "a.b:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := parseSecret(s, "X")
		if err != nil {
			return
		}
		if rs.ref == "" || rs.name == "" || (strings.HasPrefix(rs.ref, "projects/") && rs.version == "") {
			t.Errorf("parseSecret(%q) = %+v", s, rs)
		}
	})
}

func TestTarget(t *testing.T) {
	if got := testTarget.Name(); got != "projects/my-proj/locations/us-central1/services/web" {
		t.Errorf("Name = %q", got)
	}
	if got := testTarget.Parent(); got != "projects/my-proj/locations/us-central1" {
		t.Errorf("Parent = %q", got)
	}
}
