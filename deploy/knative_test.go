package deploy

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/genproto/googleapis/api"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// formatGoldenUpdate reports whether -update was given; the flag is defined
// by another test file of this package.
func formatGoldenUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

var fixedTime = timestamppb.New(time.Date(2026, 11, 23, 19, 9, 16, 123456000, time.UTC))

// minimalService is what the API returns for a freshly created service
// deployed with only --image.
func minimalService() *runpb.Service {
	return &runpb.Service{
		Name:               "projects/my-proj/locations/us-central1/services/hello",
		Uid:                "e6ce701a-bfbe-4e4d-ac8c-5743095ac7f8",
		Generation:         1,
		CreateTime:         fixedTime,
		Creator:            "dev@example.com",
		LastModifier:       "dev@example.com",
		Client:             "rundeploy",
		ClientVersion:      "0.1.0",
		Ingress:            runpb.IngressTraffic_INGRESS_TRAFFIC_ALL,
		LaunchStage:        api.LaunchStage_GA, // not printed
		Etag:               `"AAA1"`,
		ObservedGeneration: 1,
		Template: &runpb.RevisionTemplate{
			Scaling:                       &runpb.RevisionScaling{MaxInstanceCount: 100},
			Timeout:                       durationpb.New(300 * time.Second),
			ServiceAccount:                "123-compute@developer.gserviceaccount.com",
			MaxInstanceRequestConcurrency: 80,
			Containers: []*runpb.Container{{
				Image:     "us-docker.pkg.dev/cloudrun/container/hello",
				Ports:     []*runpb.ContainerPort{{Name: "http1", ContainerPort: 8080}},
				Resources: &runpb.ResourceRequirements{Limits: map[string]string{"cpu": "1000m", "memory": "512Mi"}, CpuIdle: true, StartupCpuBoost: true},
			}},
		},
		Traffic:           []*runpb.TrafficTarget{{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, Percent: 100}},
		TerminalCondition: &runpb.Condition{Type: "Ready", State: runpb.Condition_CONDITION_SUCCEEDED, LastTransitionTime: fixedTime},
		Conditions: []*runpb.Condition{
			{Type: "ConfigurationsReady", State: runpb.Condition_CONDITION_SUCCEEDED, LastTransitionTime: fixedTime},
			{Type: "RoutesReady", State: runpb.Condition_CONDITION_SUCCEEDED, LastTransitionTime: fixedTime},
		},
		LatestReadyRevision:   "projects/my-proj/locations/us-central1/services/hello/revisions/hello-00001-abc",
		LatestCreatedRevision: "projects/my-proj/locations/us-central1/services/hello/revisions/hello-00001-abc",
		TrafficStatuses:       []*runpb.TrafficTargetStatus{{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, Percent: 100}},
		Uri:                   "https://hello-abcdefghij-uc.a.run.app",
		Urls:                  []string{"https://hello-123456789012.us-central1.run.app", "https://hello-abcdefghij-uc.a.run.app"},
	}
}

// richService exercises every mapped field: sidecar, env, secrets as env
// and volume, volumes, probes, scaling, VPC, tags and traffic.
func richService() *runpb.Service {
	s := minimalService()
	s.Name = "projects/my-proj/locations/us-central1/services/ks"
	s.Generation, s.ObservedGeneration = 3, 3
	s.Labels = map[string]string{"team": "a", "env": "prod"}
	s.Annotations = map[string]string{"example.com/owner": "platform"}
	s.Description = "my svc: the one with a description long enough to be folded by the YAML printer at eighty columns"
	s.Ingress = runpb.IngressTraffic_INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER
	s.LaunchStage = api.LaunchStage_BETA
	s.BinaryAuthorization = &runpb.BinaryAuthorization{BinauthzMethod: &runpb.BinaryAuthorization_UseDefault{UseDefault: true}, BreakglassJustification: "urgent"}
	s.CustomAudiences = []string{"aud1", "https://aud2"}
	s.DefaultUriDisabled = true
	s.InvokerIamDisabled = true
	s.IapEnabled = true
	s.Scaling = &runpb.ServiceScaling{MinInstanceCount: 2, MaxInstanceCount: 20, ScalingMode: runpb.ServiceScaling_AUTOMATIC}
	s.Template = &runpb.RevisionTemplate{
		Revision:                      "ks-00003-nit",
		Labels:                        map[string]string{"team": "a", "env": "prod"},
		Scaling:                       &runpb.RevisionScaling{MinInstanceCount: 1, MaxInstanceCount: 10},
		VpcAccess:                     &runpb.VpcAccess{Egress: runpb.VpcAccess_PRIVATE_RANGES_ONLY, NetworkInterfaces: []*runpb.VpcAccess_NetworkInterface{{Network: "default", Subnetwork: "sub", Tags: []string{"t1", "t2"}}}},
		Timeout:                       durationpb.New(330 * time.Second),
		ServiceAccount:                "sa@my-proj.iam.gserviceaccount.com",
		ExecutionEnvironment:          runpb.ExecutionEnvironment_EXECUTION_ENVIRONMENT_GEN2,
		EncryptionKey:                 "projects/p/locations/l/keyRings/r/cryptoKeys/k",
		EncryptionKeyRevocationAction: runpb.EncryptionKeyRevocationAction_SHUTDOWN,
		EncryptionKeyShutdownDuration: durationpb.New(2 * time.Hour),
		MaxInstanceRequestConcurrency: 50,
		SessionAffinity:               true,
		HealthCheckDisabled:           true,
		NodeSelector:                  &runpb.NodeSelector{Accelerator: "nvidia-l4"},
		GpuZonalRedundancyDisabled:    proto.Bool(true),
		Containers: []*runpb.Container{
			{
				Name:    "app",
				Image:   "us-docker.pkg.dev/my-proj/repo/app:1.0",
				Command: []string{"/bin/app"},
				Args:    []string{"--flag", "x"},
				Env: []*runpb.EnvVar{
					{Name: "A", Values: &runpb.EnvVar_Value{Value: "1"}},
					{Name: "B", Values: &runpb.EnvVar_Value{Value: "two words"}},
					{Name: "DB_PASS", Values: &runpb.EnvVar_ValueSource{ValueSource: &runpb.EnvVarSource{SecretKeyRef: &runpb.SecretKeySelector{Secret: "dbpass", Version: "latest"}}}},
				},
				Resources:    &runpb.ResourceRequirements{Limits: map[string]string{"cpu": "2", "memory": "1Gi", "nvidia.com/gpu": "1"}, CpuIdle: false, StartupCpuBoost: true},
				Ports:        []*runpb.ContainerPort{{Name: "h2c", ContainerPort: 9090}},
				VolumeMounts: []*runpb.VolumeMount{{Name: "apikey", MountPath: "/etc/secrets"}, {Name: "cache", MountPath: "/cache"}, {Name: "cloudsql", MountPath: "/cloudsql"}},
				WorkingDir:   "/srv",
				StartupProbe: &runpb.Probe{InitialDelaySeconds: 3, FailureThreshold: 5, TimeoutSeconds: 1, PeriodSeconds: 240,
					ProbeType: &runpb.Probe_TcpSocket{TcpSocket: &runpb.TCPSocketAction{Port: 9090}}},
				LivenessProbe: &runpb.Probe{PeriodSeconds: 10,
					ProbeType: &runpb.Probe_HttpGet{HttpGet: &runpb.HTTPGetAction{Path: "/healthz", Port: 9090, HttpHeaders: []*runpb.HTTPHeader{{Name: "X-Probe", Value: "1"}}}}},
				ReadinessProbe: &runpb.Probe{ProbeType: &runpb.Probe_Grpc{Grpc: &runpb.GRPCAction{Port: 9090, Service: "health"}}},
				DependsOn:      []string{"side"},
			},
			{
				Name:         "side",
				Image:        "us-docker.pkg.dev/my-proj/repo/side:2",
				Resources:    &runpb.ResourceRequirements{Limits: map[string]string{"memory": "512Mi"}},
				VolumeMounts: []*runpb.VolumeMount{{Name: "bkt", MountPath: "/data"}, {Name: "nfsv", MountPath: "/nfs"}},
				BaseImageUri: "us-central1-docker.pkg.dev/serverless-runtimes/google-22/runtimes/go122",
			},
		},
		Volumes: []*runpb.Volume{
			{Name: "apikey", VolumeType: &runpb.Volume_Secret{Secret: &runpb.SecretVolumeSource{Secret: "apikey", Items: []*runpb.VersionToPath{{Path: "key", Version: "3"}}}}},
			{Name: "cache", VolumeType: &runpb.Volume_EmptyDir{EmptyDir: &runpb.EmptyDirVolumeSource{Medium: runpb.EmptyDirVolumeSource_MEMORY, SizeLimit: "256Mi"}}},
			{Name: "bkt", VolumeType: &runpb.Volume_Gcs{Gcs: &runpb.GCSVolumeSource{Bucket: "mybucket", ReadOnly: true, MountOptions: []string{"implicit-dirs", "uid=1000"}}}},
			{Name: "nfsv", VolumeType: &runpb.Volume_Nfs{Nfs: &runpb.NFSVolumeSource{Server: "10.0.0.2", Path: "/share"}}},
			{Name: "cloudsql", VolumeType: &runpb.Volume_CloudSqlInstance{CloudSqlInstance: &runpb.CloudSqlInstance{Instances: []string{"my-proj:us-central1:inst1", "p2:r2:i2"}}}},
		},
	}
	s.Traffic = []*runpb.TrafficTarget{
		{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, Revision: "ks-00002-abc", Percent: 100},
		{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, Revision: "ks-00003-nit", Tag: "blue"},
	}
	s.LatestReadyRevision = "projects/my-proj/locations/us-central1/services/ks/revisions/ks-00003-nit"
	s.LatestCreatedRevision = s.LatestReadyRevision
	s.TrafficStatuses = []*runpb.TrafficTargetStatus{
		{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, Revision: "ks-00002-abc", Percent: 100},
		{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION, Revision: "ks-00003-nit", Tag: "blue", Uri: "https://blue---ks-abcdefghij-uc.a.run.app"},
	}
	s.Uri = "https://ks-abcdefghij-uc.a.run.app"
	s.Urls = []string{"https://ks-123456789012.us-central1.run.app", "https://ks-abcdefghij-uc.a.run.app"}
	return s
}

// failedService is a deploy whose revision did not become ready.
func failedService() *runpb.Service {
	s := minimalService()
	msg := "Revision 'hello-00001-abc' is not ready and cannot serve traffic. The user-provided container failed to start and listen on the port defined provided by the PORT=8080 environment variable within the allocated timeout."
	s.TerminalCondition = &runpb.Condition{Type: "Ready", State: runpb.Condition_CONDITION_FAILED, Message: msg, LastTransitionTime: fixedTime,
		Severity: runpb.Condition_ERROR, Reasons: &runpb.Condition_RevisionReason_{RevisionReason: runpb.Condition_HEALTH_CHECK_CONTAINER_ERROR}}
	s.Conditions = []*runpb.Condition{
		{Type: "ConfigurationsReady", State: runpb.Condition_CONDITION_FAILED, Message: msg, LastTransitionTime: fixedTime},
		{Type: "RoutesReady", State: runpb.Condition_CONDITION_PENDING, LastTransitionTime: fixedTime},
	}
	s.LatestReadyRevision = ""
	s.TrafficStatuses = nil
	return s
}

func goldenCases() map[string]*runpb.Service {
	return map[string]*runpb.Service{"minimal": minimalService(), "rich": richService(), "failed": failedService()}
}

// checkFormatGolden compares got with testdata/format/name, rewriting it with -update.
func checkFormatGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "format", name)
	if formatGoldenUpdate() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -run Format ./deploy/ -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s mismatch\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestKnativeServiceGolden(t *testing.T) {
	for name, svc := range goldenCases() {
		for _, format := range []string{"json", "yaml"} {
			t.Run(name+"."+format, func(t *testing.T) {
				var buf bytes.Buffer
				if err := WriteFormat(&buf, format, KnativeService(svc, "")); err != nil {
					t.Fatal(err)
				}
				checkFormatGolden(t, name+"."+format, buf.Bytes())
			})
		}
	}
}

func TestKnativeServiceFields(t *testing.T) {
	obj := KnativeService(richService(), "123456789012")
	tests := []struct{ key, want string }{
		{"metadata.namespace", "123456789012"},
		{"metadata.selfLink", "/apis/serving.knative.dev/v1/namespaces/123456789012/services/ks"},
		{"metadata.resourceVersion", "AAA1"},
		{"metadata.creationTimestamp", "2026-11-23T19:09:16.123456Z"},
		{"metadata.labels['cloud.googleapis.com/location']", "us-central1"},
		{"metadata.annotations['run.googleapis.com/ingress']", "internal-and-cloud-load-balancing"},
		{"metadata.annotations['run.googleapis.com/launch-stage']", "BETA"},
		{"metadata.annotations['run.googleapis.com/custom-audiences']", `["aud1","https://aud2"]`},
		{"metadata.annotations['run.googleapis.com/minScale']", "2"},
		{"metadata.annotations['run.googleapis.com/scalingMode']", "automatic"},
		{"metadata.annotations['run.googleapis.com/binary-authorization']", "default"},
		{"spec.template.metadata.name", "ks-00003-nit"},
		{"spec.template.metadata.annotations['autoscaling.knative.dev/maxScale']", "10"},
		{"spec.template.metadata.annotations['run.googleapis.com/cloudsql-instances']", "my-proj:us-central1:inst1,p2:r2:i2"},
		{"spec.template.metadata.annotations['run.googleapis.com/cpu-throttling']", "false"},
		{"spec.template.metadata.annotations['run.googleapis.com/container-dependencies']", `{"app":["side"]}`},
		{"spec.template.metadata.annotations['run.googleapis.com/network-interfaces']", `[{"network":"default","subnetwork":"sub","tags":["t1","t2"]}]`},
		{"spec.template.metadata.annotations['run.googleapis.com/encryption-key-shutdown-hours']", "2"},
		{"spec.template.metadata.annotations['run.googleapis.com/post-key-revocation-action-type']", "shut-down"},
		{"spec.template.spec.timeoutSeconds", "330"},
		{"spec.template.spec.containers[0].env[2].valueFrom.secretKeyRef.name", "dbpass"},
		{"spec.template.spec.containers[0].env[2].valueFrom.secretKeyRef.key", "latest"},
		{"spec.template.spec.containers[0].volumeMounts[].name", "apikey;cache"},
		{"spec.template.spec.volumes[].name", "apikey;cache;bkt;nfsv"},
		{"spec.template.spec.volumes[2].csi.volumeAttributes.mountOptions", "implicit-dirs,uid=1000"},
		{"spec.traffic[].revisionName", "ks-00002-abc;ks-00003-nit"},
		{"status.latestReadyRevisionName", "ks-00003-nit"},
		{"status.traffic[1].url", "https://blue---ks-abcdefghij-uc.a.run.app"},
		{"status.conditions[].type", "Ready;ConfigurationsReady;RoutesReady"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := WriteFormat(&buf, "value("+tt.key+")", obj); err != nil {
			t.Fatalf("%s: %v", tt.key, err)
		}
		if got := buf.String(); got != tt.want+"\n" {
			t.Errorf("value(%s) = %q, want %q", tt.key, got, tt.want+"\n")
		}
	}
}

// TestKnativeServiceTable: headings and cells as gcloud's table printer
// shows them for rich.json.
func TestKnativeServiceTable(t *testing.T) {
	obj := KnativeService(richService(), "")
	tests := []struct{ format, want string }{
		{"table(metadata.name,spec.template.spec.containers[].name,status.traffic[].tag)",
			"NAME  CONTAINERS_NAME  TAG\nks    ['app', 'side']  [None, 'blue']\n"},
		{"table(metadata.name,spec.template.metadata.name,status.latestReadyRevisionName)",
			"NAME  METADATA_NAME  LATEST_READY_REVISION_NAME\nks    ks-00003-nit   ks-00003-nit\n"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := WriteFormat(&buf, tt.format, obj); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tt.want {
			t.Errorf("%s:\ngot  %q\nwant %q", tt.format, buf.String(), tt.want)
		}
	}
}

func TestKnativeServiceFailedConditions(t *testing.T) {
	obj := KnativeService(failedService(), "")
	b, _ := json.Marshal(obj["status"])
	var st struct {
		Conditions []map[string]string `json:"conditions"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	want := []struct{ typ, status, reason string }{
		{"Ready", "False", "HealthCheckContainerError"}, {"ConfigurationsReady", "False", ""}, {"RoutesReady", "Unknown", ""},
	}
	if len(st.Conditions) != len(want) {
		t.Fatalf("conditions = %v", st.Conditions)
	}
	for i, w := range want {
		c := st.Conditions[i]
		if c["type"] != w.typ || c["status"] != w.status || c["reason"] != w.reason {
			t.Errorf("condition %d = %v, want %+v", i, c, w)
		}
	}
}

func TestKnativeServiceEmpty(t *testing.T) {
	obj := KnativeService(&runpb.Service{Name: "projects/p/locations/r/services/s"}, "")
	var buf bytes.Buffer
	if err := WriteFormat(&buf, "json", obj); err != nil {
		t.Fatal(err)
	}
	checkFormatGolden(t, "empty.json", buf.Bytes())
}
