package preflight

import (
	"fmt"
	"strings"

	"cloud.google.com/go/iam/apiv1/iampb"
	"google.golang.org/genproto/googleapis/type/expr"
)

// Permissions and roles the preflight deals with.
const (
	// PermDownload is what Cloud Run checks on the image's repository.
	PermDownload = "artifactregistry.repositories.downloadArtifacts"
	// PermRepoSetIAM and PermRepoGetIAM let the caller grant on the repository.
	PermRepoSetIAM = "artifactregistry.repositories.setIamPolicy"
	PermRepoGetIAM = "artifactregistry.repositories.getIamPolicy"
	// PermProjectSetIAM and PermProjectGetIAM let the caller grant on the project.
	PermProjectSetIAM = "resourcemanager.projects.setIamPolicy"
	PermProjectGetIAM = "resourcemanager.projects.getIamPolicy"
	// ReaderRole is the least-privilege role that contains PermDownload.
	ReaderRole = "roles/artifactregistry.reader"
)

// downloadRoles are the predefined roles that contain
// artifactregistry.repositories.downloadArtifacts (gcp-apis.md §3.3, from
// the IAM roles API). Predefined roles not listed are taken not to contain
// it; custom roles cannot be expanded and make a binding "unknown".
var downloadRoles = map[string]bool{
	"roles/artifactregistry.reader":                          true,
	"roles/artifactregistry.writer":                          true,
	"roles/artifactregistry.repoAdmin":                       true,
	"roles/artifactregistry.admin":                           true,
	"roles/artifactregistry.viewer":                          true,
	"roles/artifactregistry.editor":                          true,
	"roles/artifactregistry.createOnPushWriter":              true,
	"roles/artifactregistry.createOnPushRepoAdmin":           true,
	"roles/artifactregistry.containerRegistryMigrationAdmin": true,
	"roles/artifactregistry.serviceAgent":                    true,
	"roles/viewer":                                           true,
	"roles/editor":                                           true,
	"roles/owner":                                            true,
	"roles/run.serviceAgent":                                 true,
	"roles/run.builder":                                      true,
	"roles/run.sourceDeveloper":                              true,
	"roles/cloudbuild.builds.builder":                        true,
	"roles/cloudfunctions.admin":                             true,
	"roles/cloudfunctions.developer":                         true,
	"roles/cloudfunctions.editor":                            true,
	"roles/appengine.appAdmin":                               true,
	"roles/appengine.deployer":                               true,
	"roles/iam.securityAuditor":                              true,
	"roles/iam.supportUser":                                  true,
	"roles/iam.dataScientist":                                true,
	"roles/iam.devOps":                                       true,
	"roles/firebase.admin":                                   true,
	"roles/firebase.developAdmin":                            true,
	"roles/securitycenter.admin":                             true,
	"roles/securitycenter.adminEditor":                       true,
	"roles/securitycenter.adminViewer":                       true,
	"roles/composer.worker":                                  true,
}

// RoleGrantsDownload reports whether a role is known to contain
// artifactregistry.repositories.downloadArtifacts (known == false for
// custom roles, whose permissions the preflight does not read).
func RoleGrantsDownload(role string) (grants, known bool) {
	if strings.HasPrefix(role, "projects/") || strings.HasPrefix(role, "organizations/") {
		return false, false
	}
	if downloadRoles[role] || strings.HasPrefix(role, "roles/assuredoss.") {
		return true, true
	}
	return false, true
}

// evaluation is what one allow policy says about one member.
type evaluation struct {
	granted bool     // an unconditional binding of a download role names the member
	via     string   // "roles/viewer on projects/p" when granted
	unknown []string // bindings that may grant it but cannot be resolved
}

// evaluatePolicy looks for a binding in policy (attached to resource) that
// gives member artifactregistry.repositories.downloadArtifacts: granted iff
// an unconditional binding of a role known to contain the permission names
// the member, allUsers or allAuthenticatedUsers. Conditional bindings,
// custom roles and members that are sets (group:, domain:, principalSet:)
// are reported as unresolved.
func evaluatePolicy(policy *iampb.Policy, resource, member string) evaluation {
	var ev evaluation
	for _, b := range policy.GetBindings() {
		grants, known := RoleGrantsDownload(b.GetRole())
		if known && !grants {
			continue
		}
		for _, m := range b.GetMembers() {
			direct := m == member || m == "allUsers" || m == "allAuthenticatedUsers"
			set := isMemberSet(m)
			if !direct && !set {
				continue
			}
			switch {
			case !known:
				if direct {
					ev.unknown = append(ev.unknown, fmt.Sprintf("custom role %s on %s is granted to %s", b.GetRole(), resource, m))
				}
			case b.GetCondition() != nil:
				ev.unknown = append(ev.unknown, fmt.Sprintf("%s on %s is granted to %s only under condition %q", b.GetRole(), resource, m, conditionTitle(b.GetCondition())))
			case direct:
				if !ev.granted {
					ev.granted, ev.via = true, fmt.Sprintf("%s on %s", b.GetRole(), resource)
					if m != member {
						ev.via += " (" + m + ")"
					}
				}
			default:
				ev.unknown = append(ev.unknown, fmt.Sprintf("%s on %s is granted to %s, whose membership cannot be checked", b.GetRole(), resource, m))
			}
		}
	}
	return ev
}

// isMemberSet reports whether a member names a set of principals whose
// membership the preflight cannot resolve.
func isMemberSet(m string) bool {
	for _, p := range []string{"group:", "domain:", "principalSet:"} {
		if strings.HasPrefix(m, p) {
			return true
		}
	}
	return false
}

func conditionTitle(c *expr.Expr) string {
	if c.GetTitle() != "" {
		return c.GetTitle()
	}
	return c.GetExpression()
}

// addMember adds member to the unconditional binding of role in policy,
// creating the binding when there is none. Conditional bindings of the same
// role are never touched. It reports whether the policy changed (false when
// the member already holds the role unconditionally). Every other binding,
// the audit configs, the version and the etag are left exactly as they are.
func addMember(policy *iampb.Policy, role, member string) bool {
	for _, b := range policy.Bindings {
		if b.GetRole() != role || b.GetCondition() != nil {
			continue
		}
		for _, m := range b.Members {
			if m == member {
				return false
			}
		}
		b.Members = append(b.Members, member)
		return true
	}
	policy.Bindings = append(policy.Bindings, &iampb.Binding{Role: role, Members: []string{member}})
	if hasConditions(policy) && policy.Version < 3 {
		policy.Version = 3
	}
	return true
}

func hasConditions(policy *iampb.Policy) bool {
	for _, b := range policy.GetBindings() {
		if b.GetCondition() != nil {
			return true
		}
	}
	return false
}

// holdsUnconditionally reports whether member holds role through an
// unconditional binding.
func holdsUnconditionally(policy *iampb.Policy, role, member string) bool {
	for _, b := range policy.GetBindings() {
		if b.GetRole() == role && b.GetCondition() == nil {
			for _, m := range b.GetMembers() {
				if m == member {
					return true
				}
			}
		}
	}
	return false
}
