package preflight

import (
	"strings"

	"github.com/rundeploy/rundeploy/cli"
)

// Scope is where roles/artifactregistry.reader is granted.
type Scope string

// The scopes are the values of --grant-scope (cli.PreflightFlags.Scope).
const (
	// ScopeRepository grants on the image's repository (least privilege, default).
	ScopeRepository Scope = cli.ScopeRepository
	// ScopeProject grants on the image's project (every repository in it).
	ScopeProject Scope = cli.ScopeProject
)

// remedy builds the grant of roles/artifactregistry.reader to member that
// gives it read access to img, at scope, with the exact gcloud command.
func remedy(img Image, scope Scope, member, placeholder string) *Remedy {
	r := &Remedy{Role: ReaderRole, Scope: scope, Placeholder: placeholder}
	if scope == ScopeProject {
		r.Command = shellJoin("gcloud", "projects", "add-iam-policy-binding", img.Project,
			"--member="+member, "--role="+ReaderRole, "--condition=None")
	} else {
		r.Scope = ScopeRepository
		r.Command = shellJoin("gcloud", "artifacts", "repositories", "add-iam-policy-binding", img.Repository,
			"--project="+img.Project, "--location="+img.Location, "--member="+member, "--role="+ReaderRole)
	}
	return r
}

// shellJoin joins command words for a POSIX shell, quoting only the words
// that need it.
func shellJoin(words ...string) string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = shellQuote(w)
	}
	return strings.Join(out, " ")
}

func shellQuote(w string) string {
	safe := w != ""
	for _, r := range w {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r)) {
			safe = false
			break
		}
	}
	if safe {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'"'"'`) + "'"
}
