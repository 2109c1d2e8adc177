package deploy

// Service and revision metadata and security settings: labels, annotations,
// description, service account, execution environment, Binary
// Authorization, CMEK, custom audiences, and the boolean toggles
// (session affinity, health check, default URL, invoker IAM check, IAP).

import (
	"strconv"
	"strings"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/rundeploy/rundeploy/wrap"
)

// clearBreakglass: every deploy first deletes the breakglass justification
// (deploy.py _GetBaseChanges), so --breakglass is one-shot.
func (p *planner) clearBreakglass() error {
	if ba := p.svc.BinaryAuthorization; ba != nil {
		ba.BreakglassJustification = ""
	}
	return nil
}

// applyServiceAccount is ServiceAccountChanges (an empty value is ignored,
// as in gcloud).
func (p *planner) applyServiceAccount() error {
	if p.f.ServiceAccount.Set && p.f.ServiceAccount.Value != "" {
		p.tmpl().ServiceAccount = p.f.ServiceAccount.Value
	}
	return nil
}

// applyLabels is LabelChanges with labels_util.Diff: clear, then add, then
// remove, on the service labels; when they change, the template labels
// become a copy of them (keeping the nonce).
func (p *planner) applyLabels() error {
	f := p.f
	if !(f.Labels.Set || f.UpdateLabels.Set || f.RemoveLabels.Set || f.ClearLabels.Set) {
		return nil
	}
	add := f.UpdateLabels
	if f.Labels.Set {
		add = f.Labels
	}
	old := p.svc.Labels
	next := map[string]string{}
	if !(f.ClearLabels.Set && f.ClearLabels.Value) {
		for k, v := range old {
			next[k] = v
		}
	}
	for _, k := range add.Keys {
		next[k] = add.Values[k]
	}
	for _, k := range f.RemoveLabels.Items {
		delete(next, k)
	}
	if equalMaps(old, next) {
		return nil
	}
	p.svc.Labels = next
	t := p.tmpl()
	nonce, hadNonce := t.Labels[nonceLabel]
	t.Labels = map[string]string{}
	for k, v := range next {
		t.Labels[k] = v
	}
	if hadNonce && nonce != "" {
		t.Labels[nonceLabel] = nonce
	}
	return nil
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// applyBinaryAuthorization writes --binary-authorization ("default" is
// use_default, anything else a policy name), --clear-binary-authorization
// and --breakglass.
func (p *planner) applyBinaryAuthorization() error {
	f := p.f
	ensure := func() *runpb.BinaryAuthorization {
		if p.svc.BinaryAuthorization == nil {
			p.svc.BinaryAuthorization = &runpb.BinaryAuthorization{}
		}
		return p.svc.BinaryAuthorization
	}
	if f.BinaryAuthorization.Set {
		if f.BinaryAuthorization.Value == "default" {
			ensure().BinauthzMethod = &runpb.BinaryAuthorization_UseDefault{UseDefault: true}
		} else {
			ensure().BinauthzMethod = &runpb.BinaryAuthorization_Policy{Policy: f.BinaryAuthorization.Value}
		}
	}
	if f.ClearBinaryAuthorization.Set && p.svc.BinaryAuthorization != nil {
		p.svc.BinaryAuthorization.BinauthzMethod = nil
	}
	if f.Breakglass.Set {
		ensure().BreakglassJustification = f.Breakglass.Value
	}
	return nil
}

// applyEncryption writes the CMEK flags and their clear forms: --clear-key
// also clears the revocation action and shutdown hours, and
// --clear-post-key-revocation-action-type also clears the shutdown hours.
func (p *planner) applyEncryption() error {
	f := p.f
	t := p.tmpl()
	if f.Key.Set {
		t.EncryptionKey = f.Key.Value
	}
	if f.PostKeyRevocationActionType.Set {
		switch f.PostKeyRevocationActionType.Value {
		case "prevent-new":
			t.EncryptionKeyRevocationAction = runpb.EncryptionKeyRevocationAction_PREVENT_NEW
		case "shut-down":
			t.EncryptionKeyRevocationAction = runpb.EncryptionKeyRevocationAction_SHUTDOWN
		}
	}
	if f.EncryptionKeyShutdownHours.Set {
		h, err := strconv.ParseInt(strings.TrimSpace(f.EncryptionKeyShutdownHours.Value), 10, 64)
		if err != nil || h < 0 {
			return wrap.ValueErrorf("--encryption-key-shutdown-hours must be a whole number of hours; Cloud Run Admin API v2 stores it as a duration, and [%s] is not one.", f.EncryptionKeyShutdownHours.Value)
		}
		t.EncryptionKeyShutdownDuration = &durationpb.Duration{Seconds: h * 3600}
	}
	if f.ClearKey.Set {
		t.EncryptionKey = ""
		t.EncryptionKeyRevocationAction = runpb.EncryptionKeyRevocationAction_ENCRYPTION_KEY_REVOCATION_ACTION_UNSPECIFIED
		t.EncryptionKeyShutdownDuration = nil
	}
	if f.ClearPostKeyRevocationActionType.Set {
		t.EncryptionKeyRevocationAction = runpb.EncryptionKeyRevocationAction_ENCRYPTION_KEY_REVOCATION_ACTION_UNSPECIFIED
		t.EncryptionKeyShutdownDuration = nil
	}
	if f.ClearEncryptionKeyShutdownHours.Set {
		t.EncryptionKeyShutdownDuration = nil
	}
	return nil
}

// applyDescription writes --description (any value, "" included).
func (p *planner) applyDescription() error {
	if p.f.Description.Set {
		p.svc.Description = p.f.Description.Value
	}
	return nil
}

// applyExecutionEnvironment is SandboxChange.
func (p *planner) applyExecutionEnvironment() error {
	switch {
	case !p.f.ExecutionEnvironment.Set:
	case p.f.ExecutionEnvironment.Value == "gen1":
		p.tmpl().ExecutionEnvironment = runpb.ExecutionEnvironment_EXECUTION_ENVIRONMENT_GEN1
	case p.f.ExecutionEnvironment.Value == "gen2":
		p.tmpl().ExecutionEnvironment = runpb.ExecutionEnvironment_EXECUTION_ENVIRONMENT_GEN2
	}
	return nil
}

// applyCustomAudiences is CustomAudiencesChanges.
func (p *planner) applyCustomAudiences() error {
	f := p.f
	clear := f.ClearCustomAudiences.Set && f.ClearCustomAudiences.Value
	if !(f.AddCustomAudiences.Set || f.SetCustomAudiences.Set || f.RemoveCustomAudiences.Set || clear) {
		return nil
	}
	next, changed := modifyList(p.svc.CustomAudiences, f.AddCustomAudiences.Items, f.AddCustomAudiences.Set,
		f.RemoveCustomAudiences.Items, f.RemoveCustomAudiences.Set, clear, f.SetCustomAudiences.Items, f.SetCustomAudiences.Set)
	if changed {
		p.svc.CustomAudiences = next
	}
	return nil
}

// systemAnnotationDomains are the annotation namespaces v2 rejects.
var systemAnnotationDomains = []string{"run.googleapis.com", "cloud.googleapis.com", "serving.knative.dev", "autoscaling.knative.dev"}

// applyUpdateAnnotations writes --update-annotations to the service
// annotations. v2 rejects the system namespaces, whose v1 annotations all
// have dedicated v2 fields (and flags), so those keys are an error here.
func (p *planner) applyUpdateAnnotations() error {
	a := p.f.UpdateAnnotations
	if !a.Set || len(a.Keys) == 0 {
		return nil
	}
	for _, k := range a.Keys {
		prefix, _, ok := strings.Cut(k, "/")
		if !ok {
			continue
		}
		for _, d := range systemAnnotationDomains {
			if prefix == d || strings.HasSuffix(prefix, "."+d) {
				return wrap.ValueErrorf("--update-annotations: annotation [%s] is in the system namespace %s, which the Cloud Run Admin API v2 rejects; use the flag for that setting instead.", k, d)
			}
		}
	}
	if p.svc.Annotations == nil {
		p.svc.Annotations = map[string]string{}
	}
	for _, k := range a.Keys {
		p.svc.Annotations[k] = a.Values[k]
	}
	return nil
}

// applyTemplateToggles writes --[no-]deploy-health-check and
// --[no-]session-affinity.
func (p *planner) applyTemplateToggles() error {
	f := p.f
	if f.DeployHealthCheck.Set {
		p.tmpl().HealthCheckDisabled = !f.DeployHealthCheck.Value
	}
	if f.SessionAffinity.Set {
		p.tmpl().SessionAffinity = f.SessionAffinity.Value
	}
	return nil
}

// applyServiceToggles writes --[no-]default-url, --[no-]invoker-iam-check
// and --[no-]iap. (The IAM grant for the IAP service agent is Apply's job.)
func (p *planner) applyServiceToggles() error {
	f := p.f
	if f.DefaultUrl.Set {
		p.svc.DefaultUriDisabled = !f.DefaultUrl.Value
	}
	if f.InvokerIamCheck.Set {
		p.svc.InvokerIamDisabled = !f.InvokerIamCheck.Value
	}
	if f.Iap.Set {
		p.svc.IapEnabled = f.Iap.Value
	}
	return nil
}
