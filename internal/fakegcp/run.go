package fakegcp

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"math/big"
	"net/http"
	"strings"
	"time"

	"cloud.google.com/go/iam/apiv1/iampb"
	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"cloud.google.com/go/run/apiv2/runpb"
	"github.com/google/go-containerregistry/pkg/name"
	"google.golang.org/genproto/googleapis/api"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// failedPreconditionCode is google.rpc.Code FAILED_PRECONDITION, the code of
// an operation whose revision could not become ready.
const failedPreconditionCode = 9

// defaultContainerFailure is the revision failure FailImage uses when given
// no message.
const defaultContainerFailure = "The user-provided container failed to start and listen on the port defined provided by the PORT=8080 environment variable within the allocated timeout. This can happen when the container port is misconfigured or if the timeout is too short. The health check timeout can be extended. Logs for this revision might contain more information."

type service struct {
	svc       *runpb.Service
	revisions map[string]*runpb.RevisionTemplate // revision ID -> template it was created from
	revCount  int
}

type operation struct {
	name       string
	service    string // service name
	generation int64
	rev        string // the revision this operation rolls out
	doneAt     time.Time
	op         *longrunningpb.Operation
}

// runName is a parsed projects/P/locations/R/services/S.
type runName struct{ Project, Region, Service string }

func (n runName) String() string {
	return fmt.Sprintf("projects/%s/locations/%s/services/%s", n.Project, n.Region, n.Service)
}
func (n runName) parent() string { return fmt.Sprintf("projects/%s/locations/%s", n.Project, n.Region) }

func runDenied(perm, resource string) *apiError {
	return errf(403, "Permission '%s' denied on resource '%s' (or resource may not exist).", perm, resource)
}

func runNotFound(n runName) *apiError {
	return errf(404, "Resource '%s' of kind 'SERVICE' in region '%s' in project '%s' does not exist.", n.Service, n.Region, n.Project)
}

// serveRunV2 serves the Cloud Run Admin API v2.
func (s *Server) serveRunV2(c *call) {
	path, verb := splitVerb(strings.TrimPrefix(c.r.URL.Path, "/v2/"))
	parts := strings.Split(path, "/")
	if len(parts) < 4 || parts[0] != "projects" || parts[2] != "locations" {
		c.fail(errf(404, "fakegcp: no handler for %s %s", c.r.Method, c.r.URL.Path))
		return
	}
	project := s.projectID(parts[1])
	region := parts[3]
	q := c.r.URL.Query()
	switch {
	case len(parts) == 5 && parts[4] == "services" && c.r.Method == http.MethodPost:
		svc := &runpb.Service{}
		if e := c.readProto(svc); e != nil {
			c.fail(e)
			return
		}
		n := runName{project, region, q.Get("serviceId")}
		s.deploy(c, n, svc, true, nil, q.Get("validateOnly") == "true")
	case len(parts) == 5 && parts[4] == "services" && c.r.Method == http.MethodGet:
		s.listServices(c, project, region)
	case len(parts) == 6 && parts[4] == "services":
		n := runName{project, region, parts[5]}
		switch {
		case verb == "" && c.r.Method == http.MethodGet:
			s.getService(c, n)
		case verb == "" && c.r.Method == http.MethodPatch:
			svc := &runpb.Service{}
			if e := c.readProto(svc); e != nil {
				c.fail(e)
				return
			}
			var mask []string
			if m := q.Get("updateMask"); m != "" {
				mask = strings.Split(m, ",")
			}
			s.deploy(c, n, svc, q.Get("allowMissing") == "true", mask, q.Get("validateOnly") == "true")
		case verb == "getIamPolicy" && c.r.Method == http.MethodGet:
			s.serviceIAM(c, n, verb, true)
		case (verb == "setIamPolicy" || verb == "testIamPermissions") && c.r.Method == http.MethodPost:
			s.serviceIAM(c, n, verb, true)
		default:
			c.fail(errf(404, "fakegcp: no handler for %s %s", c.r.Method, c.r.URL.Path))
		}
	case len(parts) == 6 && parts[4] == "operations":
		opName := fmt.Sprintf("projects/%s/locations/%s/operations/%s", project, region, parts[5])
		switch {
		case verb == "" && c.r.Method == http.MethodGet:
			s.waitOperation(c, project, opName, 0)
		case verb == "wait" && c.r.Method == http.MethodPost:
			req := &longrunningpb.WaitOperationRequest{}
			if e := c.readProto(req); e != nil {
				c.fail(e)
				return
			}
			timeout := time.Minute
			if t := req.GetTimeout(); t != nil && t.AsDuration() > 0 {
				timeout = t.AsDuration()
			}
			s.waitOperation(c, project, opName, timeout)
		default:
			c.fail(errf(404, "fakegcp: no handler for %s %s", c.r.Method, c.r.URL.Path))
		}
	default:
		c.fail(errf(404, "fakegcp: no handler for %s %s", c.r.Method, c.r.URL.Path))
	}
}

func (s *Server) getService(c *call, n runName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	if !s.allowedLocked(c.member, n.String(), permRunGet) {
		c.fail(runDenied(permRunGet, n.String()))
		return
	}
	st := s.services[n.String()]
	if st == nil {
		c.fail(runNotFound(n))
		return
	}
	writeProto(c.w, st.svc)
}

func (s *Server) listServices(c *call, project, region string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	parent := fmt.Sprintf("projects/%s/locations/%s", project, region)
	if !s.allowedLocked(c.member, "projects/"+project, "run.services.list") {
		c.fail(runDenied("run.services.list", parent))
		return
	}
	resp := &runpb.ListServicesResponse{}
	for k, st := range s.services {
		if strings.HasPrefix(k, parent+"/services/") {
			resp.Services = append(resp.Services, st.svc)
		}
	}
	writeProto(c.w, resp)
}

// imageReadError is Cloud Run's synchronous post-2025 check: the caller must
// be able to read every container image it deploys.
func (s *Server) imageReadErrorLocked(member, project string, svc *runpb.Service) *apiError {
	for _, ctr := range svc.GetTemplate().GetContainers() {
		ir, err := parseImage(ctr.GetImage())
		if err != nil {
			return errf(400, "spec.template.spec.containers[0].image: Invalid image reference %q.", ctr.GetImage())
		}
		if ir.Repo == "" || s.allowedLocked(member, ir.RepoName(), permDownload) {
			continue
		}
		msg := fmt.Sprintf("User must have permission to read the image, %s. Ensure that the provided container image URL is correct and that the above account has permission to access the image. If you just enabled the Cloud Run API, the permissions might take a few minutes to propagate. %s",
			ctr.GetImage(), deniedMessage(permDownload, ir.RepoName()))
		if ir.Project != project {
			msg += fmt.Sprintf(" Note that the image is from project [%s], which is not the same as this project [%s].", ir.Project, project)
		}
		return errf(403, "%s", msg)
	}
	return nil
}

// deploy is CreateService (create true, existing service an error unless
// this is an allowMissing update) and UpdateService.
func (s *Server) deploy(c *call, n runName, in *runpb.Service, allowCreate bool, mask []string, validateOnly bool) {
	isCreate := c.r.Method == http.MethodPost
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	if n.Service == "" || !validServiceID(n.Service) {
		c.fail(errf(400, "service_id must match the pattern [a-z]([-a-z0-9]*[a-z0-9])? and be at most 49 characters; got %q.", n.Service))
		return
	}
	project := s.projects[n.Project]
	st := s.services[n.String()]
	switch {
	case isCreate && st != nil:
		if !s.allowedLocked(c.member, n.String(), permRunCreate) {
			c.fail(runDenied(permRunCreate, n.String()))
			return
		}
		c.fail(&apiError{Code: 409, Status: "ALREADY_EXISTS", Message: fmt.Sprintf("Resource '%s' already exists.", n.Service)})
		return
	case st == nil && !allowCreate:
		if !s.allowedLocked(c.member, n.String(), permRunUpdate) {
			c.fail(runDenied(permRunUpdate, n.String()))
			return
		}
		c.fail(runNotFound(n))
		return
	}
	perm := permRunUpdate
	if st == nil {
		perm = permRunCreate
	}
	if project == nil || !s.allowedLocked(c.member, n.String(), perm) {
		c.fail(runDenied(perm, n.String()))
		return
	}
	if len(in.GetTemplate().GetContainers()) == 0 && (st == nil || len(mask) == 0) {
		c.fail(errf(400, "service.template.containers: at least one container is required."))
		return
	}
	if st != nil && in.GetEtag() != "" && in.GetEtag() != st.svc.GetEtag() {
		c.fail(&apiError{Code: 409, Status: "ABORTED", Message: fmt.Sprintf("Etag mismatch: the request's etag %s does not match the current etag %s of service '%s'. Read the service again and retry.", in.GetEtag(), st.svc.GetEtag(), n.Service)})
		return
	}

	// The new desired state.
	var next *runpb.Service
	if st != nil && len(mask) > 0 {
		next = proto.Clone(st.svc).(*runpb.Service)
		if err := applyMask(next, in, mask); err != nil {
			c.fail(errf(400, "Invalid update_mask: %v", err))
			return
		}
	} else {
		next = proto.Clone(in).(*runpb.Service)
		clearOutputOnly(next)
	}
	if e := reservedKeys(next, st == nil); e != nil {
		c.fail(e)
		return
	}
	if e := s.imageReadErrorLocked(c.member, n.Project, next); e != nil {
		c.fail(e)
		return
	}
	now := timestamppb.Now()
	email := memberEmail(c.member)
	next.Name = n.String()
	if st != nil {
		next.Uid, next.CreateTime, next.Creator = st.svc.Uid, st.svc.CreateTime, st.svc.Creator
		next.Generation = st.svc.Generation + 1
		next.ObservedGeneration = st.svc.ObservedGeneration
		next.LatestCreatedRevision, next.LatestReadyRevision = st.svc.LatestCreatedRevision, st.svc.LatestReadyRevision
		next.TrafficStatuses, next.Uri, next.Urls = st.svc.TrafficStatuses, st.svc.Uri, st.svc.Urls
	} else {
		next.Uid, next.CreateTime, next.Creator, next.Generation = newUID(), now, email, 1
	}
	next.UpdateTime, next.LastModifier = now, email
	fillDefaults(next, project)

	work := st
	if work == nil {
		work = &service{revisions: map[string]*runpb.RevisionTemplate{}}
	}
	revID, e := work.revisionFor(n, next.Template, validateOnly)
	if e != nil {
		c.fail(e)
		return
	}
	next.Reconciling = true
	next.Etag = newEtag()
	next.TerminalCondition = &runpb.Condition{Type: "Ready", State: runpb.Condition_CONDITION_RECONCILING, LastTransitionTime: now}
	next.Conditions = []*runpb.Condition{
		{Type: "ConfigurationsReady", State: runpb.Condition_CONDITION_PENDING, LastTransitionTime: now},
		{Type: "RoutesReady", State: runpb.Condition_CONDITION_PENDING, LastTransitionTime: now},
	}

	opName := fmt.Sprintf("%s/operations/%s", n.parent(), newUID())
	if validateOnly {
		done := proto.Clone(next).(*runpb.Service)
		s.completeLocked(n, done, revID, false)
		op := &longrunningpb.Operation{Name: opName, Done: true, Metadata: mustAny(next)}
		op.Result = &longrunningpb.Operation_Response{Response: mustAny(done)}
		writeProto(c.w, op)
		return
	}
	work.svc = next
	s.services[n.String()] = work
	o := &operation{
		name: opName, service: n.String(), generation: next.Generation, rev: revID,
		doneAt: time.Now().Add(s.opts.OperationDelay),
		op:     &longrunningpb.Operation{Name: opName, Metadata: mustAny(next)},
	}
	s.operations[opName] = o
	writeProto(c.w, o.op)
}

// revisionFor picks the revision a template deploys: the template's own
// name, the current revision when the template did not change, or a fresh
// S-000NN-xyz. It records new revisions unless dryRun.
func (st *service) revisionFor(n runName, tmpl *runpb.RevisionTemplate, dryRun bool) (string, *apiError) {
	strip := func(t *runpb.RevisionTemplate) *runpb.RevisionTemplate {
		t = proto.Clone(t).(*runpb.RevisionTemplate)
		t.Revision = ""
		return t
	}
	if id := tmpl.GetRevision(); id != "" {
		if !strings.HasPrefix(id, n.Service+"-") {
			return "", errf(400, "Revision name %q must be prefixed by the service name %q.", id, n.Service+"-")
		}
		if prev, ok := st.revisions[id]; ok {
			if !proto.Equal(strip(prev), strip(tmpl)) {
				return "", &apiError{Code: 409, Status: "ALREADY_EXISTS", Message: fmt.Sprintf("Revision named '%s' with different configuration already exists.", id)}
			}
			return id, nil
		}
		if !dryRun {
			st.revCount++
			st.revisions[id] = proto.Clone(tmpl).(*runpb.RevisionTemplate)
		}
		return id, nil
	}
	if st.svc != nil {
		cur := lastSegment(st.svc.GetLatestCreatedRevision())
		if prev, ok := st.revisions[cur]; ok && proto.Equal(strip(prev), strip(tmpl)) {
			return cur, nil
		}
	}
	id := fmt.Sprintf("%s-%05d-%s", n.Service, st.revCount+1, randomLetters(3))
	if !dryRun {
		st.revCount++
		st.revisions[id] = proto.Clone(tmpl).(*runpb.RevisionTemplate)
	}
	return id, nil
}

// advanceLocked completes every operation whose time has come.
func (s *Server) advanceLocked() {
	now := time.Now()
	for _, o := range s.operations {
		if o.op.Done || now.Before(o.doneAt) {
			continue
		}
		s.finishLocked(o)
	}
	s.advanceV1Locked(now)
}

// finishLocked completes an operation: it evaluates the revision (service
// agent access to cross-project images, missing images, FailImage) and
// records the outcome on the service and the operation.
func (s *Server) finishLocked(o *operation) {
	st := s.services[o.service]
	if st == nil {
		o.op.Done = true
		o.op.Result = &longrunningpb.Operation_Error{Error: &statuspb.Status{Code: 5, Message: "service was deleted"}}
		return
	}
	if st.svc.Generation != o.generation { // superseded by a newer update
		o.op.Done = true
		o.op.Result = &longrunningpb.Operation_Response{Response: mustAny(st.svc)}
		return
	}
	parts := strings.Split(o.service, "/")
	n := runName{parts[1], parts[3], parts[5]}
	failure := s.completeLocked(n, st.svc, o.rev, true)
	o.op.Done = true
	o.op.Metadata = mustAny(st.svc)
	if failure != "" {
		o.op.Result = &longrunningpb.Operation_Error{Error: &statuspb.Status{Code: failedPreconditionCode, Message: failure}}
	} else {
		o.op.Result = &longrunningpb.Operation_Response{Response: mustAny(st.svc)}
	}
	s.notify()
}

// completeLocked fills the status of svc as Cloud Run does when the
// revision rev has been reconciled; it returns the failure message ("" on
// success). evaluate runs the revision checks.
func (s *Server) completeLocked(n runName, svc *runpb.Service, rev string, evaluate bool) string {
	now := timestamppb.Now()
	fullRev := fmt.Sprintf("%s/revisions/%s", n.parent(), rev)
	svc.Reconciling = false
	svc.ObservedGeneration = svc.Generation
	svc.LatestCreatedRevision = fullRev
	svc.Etag = newEtag()
	var reason runpb.Condition_CommonReason
	msg := ""
	if evaluate {
		reason, msg = s.revisionFailureLocked(n, svc, rev)
	}
	if msg != "" {
		msg = fmt.Sprintf("Revision '%s' is not ready and cannot serve traffic. %s", rev, msg)
		cond := func(t string) *runpb.Condition {
			return &runpb.Condition{Type: t, State: runpb.Condition_CONDITION_FAILED, Message: msg, LastTransitionTime: now,
				Severity: runpb.Condition_ERROR, Reasons: &runpb.Condition_Reason{Reason: reason}}
		}
		svc.TerminalCondition = cond("Ready")
		svc.Conditions = []*runpb.Condition{cond("ConfigurationsReady"), cond("RoutesReady")}
		return msg
	}
	svc.LatestReadyRevision = fullRev
	svc.TerminalCondition = &runpb.Condition{Type: "Ready", State: runpb.Condition_CONDITION_SUCCEEDED, LastTransitionTime: now}
	svc.Conditions = []*runpb.Condition{
		{Type: "RoutesReady", State: runpb.Condition_CONDITION_SUCCEEDED, LastTransitionTime: now},
		{Type: "ConfigurationsReady", State: runpb.Condition_CONDITION_SUCCEEDED, LastTransitionTime: now},
	}
	if len(svc.Traffic) == 0 {
		svc.Traffic = []*runpb.TrafficTarget{{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, Percent: 100}}
	}
	var number int64
	if p := s.projects[n.Project]; p != nil {
		number = p.Number
	}
	hash, code := urlHash(n), regionCode(n.Region)
	svc.TrafficStatuses = nil
	for _, t := range svc.Traffic {
		ts := &runpb.TrafficTargetStatus{Type: t.Type, Revision: t.Revision, Percent: t.Percent, Tag: t.Tag}
		if t.Tag != "" {
			ts.Uri = fmt.Sprintf("https://%s---%s-%s-%s.a.run.app", t.Tag, n.Service, hash, code)
		}
		svc.TrafficStatuses = append(svc.TrafficStatuses, ts)
	}
	if !svc.DefaultUriDisabled {
		svc.Uri = fmt.Sprintf("https://%s-%s-%s.a.run.app", n.Service, hash, code)
		svc.Urls = []string{fmt.Sprintf("https://%s-%d.%s.run.app", n.Service, number, n.Region), svc.Uri}
	}
	return ""
}

// revisionFailureLocked decides whether the revision of svc fails to become
// ready, and why.
func (s *Server) revisionFailureLocked(n runName, svc *runpb.Service, rev string) (runpb.Condition_CommonReason, string) {
	project := s.projects[n.Project]
	for _, ctr := range svc.GetTemplate().GetContainers() {
		image := ctr.GetImage()
		if msg, ok := s.failImages[normalizeImage(image)]; ok {
			return runpb.Condition_REVISION_FAILED, msg
		}
		ir, err := parseImage(image)
		if err != nil || ir.Repo == "" {
			continue
		}
		if project != nil && s.projectIDLocked(ir.Project) != n.Project {
			agent := serviceAgent(project.Number)
			if !s.allowedLocked(agent, ir.RepoName(), permDownload) {
				return runpb.Condition_CONTAINER_PERMISSION_DENIED, fmt.Sprintf(
					"Google Cloud Run Service Agent %s must have permission to read the image, %s. Ensure that the provided container image URL is correct and that the above account has permission to access the image. If you just enabled the Cloud Run API, the permissions might take a few minutes to propagate. Note that the image is from project [%s], which is not the same as this project [%s]. Permission must be granted to the Google Cloud Run Service Agent from this project.",
					strings.TrimPrefix(agent, "serviceAccount:"), image, ir.Project, n.Project)
			}
		}
		if d, _ := s.lookupImageLocked(ir); d == "" {
			return runpb.Condition_CONTAINER_MISSING, fmt.Sprintf("Image '%s' not found.", image)
		}
	}
	return 0, ""
}

// waitOperation answers GET operation (timeout 0) and operations:wait: it
// replies as soon as the operation is done or the timeout has passed.
func (s *Server) waitOperation(c *call, project, opName string, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		s.advanceLocked()
		if !s.allowedLocked(c.member, "projects/"+project, permRunOpGet) {
			s.mu.Unlock()
			c.fail(runDenied(permRunOpGet, opName))
			return
		}
		o := s.operations[opName]
		if o == nil {
			s.mu.Unlock()
			c.fail(errf(404, "Operation '%s' not found.", opName))
			return
		}
		now := time.Now()
		if o.op.Done || !now.Before(deadline) {
			op := proto.Clone(o.op).(*longrunningpb.Operation)
			s.mu.Unlock()
			writeProto(c.w, op)
			return
		}
		wake := deadline
		if o.doneAt.Before(wake) {
			wake = o.doneAt
		}
		changed := s.changed
		s.mu.Unlock()
		t := time.NewTimer(time.Until(wake))
		select {
		case <-t.C:
		case <-changed:
		case <-c.r.Context().Done():
			t.Stop()
			return
		}
		t.Stop()
	}
}

// serviceIAM serves a service's getIamPolicy, setIamPolicy and
// testIamPermissions (shared by v1 and v2).
func (s *Server) serviceIAM(c *call, n runName, verb string, enforce bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	res := n.String()
	switch verb {
	case "getIamPolicy":
		if enforce && !s.allowedLocked(c.member, res, permRunGetIam) {
			c.fail(runDenied(permRunGetIam, res))
			return
		}
		if s.services[res] == nil && s.v1services[n.Project+"/"+n.Service] == nil {
			c.fail(runNotFound(n))
			return
		}
		writeProto(c.w, s.getPolicyLocked(res))
	case "setIamPolicy":
		req := &iampb.SetIamPolicyRequest{}
		if e := c.readProto(req); e != nil {
			c.fail(e)
			return
		}
		if enforce && !s.allowedLocked(c.member, res, permRunSetIam) {
			c.fail(runDenied(permRunSetIam, res))
			return
		}
		if s.services[res] == nil && s.v1services[n.Project+"/"+n.Service] == nil {
			c.fail(runNotFound(n))
			return
		}
		out, e := s.setPolicyLocked(res, req.GetPolicy())
		if e != nil {
			c.fail(e)
			return
		}
		writeProto(c.w, out)
	case "testIamPermissions":
		req := &iampb.TestIamPermissionsRequest{}
		if e := c.readProto(req); e != nil {
			c.fail(e)
			return
		}
		got := req.GetPermissions()
		if enforce {
			got = s.grantedLocked(c.member, res, got)
		}
		writeProto(c.w, &iampb.TestIamPermissionsResponse{Permissions: got})
	}
}

// Service returns a copy of a Cloud Run service by name
// (projects/P/locations/R/services/S), or nil.
func (s *Server) Service(name string) *runpb.Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	st := s.services[name]
	if st == nil {
		return nil
	}
	return proto.Clone(st.svc).(*runpb.Service)
}

// PutService seeds an existing, successfully deployed service: svc.Name
// (projects/P/locations/R/services/S) and a template are required; output
// fields are filled as if the service had been deployed once. The project
// must exist.
func (s *Server) PutService(svc *runpb.Service) *runpb.Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := strings.Split(svc.GetName(), "/")
	if len(parts) != 6 || parts[0] != "projects" || parts[4] != "services" {
		panic(fmt.Sprintf("fakegcp: PutService: bad name %q", svc.GetName()))
	}
	n := runName{parts[1], parts[3], parts[5]}
	project := s.projects[n.Project]
	if project == nil {
		panic(fmt.Sprintf("fakegcp: PutService: unknown project %q", n.Project))
	}
	next := proto.Clone(svc).(*runpb.Service)
	now := timestamppb.Now()
	if next.Generation == 0 {
		next.Generation = 1
	}
	if next.Uid == "" {
		next.Uid = newUID()
	}
	if next.CreateTime == nil {
		next.CreateTime = now
	}
	next.UpdateTime = now
	if next.Template == nil {
		next.Template = &runpb.RevisionTemplate{}
	}
	fillDefaults(next, project)
	st := &service{revisions: map[string]*runpb.RevisionTemplate{}}
	rev, e := st.revisionFor(n, next.Template, false)
	if e != nil {
		panic(fmt.Sprintf("fakegcp: PutService(%s): %s", n, e.Message))
	}
	st.svc = next
	s.completeLocked(n, next, rev, false)
	s.services[n.String()] = st
	return proto.Clone(next).(*runpb.Service)
}

// FailImage makes every revision that runs image fail to become ready with
// message (default: the container failed to start and listen on PORT).
func (s *Server) FailImage(image, message string) {
	if message == "" {
		message = defaultContainerFailure
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failImages[normalizeImage(image)] = message
}

func normalizeImage(image string) string {
	if ref, err := name.ParseReference(image, name.WeakValidation); err == nil {
		return ref.Name()
	}
	return image
}

// reservedNamespaces are the label/annotation namespaces Cloud Run API v2
// rejects (runpb Service.labels/annotations documentation).
var reservedNamespaces = []string{"run.googleapis.com", "cloud.googleapis.com", "serving.knative.dev", "autoscaling.knative.dev"}

// reservedKeys rejects labels (always) and annotations (on create) in the
// system namespaces.
func reservedKeys(svc *runpb.Service, create bool) *apiError {
	check := func(field string, m map[string]string) *apiError {
		for k := range m {
			for _, ns := range reservedNamespaces {
				if strings.HasPrefix(k, ns+"/") {
					return errf(400, "%s: key %q is in the namespace %q, which Cloud Run API v2 does not support.", field, k, ns)
				}
			}
		}
		return nil
	}
	fields := []struct {
		name       string
		m          map[string]string
		annotation bool
	}{
		{"service.labels", svc.GetLabels(), false},
		{"service.template.labels", svc.GetTemplate().GetLabels(), false},
		{"service.annotations", svc.GetAnnotations(), true},
		{"service.template.annotations", svc.GetTemplate().GetAnnotations(), true},
	}
	for _, f := range fields {
		if f.annotation && !create {
			continue
		}
		if e := check(f.name, f.m); e != nil {
			return e
		}
	}
	return nil
}

// fillDefaults sets the fields Cloud Run defaults on write.
func fillDefaults(svc *runpb.Service, p *Project) {
	if svc.Ingress == runpb.IngressTraffic_INGRESS_TRAFFIC_UNSPECIFIED {
		svc.Ingress = runpb.IngressTraffic_INGRESS_TRAFFIC_ALL
	}
	if svc.LaunchStage == api.LaunchStage_LAUNCH_STAGE_UNSPECIFIED {
		svc.LaunchStage = api.LaunchStage_GA
	}
	if len(svc.Traffic) == 0 {
		svc.Traffic = []*runpb.TrafficTarget{{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, Percent: 100}}
	}
	t := svc.Template
	if t == nil {
		return
	}
	if t.Timeout == nil {
		t.Timeout = durationpb.New(300 * time.Second)
	}
	if t.MaxInstanceRequestConcurrency == 0 {
		t.MaxInstanceRequestConcurrency = 80
	}
	if t.ServiceAccount == "" && p != nil {
		t.ServiceAccount = fmt.Sprintf("%d-compute@developer.gserviceaccount.com", p.Number)
	}
	for i, ctr := range t.Containers {
		if ctr.Resources == nil {
			ctr.Resources = &runpb.ResourceRequirements{Limits: map[string]string{"cpu": "1000m", "memory": "512Mi"}, CpuIdle: true}
		}
		if len(ctr.Ports) == 0 && (i == 0 || len(t.Containers) == 1) {
			ctr.Ports = []*runpb.ContainerPort{{Name: "http1", ContainerPort: 8080}}
		}
	}
}

// clearOutputOnly drops the output-only fields a client may echo back.
func clearOutputOnly(svc *runpb.Service) {
	svc.Uid, svc.Generation, svc.CreateTime, svc.UpdateTime, svc.DeleteTime, svc.ExpireTime = "", 0, nil, nil, nil, nil
	svc.Creator, svc.LastModifier, svc.ObservedGeneration = "", "", 0
	svc.TerminalCondition, svc.Conditions, svc.LatestReadyRevision, svc.LatestCreatedRevision = nil, nil, "", ""
	svc.TrafficStatuses, svc.Uri, svc.Urls, svc.Reconciling, svc.Etag = nil, "", nil, false, ""
}

// applyMask copies the fields named by paths (proto or JSON names,
// dot-separated) from src to dst; fields unset in src are cleared.
func applyMask(dst, src proto.Message, paths []string) error {
	for _, p := range paths {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		d, sr := dst.ProtoReflect(), src.ProtoReflect()
		segs := strings.Split(p, ".")
		for i, seg := range segs {
			fd := d.Descriptor().Fields().ByName(protoreflect.Name(seg))
			if fd == nil {
				fd = d.Descriptor().Fields().ByJSONName(seg)
			}
			if fd == nil {
				return fmt.Errorf("unknown field %q in %q", seg, p)
			}
			if i == len(segs)-1 {
				if sr.Has(fd) {
					d.Set(fd, sr.Get(fd))
				} else {
					d.Clear(fd)
				}
				break
			}
			if fd.Message() == nil || fd.IsList() || fd.IsMap() {
				return fmt.Errorf("field %q in %q is not a message", seg, p)
			}
			d = d.Mutable(fd).Message()
			sr = sr.Get(fd).Message()
		}
	}
	// Values copied by reference from src: detach them.
	cp := proto.Clone(dst)
	proto.Reset(dst)
	proto.Merge(dst, cp)
	return nil
}

func validServiceID(id string) bool {
	if len(id) == 0 || len(id) > 49 || id[0] < 'a' || id[0] > 'z' || id[len(id)-1] == '-' {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func memberEmail(member string) string {
	_, email, ok := strings.Cut(member, ":")
	if !ok {
		return member
	}
	return email
}

func lastSegment(name string) string { return name[strings.LastIndex(name, "/")+1:] }

func mustAny(m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil {
		panic(err)
	}
	return a
}

func newUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func newEtag() string {
	b := make([]byte, 12)
	rand.Read(b)
	return `"` + base64.RawStdEncoding.EncodeToString(b) + `"`
}

func randomLetters(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	out := make([]byte, n)
	for i := range out {
		k, _ := rand.Int(rand.Reader, big.NewInt(int64(len(letters))))
		out[i] = letters[k.Int64()]
	}
	return string(out)
}

// urlHash is the stable per-project/region part of run.app URLs.
func urlHash(n runName) string {
	h := fnv.New64a()
	h.Write([]byte(n.Project + "/" + n.Region))
	v := h.Sum64()
	const letters = "abcdefghijklmnopqrstuvwxyz"
	out := make([]byte, 10)
	for i := range out {
		out[i] = letters[v%26]
		v /= 26
	}
	return string(out)
}

// regionCode is the short region code of legacy run.app URLs.
func regionCode(region string) string {
	known := map[string]string{
		"us-central1": "uc", "us-east1": "ue", "us-east4": "uk", "us-west1": "uw", "us-west2": "wl",
		"europe-west1": "ew", "europe-west2": "nw", "europe-west3": "ey", "europe-west4": "ez",
		"asia-east1": "de", "asia-northeast1": "an", "asia-southeast1": "as", "australia-southeast1": "ts",
	}
	if c, ok := known[region]; ok {
		return c
	}
	parts := strings.Split(region, "-")
	if len(parts) >= 2 && len(parts[0]) > 0 && len(parts[1]) > 0 {
		return parts[0][:1] + parts[1][:1]
	}
	return "uc"
}
