package fakegcp

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/iam/apiv1/iampb"
	"google.golang.org/protobuf/proto"
)

// Permissions used by the emulated APIs.
const (
	permDownload        = "artifactregistry.repositories.downloadArtifacts"
	permRepoGet         = "artifactregistry.repositories.get"
	permRepoGetIam      = "artifactregistry.repositories.getIamPolicy"
	permRepoSetIam      = "artifactregistry.repositories.setIamPolicy"
	permRunCreate       = "run.services.create"
	permRunUpdate       = "run.services.update"
	permRunGet          = "run.services.get"
	permRunGetIam       = "run.services.getIamPolicy"
	permRunSetIam       = "run.services.setIamPolicy"
	permRunOpGet        = "run.operations.get"
	permProjectGet      = "resourcemanager.projects.get"
	permProjectGetIam   = "resourcemanager.projects.getIamPolicy"
	permProjectSetIam   = "resourcemanager.projects.setIamPolicy"
	permSAGetAccessTok  = "iam.serviceAccounts.getAccessToken"
	permSAActAs         = "iam.serviceAccounts.actAs"
	readerRole          = "roles/artifactregistry.reader"
	runServiceAgentRole = "roles/run.serviceAgent"
)

var (
	arReaderPerms = []string{
		"artifactregistry.dockerimages.get", "artifactregistry.dockerimages.list",
		"artifactregistry.files.get", "artifactregistry.files.list",
		"artifactregistry.locations.get", "artifactregistry.locations.list",
		"artifactregistry.packages.get", "artifactregistry.packages.list",
		"artifactregistry.projectsettings.get",
		permDownload, permRepoGet, "artifactregistry.repositories.list",
		"artifactregistry.repositories.listEffectiveTags", "artifactregistry.repositories.listTagBindings",
		"artifactregistry.repositories.readViaVirtualRepository",
		"artifactregistry.tags.get", "artifactregistry.tags.list",
		"artifactregistry.versions.get", "artifactregistry.versions.list",
	}
	arWriterPerms = append(slices.Clone(arReaderPerms),
		"artifactregistry.repositories.uploadArtifacts", "artifactregistry.tags.create",
		"artifactregistry.tags.update", "artifactregistry.files.upload")
	arRepoAdminPerms = append(slices.Clone(arWriterPerms),
		"artifactregistry.repositories.deleteArtifacts", "artifactregistry.files.delete",
		"artifactregistry.packages.delete", "artifactregistry.packages.update",
		"artifactregistry.tags.delete", "artifactregistry.versions.delete", "artifactregistry.versions.update")
	arAdminPerms = append(slices.Clone(arRepoAdminPerms),
		"artifactregistry.repositories.create", "artifactregistry.repositories.update",
		"artifactregistry.repositories.delete", permRepoGetIam, permRepoSetIam,
		"artifactregistry.projectsettings.update")
	runViewerPerms = []string{
		permRunGet, "run.services.list", permRunGetIam, permRunOpGet, "run.operations.list",
		"run.revisions.get", "run.revisions.list", "run.configurations.get", "run.configurations.list",
		"run.routes.get", "run.routes.list", "run.locations.list", permProjectGet,
	}
	runDeveloperPerms = append(slices.Clone(runViewerPerms),
		permRunCreate, permRunUpdate, "run.services.delete", "run.revisions.delete", "run.operations.delete",
		"run.routes.invoke")
	runAdminPerms = append(slices.Clone(runDeveloperPerms), permRunSetIam)
)

// rolePermissions lists the predefined roles the fake knows, with the
// permissions that matter here (facts from iam-dataset, gcp-apis.md §3.3 and
// §4.3). Basic roles are predicates, see roleGrants.
var rolePermissions = map[string][]string{
	readerRole:                              arReaderPerms,
	"roles/artifactregistry.writer":         arWriterPerms,
	"roles/artifactregistry.repoAdmin":      arRepoAdminPerms,
	"roles/artifactregistry.admin":          arAdminPerms,
	"roles/run.admin":                       runAdminPerms,
	"roles/run.developer":                   runDeveloperPerms,
	"roles/run.viewer":                      runViewerPerms,
	"roles/run.invoker":                     {"run.routes.invoke", "run.jobs.run"},
	runServiceAgentRole:                     {permDownload, permRepoGet, "artifactregistry.repositories.readViaVirtualRepository", permSAActAs, permSAGetAccessTok, permProjectGet},
	"roles/iam.serviceAccountUser":          {permSAActAs, "iam.serviceAccounts.get", "iam.serviceAccounts.list", permProjectGet},
	"roles/iam.securityAdmin":               {permProjectGetIam, permProjectSetIam, permRepoGetIam, permRepoSetIam, permRunGetIam, permRunSetIam, "iam.serviceAccounts.getIamPolicy", "iam.serviceAccounts.setIamPolicy"},
	"roles/iam.serviceAccountTokenCreator":  {permSAGetAccessTok, "iam.serviceAccounts.getOpenIdToken", "iam.serviceAccounts.implicitDelegation", "iam.serviceAccounts.signBlob", "iam.serviceAccounts.signJwt", "iam.serviceAccounts.get", "iam.serviceAccounts.list"},
	"roles/resourcemanager.projectIamAdmin": {permProjectGetIam, permProjectSetIam},
	"roles/iam.securityReviewer":            {permProjectGetIam, permRepoGetIam, permRunGetIam, "iam.roles.get", "iam.roles.list", "iam.serviceAccounts.getIamPolicy", "iam.serviceAccounts.list"},
}

// roleGrants reports whether role contains perm.
func roleGrants(role, perm string) bool {
	verb := perm[strings.LastIndex(perm, ".")+1:]
	switch role {
	case "roles/owner":
		return true
	case "roles/editor":
		if verb == "setIamPolicy" || perm == permSAGetAccessTok || strings.HasPrefix(perm, "iam.serviceAccounts.sign") {
			return false
		}
		return true
	case "roles/viewer":
		return verb == "get" || verb == "list" || verb == "getIamPolicy" || perm == permDownload ||
			perm == "artifactregistry.repositories.readViaVirtualRepository"
	}
	return slices.Contains(rolePermissions[role], perm)
}

// KnownRole reports whether the fake knows role's permissions.
func KnownRole(role string) bool {
	_, ok := rolePermissions[role]
	return ok || role == "roles/owner" || role == "roles/editor" || role == "roles/viewer"
}

// memberMatches reports whether a binding member applies to caller. caller is
// "" for anonymous requests. group:/domain: members never match (the fake
// has no directory).
func memberMatches(bindingMember, caller string) bool {
	switch bindingMember {
	case "allUsers":
		return true
	case "allAuthenticatedUsers":
		return caller != ""
	}
	return caller != "" && bindingMember == caller
}

// policyState is the IAM policy of one resource and its history, for the
// propagation delay.
type policyState struct {
	versions []policyVersion // oldest first; the last is current
}

type policyVersion struct {
	at     time.Time // when it was written; zero: effective at once
	policy *iampb.Policy
}

func (ps *policyState) current() *iampb.Policy {
	if ps == nil || len(ps.versions) == 0 {
		return nil
	}
	return ps.versions[len(ps.versions)-1].policy
}

// effective is the policy enforced at now given the propagation delay.
func (ps *policyState) effective(now time.Time, delay time.Duration) *iampb.Policy {
	if ps == nil {
		return nil
	}
	cutoff := now.Add(-delay)
	for i := len(ps.versions) - 1; i >= 0; i-- {
		v := ps.versions[i]
		if v.at.IsZero() || !v.at.After(cutoff) {
			return v.policy
		}
	}
	return nil
}

// nextEtag returns a fresh policy etag: 8 bytes, shown on the wire in
// base64 like Google's ("BwYAAAAAAAE=").
func (s *Server) nextEtag() []byte {
	s.etagSeq++
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, s.etagSeq)
	b[0], b[1] = 0x07, 0x06
	return b
}

// policyLocked returns the current policy of resource (never nil; a fresh
// empty policy with an etag for a resource without one). Callers hold s.mu.
func (s *Server) policyLocked(resource string) *iampb.Policy {
	ps := s.policies[resource]
	if p := ps.current(); p != nil {
		return p
	}
	p := &iampb.Policy{Version: 1, Etag: s.nextEtag()}
	s.policies[resource] = &policyState{versions: []policyVersion{{policy: p}}}
	return p
}

// storePolicyLocked makes p the current policy of resource with a new etag.
// immediate policies are enforced at once; others after the propagation
// delay.
func (s *Server) storePolicyLocked(resource string, p *iampb.Policy, immediate bool) *iampb.Policy {
	p = proto.Clone(p).(*iampb.Policy)
	p.Etag = s.nextEtag()
	ps := s.policies[resource]
	if ps == nil {
		ps = &policyState{}
		s.policies[resource] = ps
	}
	v := policyVersion{policy: p}
	if !immediate && s.opts.PropagationDelay > 0 {
		v.at = time.Now()
	}
	ps.versions = append(ps.versions, v)
	return p
}

// ancestorsLocked lists the resources whose policies apply to resource,
// itself first: a service or repository inherits from its project.
func (s *Server) ancestorsLocked(resource string) []string {
	out := []string{resource}
	parts := strings.Split(resource, "/")
	if len(parts) > 2 && parts[0] == "projects" {
		out = append(out, "projects/"+s.projectIDLocked(parts[1]))
	}
	if len(parts) == 2 && parts[0] == "projects" {
		out[0] = "projects/" + s.projectIDLocked(parts[1])
	}
	return out
}

// projectIDLocked maps a project number to its ID (IDs pass through).
func (s *Server) projectIDLocked(idOrNumber string) string {
	if _, ok := s.projects[idOrNumber]; ok {
		return idOrNumber
	}
	for _, p := range s.projects {
		if fmt.Sprint(p.Number) == idOrNumber {
			return p.ID
		}
	}
	return idOrNumber
}

// allowedLocked reports whether member holds perm on resource under the
// enforced (propagated) policies. Conditional bindings grant nothing.
func (s *Server) allowedLocked(member, resource, perm string) bool {
	now := time.Now()
	for _, res := range s.ancestorsLocked(resource) {
		p := s.policies[res].effective(now, s.opts.PropagationDelay)
		if p == nil {
			continue
		}
		for _, b := range p.GetBindings() {
			if b.GetCondition() != nil || !roleGrants(b.GetRole(), perm) {
				continue
			}
			for _, m := range b.GetMembers() {
				if memberMatches(m, member) {
					return true
				}
			}
		}
	}
	return false
}

func (s *Server) allowed(member, resource, perm string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.allowedLocked(member, resource, perm)
}

// grantedLocked returns the subset of perms member holds on resource.
func (s *Server) grantedLocked(member, resource string, perms []string) []string {
	var out []string
	for _, p := range perms {
		if s.allowedLocked(member, resource, p) {
			out = append(out, p)
		}
	}
	return out
}

// Policy returns a copy of the current IAM policy of resource
// ("projects/P", "projects/P/locations/L/repositories/R",
// "projects/P/locations/R/services/S").
func (s *Server) Policy(resource string) *iampb.Policy {
	s.mu.Lock()
	defer s.mu.Unlock()
	return proto.Clone(s.policyLocked(resource)).(*iampb.Policy)
}

// SetPolicy replaces the IAM policy of resource; it is enforced at once.
func (s *Server) SetPolicy(resource string, p *iampb.Policy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.storePolicyLocked(resource, p, true)
}

// Grant adds member to the unconditional binding of role on resource; it is
// enforced at once.
func (s *Server) Grant(resource, role, member string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := proto.Clone(s.policyLocked(resource)).(*iampb.Policy)
	addMember(p, role, member)
	s.storePolicyLocked(resource, p, true)
}

// Revoke removes member from every binding of role on resource; it is
// enforced at once.
func (s *Server) Revoke(resource, role, member string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := proto.Clone(s.policyLocked(resource)).(*iampb.Policy)
	var kept []*iampb.Binding
	for _, b := range p.Bindings {
		if b.Role == role {
			b.Members = slices.DeleteFunc(b.Members, func(m string) bool { return m == member })
			if len(b.Members) == 0 {
				continue
			}
		}
		kept = append(kept, b)
	}
	p.Bindings = kept
	s.storePolicyLocked(resource, p, true)
}

// PropagateNow makes every IAM change written through an API enforced at
// once, as if Options.PropagationDelay had passed.
func (s *Server) PropagateNow() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ps := range s.policies {
		for i := range ps.versions {
			ps.versions[i].at = time.Time{}
		}
	}
}

// RaceNextSetIamPolicy arranges for a concurrent writer: just before the
// next setIamPolicy call on resource (any API) is evaluated, mutate is
// applied to the current policy and stored with a new etag, so the caller's
// read-modify-write carries a stale etag and gets 409 ABORTED.
func (s *Server) RaceNextSetIamPolicy(resource string, mutate func(p *iampb.Policy)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.races[resource] = append(s.races[resource], mutate)
}

func addMember(p *iampb.Policy, role, member string) {
	for _, b := range p.Bindings {
		if b.Role == role && b.Condition == nil {
			if !slices.Contains(b.Members, member) {
				b.Members = append(b.Members, member)
			}
			return
		}
	}
	p.Bindings = append(p.Bindings, &iampb.Binding{Role: role, Members: []string{member}})
}

// setPolicyLocked is the shared setIamPolicy of every API: the pending race
// writer runs first, then the etag is checked, then the policy is stored
// (enforced after the propagation delay).
func (s *Server) setPolicyLocked(resource string, p *iampb.Policy) (*iampb.Policy, *apiError) {
	if p == nil {
		return nil, errf(400, "Request contains an invalid argument.")
	}
	if q := s.races[resource]; len(q) > 0 {
		mutate := q[0]
		s.races[resource] = q[1:]
		cur := proto.Clone(s.policyLocked(resource)).(*iampb.Policy)
		mutate(cur)
		s.storePolicyLocked(resource, cur, true)
	}
	cur := s.policyLocked(resource)
	if len(p.Etag) > 0 && string(p.Etag) != string(cur.Etag) {
		return nil, &apiError{Code: 409, Status: "ABORTED", Message: "There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff."}
	}
	for _, b := range p.Bindings {
		if b.Condition != nil && p.Version < 3 {
			return nil, errf(400, "Conditional role bindings require policy version 3; got version %d.", p.Version)
		}
		if !strings.HasPrefix(b.Role, "roles/") && !strings.Contains(b.Role, "/roles/") {
			return nil, errf(400, "Role (%s) does not exist in the resource's hierarchy.", b.Role)
		}
		for _, m := range b.Members {
			if !validMember(m) {
				return nil, errf(400, "Invalid member %q in the policy.", m)
			}
		}
	}
	return s.storePolicyLocked(resource, p, false), nil
}

func validMember(m string) bool {
	if m == "allUsers" || m == "allAuthenticatedUsers" {
		return true
	}
	for _, prefix := range []string{"user:", "serviceAccount:", "group:", "domain:", "principal://", "principalSet://", "deleted:"} {
		if strings.HasPrefix(m, prefix) && len(m) > len(prefix) {
			return true
		}
	}
	return false
}

// getPolicyForRead returns a copy of the current policy (getIamPolicy shows
// writes at once).
func (s *Server) getPolicyLocked(resource string) *iampb.Policy {
	return proto.Clone(s.policyLocked(resource)).(*iampb.Policy)
}

// serviceAgent is the Cloud Run service agent member of a project number.
func serviceAgent(number int64) string {
	return fmt.Sprintf("serviceAccount:service-%d@serverless-robot-prod.iam.gserviceaccount.com", number)
}

// deniedMessage is the error text Google uses for a missing permission.
func deniedMessage(perm, resource string) string {
	return fmt.Sprintf("Permission '%s' denied on resource '%s' (or it may not exist).", perm, resource)
}

// serveTestIamPermissionsLocked answers testIamPermissions on resource with
// the subset the caller holds. A resource that does not exist grants
// nothing: the IAM contract answers an empty set, not NOT_FOUND.
func (s *Server) serveTestIamPermissionsLocked(c *call, resource string, exists bool) {
	req := &iampb.TestIamPermissionsRequest{}
	if e := c.readProto(req); e != nil {
		c.fail(e)
		return
	}
	var got []string
	if exists {
		got = s.grantedLocked(c.member, resource, req.GetPermissions())
	}
	writeProto(c.w, &iampb.TestIamPermissionsResponse{Permissions: got})
}
