package preflight

import (
	"strings"
	"testing"

	"cloud.google.com/go/iam/apiv1/iampb"
	"google.golang.org/genproto/googleapis/type/expr"
	"google.golang.org/protobuf/proto"
)

const agent = "serviceAccount:service-123@serverless-robot-prod.iam.gserviceaccount.com"

func binding(role string, cond *expr.Expr, members ...string) *iampb.Binding {
	return &iampb.Binding{Role: role, Members: members, Condition: cond}
}

func TestEvaluatePolicy(t *testing.T) {
	cond := &expr.Expr{Title: "weekdays", Expression: "request.time.getDayOfWeek() < 5"}
	tests := []struct {
		name     string
		bindings []*iampb.Binding
		granted  bool
		via      string
		unknown  []string // substrings, one per unresolved binding
	}{
		{name: "empty"},
		{name: "reader", bindings: []*iampb.Binding{binding(ReaderRole, nil, "user:x@example.com", agent)}, granted: true, via: "roles/artifactregistry.reader on R"},
		{name: "viewer basic role", bindings: []*iampb.Binding{binding("roles/viewer", nil, agent)}, granted: true, via: "roles/viewer on R"},
		{name: "allUsers", bindings: []*iampb.Binding{binding(ReaderRole, nil, "allUsers")}, granted: true, via: "roles/artifactregistry.reader on R (allUsers)"},
		{name: "allAuthenticatedUsers", bindings: []*iampb.Binding{binding("roles/artifactregistry.writer", nil, "allAuthenticatedUsers")}, granted: true},
		{name: "run.admin does not contain it", bindings: []*iampb.Binding{binding("roles/run.admin", nil, agent), binding("roles/run.developer", nil, agent)}},
		{name: "other member", bindings: []*iampb.Binding{binding(ReaderRole, nil, "serviceAccount:service-999@serverless-robot-prod.iam.gserviceaccount.com")}},
		{name: "conditional", bindings: []*iampb.Binding{binding(ReaderRole, cond, agent)}, unknown: []string{`only under condition "weekdays"`}},
		{name: "conditional untitled", bindings: []*iampb.Binding{binding(ReaderRole, &expr.Expr{Expression: "true"}, agent)}, unknown: []string{`only under condition "true"`}},
		{name: "group", bindings: []*iampb.Binding{binding(ReaderRole, nil, "group:devs@example.com")}, unknown: []string{"group:devs@example.com, whose membership cannot be checked"}},
		{name: "domain and principalSet", bindings: []*iampb.Binding{binding("roles/viewer", nil, "domain:example.com", "principalSet://cloudresourcemanager.googleapis.com/projects/1/type/ServiceAccount")}, unknown: []string{"domain:example.com", "principalSet://"}},
		{name: "custom role", bindings: []*iampb.Binding{binding("projects/p/roles/puller", nil, agent)}, unknown: []string{"custom role projects/p/roles/puller on R is granted to " + agent}},
		{name: "custom role to a group says nothing", bindings: []*iampb.Binding{binding("organizations/1/roles/x", nil, "group:g@example.com")}},
		{name: "group in unrelated role", bindings: []*iampb.Binding{binding("roles/run.invoker", nil, "group:g@example.com")}},
		{name: "granted beats unknown", bindings: []*iampb.Binding{binding(ReaderRole, cond, agent), binding("roles/owner", nil, agent)}, granted: true, via: "roles/owner on R", unknown: []string{"only under condition"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := evaluatePolicy(&iampb.Policy{Version: 3, Bindings: tt.bindings}, "R", agent)
			if ev.granted != tt.granted {
				t.Errorf("granted = %v, want %v", ev.granted, tt.granted)
			}
			if tt.via != "" && ev.via != tt.via {
				t.Errorf("via = %q, want %q", ev.via, tt.via)
			}
			if len(ev.unknown) != len(tt.unknown) {
				t.Fatalf("unknown = %q, want %d entries like %q", ev.unknown, len(tt.unknown), tt.unknown)
			}
			for i, u := range tt.unknown {
				if !strings.Contains(ev.unknown[i], u) {
					t.Errorf("unknown[%d] = %q, want it to contain %q", i, ev.unknown[i], u)
				}
			}
		})
	}
}

func TestRoleGrantsDownload(t *testing.T) {
	for role, want := range map[string][2]bool{
		"roles/artifactregistry.reader": {true, true},
		"roles/editor":                  {true, true},
		"roles/run.serviceAgent":        {true, true},
		"roles/assuredoss.user":         {true, true},
		"roles/run.admin":               {false, true},
		"roles/iam.securityReviewer":    {false, true},
		"projects/p/roles/custom":       {false, false},
		"organizations/12/roles/custom": {false, false},
	} {
		g, k := RoleGrantsDownload(role)
		if g != want[0] || k != want[1] {
			t.Errorf("RoleGrantsDownload(%q) = %v, %v; want %v, %v", role, g, k, want[0], want[1])
		}
	}
}

func TestAddMember(t *testing.T) {
	cond := &expr.Expr{Title: "t", Expression: "resource.name.startsWith('x')"}
	const m = "user:alice@example.com"
	tests := []struct {
		name    string
		in      *iampb.Policy
		changed bool
		want    *iampb.Policy
	}{
		{
			name:    "empty policy gets a binding",
			in:      &iampb.Policy{Version: 1, Etag: []byte("e1")},
			changed: true,
			want:    &iampb.Policy{Version: 1, Etag: []byte("e1"), Bindings: []*iampb.Binding{binding(ReaderRole, nil, m)}},
		},
		{
			name:    "appends to the unconditional binding",
			in:      &iampb.Policy{Version: 1, Etag: []byte("e1"), Bindings: []*iampb.Binding{binding("roles/owner", nil, "user:o@example.com"), binding(ReaderRole, nil, "user:b@example.com")}},
			changed: true,
			want:    &iampb.Policy{Version: 1, Etag: []byte("e1"), Bindings: []*iampb.Binding{binding("roles/owner", nil, "user:o@example.com"), binding(ReaderRole, nil, "user:b@example.com", m)}},
		},
		{
			name:    "conditional binding is left alone",
			in:      &iampb.Policy{Version: 3, Etag: []byte("e1"), Bindings: []*iampb.Binding{binding(ReaderRole, cond, m)}},
			changed: true,
			want:    &iampb.Policy{Version: 3, Etag: []byte("e1"), Bindings: []*iampb.Binding{binding(ReaderRole, cond, m), binding(ReaderRole, nil, m)}},
		},
		{
			name:    "already there",
			in:      &iampb.Policy{Version: 3, Etag: []byte("e1"), Bindings: []*iampb.Binding{binding(ReaderRole, cond, "user:z@example.com"), binding(ReaderRole, nil, m)}},
			changed: false,
			want:    &iampb.Policy{Version: 3, Etag: []byte("e1"), Bindings: []*iampb.Binding{binding(ReaderRole, cond, "user:z@example.com"), binding(ReaderRole, nil, m)}},
		},
		{
			name:    "audit configs kept",
			in:      &iampb.Policy{Version: 1, Etag: []byte("e1"), AuditConfigs: []*iampb.AuditConfig{{Service: "allServices", AuditLogConfigs: []*iampb.AuditLogConfig{{LogType: iampb.AuditLogConfig_DATA_READ}}}}},
			changed: true,
			want: &iampb.Policy{Version: 1, Etag: []byte("e1"), Bindings: []*iampb.Binding{binding(ReaderRole, nil, m)},
				AuditConfigs: []*iampb.AuditConfig{{Service: "allServices", AuditLogConfigs: []*iampb.AuditLogConfig{{LogType: iampb.AuditLogConfig_DATA_READ}}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := proto.Clone(tt.in).(*iampb.Policy)
			if got := addMember(p, ReaderRole, m); got != tt.changed {
				t.Errorf("addMember() = %v, want %v", got, tt.changed)
			}
			if !proto.Equal(p, tt.want) {
				t.Errorf("policy after addMember:\n got %v\nwant %v", p, tt.want)
			}
		})
	}
}
