package fakegcp

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/iam/apiv1/iampb"
	"cloud.google.com/go/resourcemanager/apiv3/resourcemanagerpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// AddProject registers a project. Its Cloud Run service agent
// (service-NUMBER@serverless-robot-prod.iam.gserviceaccount.com) is granted
// roles/run.serviceAgent on it, as Google does when the Run API is enabled.
func (s *Server) AddProject(id string, number int64) *Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &Project{ID: id, Number: number}
	s.projects[id] = p
	pol := s.getPolicyLocked("projects/" + id)
	addMember(pol, runServiceAgentRole, serviceAgent(number))
	s.storePolicyLocked("projects/"+id, pol, true)
	return p
}

// AddToken registers an access token for member ("user:a@b",
// "serviceAccount:x@p.iam.gserviceaccount.com").
func (s *Server) AddToken(token, member string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = member
}

// projectLocked finds a project by ID or number.
func (s *Server) projectLocked(idOrNumber string) *Project {
	if p, ok := s.projects[idOrNumber]; ok {
		return p
	}
	if n, err := strconv.ParseInt(idOrNumber, 10, 64); err == nil {
		for _, p := range s.projects {
			if p.Number == n {
				return p
			}
		}
	}
	return nil
}

// serveResourceManager serves Resource Manager v3 projects.
func (s *Server) serveResourceManager(c *call) {
	rest := strings.TrimPrefix(c.r.URL.Path, "/v3/projects/")
	id, verb, _ := strings.Cut(rest, ":")
	if id == "" || strings.Contains(id, "/") {
		c.fail(errf(404, "fakegcp: no handler for %s %s", c.r.Method, c.r.URL.Path))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projectLocked(id)
	resource := "projects/" + id
	if p != nil {
		resource = "projects/" + p.ID
	}
	denied := &apiError{Code: 403, Message: "The caller does not have permission"}
	switch {
	case verb == "" && c.r.Method == http.MethodGet:
		if p == nil || !s.allowedLocked(c.member, resource, permProjectGet) {
			c.fail(denied)
			return
		}
		writeProto(c.w, &resourcemanagerpb.Project{
			Name:        fmt.Sprintf("projects/%d", p.Number),
			Parent:      "organizations/1000000000",
			ProjectId:   p.ID,
			State:       resourcemanagerpb.Project_ACTIVE,
			DisplayName: p.ID,
			CreateTime:  timestamppb.New(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)),
			Etag:        "W/\"" + p.ID + "\"",
		})
	case verb == "getIamPolicy" && c.r.Method == http.MethodPost:
		if p == nil || !s.allowedLocked(c.member, resource, permProjectGetIam) {
			c.fail(denied)
			return
		}
		writeProto(c.w, s.getPolicyLocked(resource))
	case verb == "setIamPolicy" && c.r.Method == http.MethodPost:
		req := &iampb.SetIamPolicyRequest{}
		if e := c.readProto(req); e != nil {
			c.fail(e)
			return
		}
		if p == nil || !s.allowedLocked(c.member, resource, permProjectSetIam) {
			c.fail(denied)
			return
		}
		for _, b := range req.GetPolicy().GetBindings() {
			for _, m := range b.Members {
				if m == "allUsers" || m == "allAuthenticatedUsers" {
					c.fail(errf(400, "Policy members must be of the form \"<type>:<value>\"; %s is not supported on projects.", m))
					return
				}
			}
		}
		out, e := s.setPolicyLocked(resource, req.GetPolicy())
		if e != nil {
			c.fail(e)
			return
		}
		writeProto(c.w, out)
	case verb == "testIamPermissions" && c.r.Method == http.MethodPost:
		s.serveTestIamPermissionsLocked(c, resource, p != nil)
	default:
		c.fail(errf(404, "fakegcp: no handler for %s %s", c.r.Method, c.r.URL.Path))
	}
}
