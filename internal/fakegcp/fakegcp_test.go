package fakegcp

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	artifactregistry "cloud.google.com/go/artifactregistry/apiv1"
	"cloud.google.com/go/artifactregistry/apiv1/artifactregistrypb"
	"cloud.google.com/go/iam/apiv1/iampb"
	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	resourcemanager "cloud.google.com/go/resourcemanager/apiv3"
	"cloud.google.com/go/resourcemanager/apiv3/resourcemanagerpb"
	run "cloud.google.com/go/run/apiv2"
	"cloud.google.com/go/run/apiv2/runpb"
	"github.com/googleapis/gax-go/v2/apierror"
	"golang.org/x/oauth2"
	"google.golang.org/api/option"
	"google.golang.org/genproto/googleapis/type/expr"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

const (
	proj     = "my-proj"
	projNum  = 123456789012
	imgProj  = "img-proj"
	imgNum   = 987654321098
	region   = "us-central1"
	ci       = "serviceAccount:ci@my-proj.iam.gserviceaccount.com"
	ciToken  = "tok-ci"
	outsider = "user:mallory@example.com"
	outToken = "tok-mallory"
	repo     = "projects/my-proj/locations/us-central1/repositories/apps"
	imgRepo  = "projects/img-proj/locations/us-central1/repositories/shared"
	image    = "us-central1-docker.pkg.dev/my-proj/apps/web:v1"
	xImage   = "us-central1-docker.pkg.dev/img-proj/shared/api:v2"
	svcName  = "projects/my-proj/locations/us-central1/services/web"
)

// newWorld starts a server with two projects: ci may deploy in my-proj and
// read both repositories; my-proj's service agent cannot read img-proj's.
func newWorld(t *testing.T, opts Options) *Server {
	t.Helper()
	s := New(opts)
	t.Cleanup(s.Close)
	s.AddProject(proj, projNum)
	s.AddProject(imgProj, imgNum)
	s.AddToken(ciToken, ci)
	s.AddToken(outToken, outsider)
	s.Grant("projects/"+proj, "roles/run.developer", ci)
	s.AddRepository(repo)
	s.AddRepository(imgRepo)
	s.Grant(repo, "roles/artifactregistry.reader", ci)
	s.Grant(imgRepo, "roles/artifactregistry.admin", ci)
	s.PushImage(image)
	s.PushImage(xImage)
	return s
}

func clientOpts(s *Server, token string) []option.ClientOption {
	return []option.ClientOption{
		option.WithEndpoint(s.URL),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})),
	}
}

func runClient(t *testing.T, s *Server, token string) *run.ServicesClient {
	t.Helper()
	c, err := run.NewServicesRESTClient(context.Background(), clientOpts(s, token)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func webService(img string) *runpb.Service {
	return &runpb.Service{
		Client: "rundeploy", ClientVersion: "0.0.1-test",
		Labels: map[string]string{"team": "a"},
		Template: &runpb.RevisionTemplate{
			Containers: []*runpb.Container{{Image: img, Env: []*runpb.EnvVar{{Name: "A", Values: &runpb.EnvVar_Value{Value: "1"}}}}},
		},
	}
}

func httpCode(err error) int {
	var ae *apierror.APIError
	if errors.As(err, &ae) {
		return ae.HTTPCode()
	}
	return 0
}

func TestRunCreateGetUpdate(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, Options{})
	c := runClient(t, s, ciToken)

	_, err := c.GetService(ctx, &runpb.GetServiceRequest{Name: svcName})
	want := "Resource 'web' of kind 'SERVICE' in region 'us-central1' in project 'my-proj' does not exist."
	if httpCode(err) != 404 || !strings.Contains(err.Error(), want) {
		t.Fatalf("GetService of a missing service: %v, want 404 %q", err, want)
	}

	op, err := c.CreateService(ctx, &runpb.CreateServiceRequest{Parent: "projects/my-proj/locations/us-central1", ServiceId: "web", Service: webService(image)})
	if err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	if op.Done() {
		t.Fatal("create operation is done at once, want pending")
	}
	md, err := op.Metadata()
	if err != nil || !md.GetReconciling() || md.GetTerminalCondition().GetState() != runpb.Condition_CONDITION_RECONCILING {
		t.Fatalf("metadata = %v, %v; want a reconciling service", md, err)
	}
	svc, err := op.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if got := svc.GetTerminalCondition().GetState(); got != runpb.Condition_CONDITION_SUCCEEDED {
		t.Errorf("terminal condition = %v", got)
	}
	if !strings.HasPrefix(svc.LatestReadyRevision, svcName[:strings.LastIndex(svcName, "/services/")]+"/revisions/web-00001-") ||
		svc.LatestReadyRevision != svc.LatestCreatedRevision {
		t.Errorf("revisions = %q / %q", svc.LatestCreatedRevision, svc.LatestReadyRevision)
	}
	if svc.Generation != 1 || svc.ObservedGeneration != 1 || svc.Reconciling {
		t.Errorf("generation %d observed %d reconciling %v", svc.Generation, svc.ObservedGeneration, svc.Reconciling)
	}
	if svc.Client != "rundeploy" || svc.ClientVersion != "0.0.1-test" || svc.Labels["team"] != "a" ||
		svc.Template.Containers[0].Env[0].GetValue() != "1" {
		t.Errorf("fields the client sent were not kept: %v", svc)
	}
	if !strings.HasPrefix(svc.Uri, "https://web-") || !strings.HasSuffix(svc.Uri, "-uc.a.run.app") || len(svc.Urls) != 2 {
		t.Errorf("uri %q urls %v", svc.Uri, svc.Urls)
	}
	if len(svc.TrafficStatuses) != 1 || svc.TrafficStatuses[0].Percent != 100 ||
		svc.TrafficStatuses[0].Type != runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST {
		t.Errorf("traffic statuses = %v", svc.TrafficStatuses)
	}
	if svc.Creator != "ci@my-proj.iam.gserviceaccount.com" || svc.Etag == "" {
		t.Errorf("creator %q etag %q", svc.Creator, svc.Etag)
	}

	got, err := c.GetService(ctx, &runpb.GetServiceRequest{Name: svcName})
	if err != nil || got.Etag != svc.Etag {
		t.Fatalf("GetService = %v, %v", got, err)
	}

	// Update with a tag: a new revision and a tag URL.
	got.Template.Containers[0].Image = "us-central1-docker.pkg.dev/my-proj/apps/web:v1"
	got.Template.Labels = map[string]string{"v": "2"}
	got.Traffic = append(got.Traffic, &runpb.TrafficTarget{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, Tag: "blue"})
	uop, err := c.UpdateService(ctx, &runpb.UpdateServiceRequest{Service: got})
	if err != nil {
		t.Fatalf("UpdateService: %v", err)
	}
	up, err := uop.Wait(ctx)
	if err != nil {
		t.Fatalf("update Wait: %v", err)
	}
	if up.Generation != 2 || !strings.Contains(up.LatestReadyRevision, "/revisions/web-00002-") {
		t.Errorf("after update: generation %d revision %q", up.Generation, up.LatestReadyRevision)
	}
	if tag := up.TrafficStatuses[1]; tag.Tag != "blue" || !strings.HasPrefix(tag.Uri, "https://blue---web-") {
		t.Errorf("tag status = %v", tag)
	}

	// A stale etag is refused.
	got.Etag = svc.Etag
	_, err = c.UpdateService(ctx, &runpb.UpdateServiceRequest{Service: got})
	if httpCode(err) != 409 {
		t.Fatalf("update with stale etag: %v, want 409", err)
	}

	// An update mask touches only the named fields.
	mop, err := c.UpdateService(ctx, &runpb.UpdateServiceRequest{
		Service:    &runpb.Service{Name: svcName, Labels: map[string]string{"team": "b"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"labels"}},
	})
	if err != nil {
		t.Fatalf("masked update: %v", err)
	}
	masked, err := mop.Wait(ctx)
	if err != nil || masked.Labels["team"] != "b" || masked.Template.Containers[0].Image != image {
		t.Fatalf("masked update = %v, %v", masked, err)
	}

	// System namespaces are rejected.
	bad := webService(image)
	bad.Template.Labels = map[string]string{"run.googleapis.com/x": "y"}
	if _, err := c.CreateService(ctx, &runpb.CreateServiceRequest{Parent: "projects/my-proj/locations/us-central1", ServiceId: "bad", Service: bad}); httpCode(err) != 400 {
		t.Errorf("reserved label: %v, want 400", err)
	}

	// validateOnly stores nothing.
	vop, err := c.CreateService(ctx, &runpb.CreateServiceRequest{Parent: "projects/my-proj/locations/us-central1", ServiceId: "dry", Service: webService(image), ValidateOnly: true})
	if err != nil || !vop.Done() {
		t.Fatalf("validateOnly create = %v, %v", vop, err)
	}
	if s.Service("projects/my-proj/locations/us-central1/services/dry") != nil {
		t.Error("validateOnly create stored the service")
	}
}

func TestRunWaitOperationLongPoll(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, Options{OperationDelay: 30 * time.Millisecond})
	c := runClient(t, s, ciToken)
	op, err := c.CreateService(ctx, &runpb.CreateServiceRequest{Parent: "projects/my-proj/locations/us-central1", ServiceId: "web", Service: webService(image)})
	if err != nil {
		t.Fatal(err)
	}
	s.ResetRequests()
	got, err := c.WaitOperation(ctx, &longrunningpb.WaitOperationRequest{Name: op.Name(), Timeout: durationpb.New(time.Minute)})
	if err != nil || !got.Done || got.GetResponse() == nil {
		t.Fatalf("WaitOperation = %v, %v; want done with a response", got, err)
	}
	if n := len(s.Requests()); n != 1 {
		t.Errorf("%d requests to see completion, want 1", n)
	}
	if svc := s.Service(svcName); svc.Reconciling || svc.TerminalCondition.State != runpb.Condition_CONDITION_SUCCEEDED {
		t.Errorf("service after wait: %v", svc)
	}
}

func TestRunCallerCannotReadImage(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, Options{})
	s.Revoke(repo, "roles/artifactregistry.reader", ci)
	c := runClient(t, s, ciToken)
	tests := []struct {
		name, image, want string
	}{
		{"same project", image, "User must have permission to read the image, " + image + ". Ensure that the provided container image URL is correct and that the above account has permission to access the image. If you just enabled the Cloud Run API, the permissions might take a few minutes to propagate. Permission 'artifactregistry.repositories.downloadArtifacts' denied on resource 'projects/my-proj/locations/us-central1/repositories/apps' (or it may not exist)."},
		{"other project", "us-docker.pkg.dev/other/r/app:1", "Note that the image is from project [other], which is not the same as this project [my-proj]."},
		{"gcr.io", "gcr.io/my-proj/app:1", "denied on resource 'projects/my-proj/locations/us/repositories/gcr.io'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateService(ctx, &runpb.CreateServiceRequest{Parent: "projects/my-proj/locations/us-central1", ServiceId: "web", Service: webService(tt.image)})
			if httpCode(err) != 403 || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("CreateService: %v\nwant 403 containing %q", err, tt.want)
			}
		})
	}
	// Docker Hub images are not checked.
	op, err := c.CreateService(ctx, &runpb.CreateServiceRequest{Parent: "projects/my-proj/locations/us-central1", ServiceId: "hub", Service: webService("nginx")})
	if err != nil {
		t.Fatalf("Docker Hub image: %v", err)
	}
	if _, err := op.Wait(ctx); err != nil {
		t.Fatalf("Docker Hub image: %v", err)
	}
	// Without run.services.create the run permission is reported first.
	_, err = runClient(t, s, outToken).CreateService(ctx, &runpb.CreateServiceRequest{Parent: "projects/my-proj/locations/us-central1", ServiceId: "web", Service: webService(image)})
	if httpCode(err) != 403 || !strings.Contains(err.Error(), "Permission 'run.services.create' denied on resource 'projects/my-proj/locations/us-central1/services/web'") {
		t.Fatalf("outsider create: %v", err)
	}
}

func TestRunRevisionFailures(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, Options{PropagationDelay: time.Hour})
	c := runClient(t, s, ciToken)
	s.FailImage("us-central1-docker.pkg.dev/my-proj/apps/web:v1", "")
	s.PushImage("us-central1-docker.pkg.dev/my-proj/apps/web:v3")
	tests := []struct {
		name, service, image string
		reason               runpb.Condition_CommonReason
		want                 string
	}{
		{"service agent", "cross", xImage, runpb.Condition_CONTAINER_PERMISSION_DENIED,
			"Google Cloud Run Service Agent service-123456789012@serverless-robot-prod.iam.gserviceaccount.com must have permission to read the image, " + xImage + ". Ensure that the provided container image URL is correct and that the above account has permission to access the image. If you just enabled the Cloud Run API, the permissions might take a few minutes to propagate. Note that the image is from project [img-proj], which is not the same as this project [my-proj]. Permission must be granted to the Google Cloud Run Service Agent from this project."},
		{"missing tag", "missing", "us-central1-docker.pkg.dev/my-proj/apps/web:nope", runpb.Condition_CONTAINER_MISSING,
			"Image 'us-central1-docker.pkg.dev/my-proj/apps/web:nope' not found."},
		{"container fails", "crash", image, runpb.Condition_REVISION_FAILED,
			"The user-provided container failed to start and listen on the port defined provided by the PORT=8080 environment variable within the allocated timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op, err := c.CreateService(ctx, &runpb.CreateServiceRequest{Parent: "projects/my-proj/locations/us-central1", ServiceId: tt.service, Service: webService(tt.image)})
			if err != nil {
				t.Fatalf("CreateService: %v", err)
			}
			_, err = op.Wait(ctx)
			if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Wait: %v\nwant code 9 containing %q", err, tt.want)
			}
			svc := s.Service("projects/my-proj/locations/us-central1/services/" + tt.service)
			tc := svc.GetTerminalCondition()
			if tc.GetState() != runpb.Condition_CONDITION_FAILED || tc.GetReason() != tt.reason ||
				!strings.HasPrefix(tc.GetMessage(), "Revision '"+tt.service+"-00001-") || !strings.Contains(tc.GetMessage(), "is not ready and cannot serve traffic. ") {
				t.Errorf("terminal condition = %v", tc)
			}
			if svc.LatestReadyRevision != "" || svc.LatestCreatedRevision == "" {
				t.Errorf("revisions: created %q ready %q", svc.LatestCreatedRevision, svc.LatestReadyRevision)
			}
		})
	}

	// Granting the agent through the API only works once propagated.
	ar, err := artifactregistry.NewRESTClient(ctx, clientOpts(s, ciToken)...)
	if err != nil {
		t.Fatal(err)
	}
	defer ar.Close()
	p, err := ar.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: imgRepo})
	if err != nil {
		t.Fatal(err)
	}
	p.Bindings = append(p.Bindings, &iampb.Binding{Role: "roles/artifactregistry.reader", Members: []string{serviceAgent(projNum)}})
	if _, err := ar.SetIamPolicy(ctx, &iampb.SetIamPolicyRequest{Resource: imgRepo, Policy: p}); err != nil {
		t.Fatal(err)
	}
	deploy := func() error {
		op, err := c.CreateService(ctx, &runpb.CreateServiceRequest{Parent: "projects/my-proj/locations/us-central1", ServiceId: "cross2", Service: webService(xImage)})
		if err != nil {
			return err
		}
		_, err = op.Wait(ctx)
		return err
	}
	if err := deploy(); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("deploy before propagation: %v, want code 9", err)
	}
	s.PropagateNow()
	op, err := c.UpdateService(ctx, &runpb.UpdateServiceRequest{Service: &runpb.Service{Name: "projects/my-proj/locations/us-central1/services/cross2", Template: webService(xImage).Template}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := op.Wait(ctx); err != nil {
		t.Fatalf("deploy after propagation: %v", err)
	}
}

func TestRunServiceIAM(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, Options{})
	s.Grant("projects/"+proj, "roles/run.admin", ci)
	c := runClient(t, s, ciToken)
	op, _ := c.CreateService(ctx, &runpb.CreateServiceRequest{Parent: "projects/my-proj/locations/us-central1", ServiceId: "web", Service: webService(image)})
	if _, err := op.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := c.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: svcName})
	if err != nil {
		t.Fatal(err)
	}
	p.Bindings = append(p.Bindings, &iampb.Binding{Role: "roles/run.invoker", Members: []string{"allUsers"}})
	if _, err := c.SetIamPolicy(ctx, &iampb.SetIamPolicyRequest{Resource: svcName, Policy: p}); err != nil {
		t.Fatal(err)
	}
	if got := s.Policy(svcName); len(got.Bindings) != 1 || got.Bindings[0].Members[0] != "allUsers" {
		t.Errorf("policy = %v", got)
	}
	tp, err := runClient(t, s, outToken).TestIamPermissions(ctx, &iampb.TestIamPermissionsRequest{Resource: svcName, Permissions: []string{"run.routes.invoke", "run.services.setIamPolicy"}})
	if err != nil || len(tp.Permissions) != 1 || tp.Permissions[0] != "run.routes.invoke" {
		t.Errorf("outsider permissions = %v, %v", tp, err)
	}
	s.Revoke("projects/"+proj, "roles/run.admin", ci)
	if _, err := c.SetIamPolicy(ctx, &iampb.SetIamPolicyRequest{Resource: svcName, Policy: p}); httpCode(err) != 403 {
		t.Errorf("run.developer setIamPolicy: %v, want 403", err)
	}
}

func TestArtifactRegistryIAM(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, Options{})
	ar, err := artifactregistry.NewRESTClient(ctx, clientOpts(s, ciToken)...)
	if err != nil {
		t.Fatal(err)
	}
	defer ar.Close()

	r, err := ar.GetRepository(ctx, &artifactregistrypb.GetRepositoryRequest{Name: imgRepo})
	if err != nil || r.RegistryUri != "us-central1-docker.pkg.dev/img-proj/shared" {
		t.Fatalf("GetRepository = %v, %v", r, err)
	}

	// Read-modify-write against a concurrent writer.
	agent := serviceAgent(projNum)
	s.RaceNextSetIamPolicy(imgRepo, func(p *iampb.Policy) { addMember(p, "roles/artifactregistry.writer", "user:other@example.com") })
	cond := &iampb.Binding{Role: "roles/artifactregistry.reader", Members: []string{"user:temp@example.com"},
		Condition: &expr.Expr{Title: "temp", Expression: `request.time < timestamp("2030-01-01T00:00:00Z")`}}
	s.SetPolicy(imgRepo, &iampb.Policy{Version: 3, Bindings: []*iampb.Binding{
		{Role: "roles/artifactregistry.admin", Members: []string{ci}}, cond,
	}})
	rmw := func() error {
		p, err := ar.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: imgRepo, Options: &iampb.GetPolicyOptions{RequestedPolicyVersion: 3}})
		if err != nil {
			return err
		}
		addMember(p, "roles/artifactregistry.reader", agent)
		_, err = ar.SetIamPolicy(ctx, &iampb.SetIamPolicyRequest{Resource: imgRepo, Policy: p})
		return err
	}
	err = rmw()
	if httpCode(err) != 409 || !strings.Contains(err.Error(), "There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.") {
		t.Fatalf("first setIamPolicy: %v, want 409 ABORTED", err)
	}
	if err := rmw(); err != nil {
		t.Fatalf("retry: %v", err)
	}
	p := s.Policy(imgRepo)
	var members []string
	for _, b := range p.Bindings {
		members = append(members, b.Role+"="+strings.Join(b.Members, ","))
	}
	got := strings.Join(members, " ")
	for _, want := range []string{"roles/artifactregistry.writer=user:other@example.com", agent} {
		if !strings.Contains(got, want) {
			t.Errorf("policy %s lacks %s", got, want)
		}
	}
	if p.Version != 3 || !strings.Contains(p.String(), "2030-01-01") {
		t.Errorf("version %d / conditional binding not kept: %v", p.Version, p)
	}
	// The agent was added to a new unconditional binding, not the conditional one.
	if !s.allowed(agent, imgRepo, permDownload) || s.allowed("user:temp@example.com", imgRepo, permDownload) {
		t.Error("conditional bindings must not grant; the agent's new binding must")
	}

	// testIamPermissions: the subset, with project -> repository inheritance.
	s.Grant("projects/"+imgProj, "roles/viewer", outsider)
	out, err := artifactregistry.NewRESTClient(ctx, clientOpts(s, outToken)...)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	perms := []string{permDownload, permRepoSetIam, permRepoGetIam}
	tp, err := out.TestIamPermissions(ctx, &iampb.TestIamPermissionsRequest{Resource: imgRepo, Permissions: perms})
	if err != nil || strings.Join(tp.Permissions, ",") != permDownload+","+permRepoGetIam {
		t.Errorf("viewer permissions = %v, %v", tp.GetPermissions(), err)
	}
	_, err = out.SetIamPolicy(ctx, &iampb.SetIamPolicyRequest{Resource: imgRepo, Policy: p})
	if httpCode(err) != 403 || !strings.Contains(err.Error(), "Permission 'artifactregistry.repositories.setIamPolicy' denied on resource '"+imgRepo+"' (or it may not exist).") {
		t.Errorf("viewer setIamPolicy: %v", err)
	}
	tp, err = out.TestIamPermissions(ctx, &iampb.TestIamPermissionsRequest{Resource: "projects/img-proj/locations/us/repositories/nope", Permissions: perms})
	if err != nil || len(tp.Permissions) != 0 {
		t.Errorf("missing repository permissions = %v, %v", tp.GetPermissions(), err)
	}
}

func TestResourceManager(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, Options{})
	s.Grant("projects/"+proj, "roles/resourcemanager.projectIamAdmin", ci)
	c, err := resourcemanager.NewProjectsRESTClient(ctx, clientOpts(s, ciToken)...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.GetProject(ctx, &resourcemanagerpb.GetProjectRequest{Name: "projects/my-proj"})
	if err != nil || p.Name != "projects/123456789012" || p.ProjectId != proj || p.State != resourcemanagerpb.Project_ACTIVE {
		t.Fatalf("GetProject = %v, %v", p, err)
	}
	pol, err := c.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: "projects/my-proj"})
	if err != nil {
		t.Fatal(err)
	}
	stale := string(pol.Etag)
	addMember(pol, "roles/artifactregistry.reader", serviceAgent(imgNum))
	if _, err := c.SetIamPolicy(ctx, &iampb.SetIamPolicyRequest{Resource: "projects/my-proj", Policy: pol}); err != nil {
		t.Fatal(err)
	}
	pol.Etag = []byte(stale)
	if _, err := c.SetIamPolicy(ctx, &iampb.SetIamPolicyRequest{Resource: "projects/my-proj", Policy: pol}); httpCode(err) != 409 {
		t.Errorf("stale etag: %v, want 409", err)
	}
	tp, err := c.TestIamPermissions(ctx, &iampb.TestIamPermissionsRequest{Resource: "projects/my-proj", Permissions: []string{permProjectSetIam, "resourcemanager.projects.delete"}})
	if err != nil || len(tp.Permissions) != 1 || tp.Permissions[0] != permProjectSetIam {
		t.Errorf("TestIamPermissions = %v, %v", tp, err)
	}
	if _, err := c.GetProject(ctx, &resourcemanagerpb.GetProjectRequest{Name: "projects/img-proj"}); httpCode(err) != 403 {
		t.Errorf("GetProject without access: %v, want 403", err)
	}

	// Without credentials the caller is Options.DefaultMember.
	anon, err := resourcemanager.NewProjectsRESTClient(ctx, option.WithEndpoint(s.URL), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	if _, err := anon.GetProject(ctx, &resourcemanagerpb.GetProjectRequest{Name: "projects/img-proj"}); httpCode(err) != 403 {
		t.Errorf("anonymous GetProject before the grant: %v, want 403", err)
	}
	s.Grant("projects/"+imgProj, "roles/viewer", DefaultMember)
	if p, err := anon.GetProject(ctx, &resourcemanagerpb.GetProjectRequest{Name: "projects/987654321098"}); err != nil || p.ProjectId != imgProj {
		t.Errorf("anonymous GetProject by number = %v, %v", p, err)
	}
}

func TestFaultsAndUnauthenticated(t *testing.T) {
	s := newWorld(t, Options{})
	s.InjectFault(Fault{Method: "GET", Path: `/v3/projects/`, Status: 503, Count: 1})
	get := func(token string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", s.URL+"/v3/projects/my-proj", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp, b.String()
	}
	if resp, body := get(ciToken); resp.StatusCode != 503 || !strings.Contains(body, `"status":"UNAVAILABLE"`) {
		t.Errorf("first call: %d %s", resp.StatusCode, body)
	}
	if resp, body := get(ciToken); resp.StatusCode != 200 {
		t.Errorf("second call: %d %s", resp.StatusCode, body)
	}
	if resp, body := get("bogus"); resp.StatusCode != 401 || !strings.Contains(body, "UNAUTHENTICATED") {
		t.Errorf("unknown token: %d %s", resp.StatusCode, body)
	}
	reqs := s.Requests()
	if len(reqs) != 3 || reqs[0].Member != ci || reqs[0].Path != "/v3/projects/my-proj" {
		t.Errorf("requests = %+v", reqs)
	}
}

func TestForwardProxy(t *testing.T) {
	s := newWorld(t, Options{})
	proxy, _ := url.Parse(s.URL)
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy)}}
	resp, err := client.Get("http://us-central1-run.fake:1/v1/projects/my-proj/locations")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
	if r := s.Requests(); r[len(r)-1].Host != "us-central1-run.fake:1" {
		t.Errorf("recorded host %q", r[len(r)-1].Host)
	}
	if _, err := client.Get("https://run.googleapis.com/"); err == nil {
		t.Error("HTTPS through the proxy succeeded, want CONNECT refused")
	}
}
