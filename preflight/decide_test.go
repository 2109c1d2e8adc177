package preflight

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rundeploy/rundeploy/cli"
)

func TestDecide(t *testing.T) {
	yes, no, unset := cli.Bool{Set: true, Value: true}, cli.Bool{Set: true, Value: false}, cli.Bool{}
	repoCmd := func(member string) string {
		return "gcloud artifacts repositories add-iam-policy-binding apps --project=my-proj --location=us-central1 --member=" + member + " --role=roles/artifactregistry.reader"
	}
	tests := []struct {
		name        string
		report      string
		flag        cli.Bool
		quiet       bool
		interactive bool
		input       string
		wantGrants  []string // members
		wantPrompts int
		wantStop    []string // substrings of the StoppedError message
	}{
		{name: "nothing missing", report: "agent-unknown", flag: unset},
		{name: "nothing missing, --no-grant", report: "agent-unknown", flag: no},
		{name: "--grant-image-access grants without asking", report: "caller-missing", flag: yes, interactive: true, wantGrants: []string{ciMember}},
		{name: "--no-grant-image-access stops", report: "caller-missing", flag: no, interactive: true,
			wantStop: []string{"--no-grant-image-access was given", ciMember + " (you) lacks " + PermDownload + " on " + appsRepo, repoCmd(ciMember)}},
		{name: "ask, yes", report: "caller-missing", interactive: true, input: "y\n", wantGrants: []string{ciMember}, wantPrompts: 1},
		{name: "ask, YES", report: "caller-missing", interactive: true, input: " YES \n", wantGrants: []string{ciMember}, wantPrompts: 1},
		{name: "ask, default no", report: "caller-missing", interactive: true, input: "\n", wantPrompts: 1,
			wantStop: []string{"Image access was not granted", repoCmd(ciMember)}},
		{name: "ask, end of input is no", report: "caller-missing", interactive: true, input: "", wantPrompts: 1,
			wantStop: []string{"Image access was not granted"}},
		{name: "quiet never asks", report: "caller-missing", interactive: true, quiet: true,
			wantStop: []string{"Image access is missing, so nothing was deployed.", "rerun with --grant-image-access", repoCmd(ciMember)}},
		{name: "no terminal never asks", report: "caller-missing", input: "y\n",
			wantStop: []string{"Image access is missing, so nothing was deployed.", repoCmd(ciMember)}},
		{name: "cannot grant: command for an administrator", report: "both-missing-cannot-grant", flag: yes, interactive: true,
			wantStop: []string{"cannot grant it (you lack " + PermRepoSetIAM, "Ask an administrator", repoCmd(ciMember), repoCmd(agent),
				"Cloud Run service agent " + agent + " lacks"}},
		{name: "unknown caller: placeholder", report: "unknown-caller", flag: yes, interactive: true,
			wantStop: []string{"the active credentials' identity is not known", "you (the active credentials) lacks", repoCmd("PRINCIPAL"), "(replace PRINCIPAL with"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := reports(t)[tt.report]
			var out bytes.Buffer
			plan, err := Decide(r, Consent{GrantImageAccess: tt.flag, Quiet: tt.quiet, Interactive: tt.interactive, In: strings.NewReader(tt.input), Out: &out})
			if got := strings.Count(out.String(), "? (y/N) "); got != tt.wantPrompts {
				t.Errorf("%d prompts, want %d:\n%s", got, tt.wantPrompts, out.String())
			}
			if tt.wantStop != nil {
				var se *StoppedError
				if !errors.As(err, &se) || se.ExitCode() != 1 {
					t.Fatalf("Decide() error = %v, want *StoppedError", err)
				}
				for _, s := range tt.wantStop {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("message lacks %q:\n%s", s, err)
					}
				}
				if len(plan.Grants) != 0 {
					t.Errorf("stopped with grants %v", plan.Grants)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decide() error = %v", err)
			}
			var members []string
			for _, g := range plan.Grants {
				members = append(members, g.Member)
			}
			if strings.Join(members, ",") != strings.Join(tt.wantGrants, ",") {
				t.Errorf("grants to %v, want %v", members, tt.wantGrants)
			}
		})
	}
}

func TestDecidePromptText(t *testing.T) {
	r := reports(t)["caller-missing"]
	var out bytes.Buffer
	if _, err := Decide(r, Consent{Interactive: true, In: strings.NewReader("y\n"), Out: &out}); err != nil {
		t.Fatal(err)
	}
	want := "Grant roles/artifactregistry.reader on repository apps (my-proj, us-central1) to " + ciMember + "? (y/N) "
	if out.String() != want {
		t.Errorf("prompt %q, want %q", out.String(), want)
	}
}

func TestDecideStopMessage(t *testing.T) {
	_, err := Decide(reports(t)["both-missing-cannot-grant"], Consent{})
	if err == nil {
		t.Fatal("Decide() succeeded")
	}
	golden(t, "stop-cannot-grant.txt", []byte(err.Error()+"\n"))
}

func TestPlanGrantsProjectScope(t *testing.T) {
	img := mustImage(t, "eu.gcr.io/example.com/other/web:v1")
	r := &Report{Image: img, Findings: []Finding{{
		Principal: agent, Subject: SubjectServiceAgent, Permission: PermDownload, Resource: img.RepositoryName(),
		State: StateMissing, Remedy: remedy(img, ScopeProject, agent, ""), CanGrant: true,
	}}}
	p := PlanGrants(r)
	if len(p.Grants) != 1 {
		t.Fatalf("PlanGrants() = %+v", p)
	}
	g := p.Grants[0]
	if g.Resource != "projects/example.com:other" || g.Scope != ScopeProject || g.Where() != "project example.com:other" {
		t.Errorf("grant = %+v (Where %q)", g, g.Where())
	}
	want := "gcloud projects add-iam-policy-binding example.com:other --member=" + agent + " --role=roles/artifactregistry.reader --condition=None"
	if g.Command != want {
		t.Errorf("Command = %q\nwant      %q", g.Command, want)
	}
	repo := remedy(img, ScopeRepository, "user:a b@example.com", "")
	if want := "gcloud artifacts repositories add-iam-policy-binding eu.gcr.io --project=example.com:other --location=europe '--member=user:a b@example.com' --role=roles/artifactregistry.reader"; repo.Command != want {
		t.Errorf("Command = %q\nwant      %q", repo.Command, want)
	}
}

func TestPlanRender(t *testing.T) {
	var b bytes.Buffer
	for _, name := range []string{"caller-missing", "both-missing-cannot-grant", "unknown-caller", "agent-unknown"} {
		if err := PlanGrants(reports(t)[name]).Render(&b); err != nil {
			t.Fatal(err)
		}
	}
	golden(t, "plan.txt", b.Bytes())
	j, err := json.Marshal(PlanGrants(reports(t)["caller-missing"]))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.json", append(j, '\n'))
}
