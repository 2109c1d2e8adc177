package preflight

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// State is the outcome of one access check.
type State int

const (
	// StateGranted: the principal has the permission.
	StateGranted State = iota + 1
	// StateMissing: the principal lacks the permission; the deploy would fail.
	StateMissing
	// StateUnknown: the check could not tell (policies unreadable, groups,
	// conditions, custom roles, API errors). The preflight warns and goes on.
	StateUnknown
)

// String is "granted", "missing" or "unknown".
func (s State) String() string {
	switch s {
	case StateGranted:
		return "granted"
	case StateMissing:
		return "missing"
	case StateUnknown:
		return "unknown"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// MarshalText writes the state as its String.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Subjects of findings.
const (
	SubjectCaller       = "you"
	SubjectServiceAgent = "Cloud Run service agent"
)

// Placeholders used in remedies when a member is not known.
const (
	// CallerPlaceholder stands for the caller's member when the active
	// credentials' email is unknown.
	CallerPlaceholder = "PRINCIPAL"
	// AgentPlaceholder stands for the Cloud Run service agent when the
	// deploy project's number could not be read.
	AgentPlaceholder = "serviceAccount:service-PROJECT_NUMBER@serverless-robot-prod.iam.gserviceaccount.com"
)

// Finding is what the preflight found out about one principal's access to
// the image's repository.
type Finding struct {
	// Principal is the IAM member ("user:a@b", "serviceAccount:x@y"), ""
	// when it is not known.
	Principal string
	// Subject says who the principal is: SubjectCaller or SubjectServiceAgent.
	Subject    string
	Permission string
	// Resource is the repository, projects/P/locations/L/repositories/R.
	Resource string
	State    State
	// Reason explains an unknown state, or how the state was established.
	Reason string
	// Remedy is the grant that fixes a missing (or unknown) permission.
	Remedy *Remedy
	// CanGrant reports whether the caller may make the Remedy grant itself
	// (it holds setIamPolicy where the grant goes, and the member is known).
	CanGrant bool
}

// Remedy is the least-privilege grant that gives a principal the permission.
type Remedy struct {
	Role  string
	Scope Scope
	// Command is the exact gcloud command that makes the grant.
	Command string
	// Placeholder, when not empty, explains an upper-case placeholder in
	// Command that the user must replace.
	Placeholder string
}

// who names the principal of a finding the way the report does.
func (f Finding) who() string {
	switch {
	case f.Subject == SubjectCaller && f.Principal == "":
		return "you (the active credentials)"
	case f.Subject == SubjectCaller:
		return f.Principal + " (you)"
	case f.Principal == "":
		return f.Subject
	}
	return f.Subject + " " + f.Principal
}

// Report is the result of the preflight checks.
type Report struct {
	Image Image
	// Digest is the manifest digest the registry answered with ("" unless Exists).
	Digest string
	// Exists reports that the registry served the image manifest.
	Exists   bool
	Findings []Finding
	// Notes say what was not checked and why (Docker Hub, other registries).
	Notes []string
	// Warnings are problems that do not stop the deploy but may fail it.
	Warnings []string

	// cannotGrant says why the caller may not grant ("" when it may).
	cannotGrant string
}

// Missing returns the findings in StateMissing.
func (r *Report) Missing() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.State == StateMissing {
			out = append(out, f)
		}
	}
	return out
}

// OK reports whether nothing is known to be missing.
func (r *Report) OK() bool { return len(r.Missing()) == 0 }

// Render writes the report for people (stderr), e.g.
//
//	Checking image access for us-central1-docker.pkg.dev/my-proj/apps/web:v3
//	  ✓ image exists (sha256:…)
//	  ✗ serviceAccount:ci@my-proj.iam.gserviceaccount.com (you) cannot read projects/my-proj/locations/us-central1/repositories/apps
//	      missing artifactregistry.repositories.downloadArtifacts — grant roles/artifactregistry.reader
//	  ✓ Cloud Run service agent serviceAccount:service-123@serverless-robot-prod.iam.gserviceaccount.com can read it
func (r *Report) Render(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Checking image access for %s\n", r.Image.Ref)
	if r.Exists {
		fmt.Fprintf(&b, "  ✓ image exists (%s)\n", r.Digest)
	}
	named := ""
	for _, f := range r.Findings {
		res := f.Resource
		if res == named {
			res = "it"
		}
		named = f.Resource
		switch f.State {
		case StateGranted:
			fmt.Fprintf(&b, "  ✓ %s can read %s\n", f.who(), res)
		case StateMissing:
			fmt.Fprintf(&b, "  ✗ %s cannot read %s\n", f.who(), res)
			role := ReaderRole
			if f.Remedy != nil {
				role = f.Remedy.Role
			}
			fmt.Fprintf(&b, "      missing %s — grant %s\n", f.Permission, role)
		default:
			fmt.Fprintf(&b, "  ? %s might not be able to read %s (unknown: %s)\n", f.who(), res, f.Reason)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "  - %s\n", n)
	}
	for _, n := range r.Warnings {
		fmt.Fprintf(&b, "  ! %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonFinding is one element of the --format=json output.
type jsonFinding struct {
	Principal  string      `json:"principal"`
	Subject    string      `json:"subject"`
	Permission string      `json:"permission"`
	Resource   string      `json:"resource"`
	State      State       `json:"state"`
	Reason     string      `json:"reason,omitempty"`
	Remedy     *jsonRemedy `json:"remedy"`
}

type jsonRemedy struct {
	Role        string `json:"role"`
	Scope       Scope  `json:"scope"`
	Command     string `json:"command"`
	Placeholder string `json:"placeholder,omitempty"`
	CanGrant    bool   `json:"canGrant"`
}

// MarshalJSON writes the findings as the JSON list --format=json shows:
// [{principal, subject, permission, resource, state, reason, remedy}].
// The remedy is null when the permission is granted.
func (r *Report) MarshalJSON() ([]byte, error) { return json.Marshal(r.jsonFindings()) }

// WriteJSON writes the findings as indented JSON (gcloud's json format).
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r.jsonFindings())
}

func (r *Report) jsonFindings() []jsonFinding {
	out := make([]jsonFinding, 0, len(r.Findings))
	for _, f := range r.Findings {
		jf := jsonFinding{Principal: f.Principal, Subject: f.Subject, Permission: f.Permission, Resource: f.Resource, State: f.State, Reason: f.Reason}
		if f.Remedy != nil && f.State != StateGranted {
			jf.Remedy = &jsonRemedy{Role: f.Remedy.Role, Scope: f.Remedy.Scope, Command: f.Remedy.Command, Placeholder: f.Remedy.Placeholder, CanGrant: f.CanGrant}
		}
		out = append(out, jf)
	}
	return out
}
