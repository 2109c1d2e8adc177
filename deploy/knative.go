package deploy

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/genproto/googleapis/api"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// KnativeServiceTypeURL is the "@type" that gcloud prints at the top of the
// Service after a synchronous deploy: the v1 operations ":wait" response
// carries it and gcloud keeps it. The POST/PUT response printed by
// `--async` has no "@type"; callers delete the key for that case.
const KnativeServiceTypeURL = "type.googleapis.com/google.cloud.run.v1.Service"

// knativeTimeLayout is the timestamp format of the v1 (Knative) API:
// RFC 3339 in UTC with microseconds.
const knativeTimeLayout = "2006-01-02T15:04:05.000000Z"

// KnativeService converts the final v2 Service into the v1 (Knative)
// serving.knative.dev/v1 Service object that `gcloud run deploy --format=…`
// prints, as a JSON-like tree (map[string]any, []any, string, int64, bool).
//
// Each v2 field that has a v1 counterpart is rendered the way the v1 API
// renders it: dedicated fields where v1 has them, and otherwise the
// run.googleapis.com/… and autoscaling.knative.dev/… annotations listed in
// the v1 column of the flag table. Unset fields are omitted, as apitools
// omits them. project, when non-empty, becomes metadata.namespace (the v1 API
// reports the project number there); otherwise the project segment of s.Name
// is used.
func KnativeService(s *runpb.Service, project string) map[string]any {
	proj, region, name := splitServiceName(s.GetName())
	if project == "" {
		project = proj
	}
	obj := map[string]any{
		"@type":      KnativeServiceTypeURL,
		"apiVersion": "serving.knative.dev/v1",
		"kind":       "Service",
		"metadata":   knativeServiceMetadata(s, project, region, name),
	}
	spec := map[string]any{}
	if t := s.GetTemplate(); t != nil {
		spec["template"] = knativeTemplate(t)
	}
	if tr := knativeSpecTraffic(s.GetTraffic()); tr != nil {
		spec["traffic"] = tr
	}
	obj["spec"] = spec
	obj["status"] = knativeStatus(s)
	return obj
}

// splitServiceName splits projects/P/locations/R/services/S.
func splitServiceName(name string) (project, region, service string) {
	parts := strings.Split(name, "/")
	for i := 0; i+1 < len(parts); i += 2 {
		switch parts[i] {
		case "projects":
			project = parts[i+1]
		case "locations":
			region = parts[i+1]
		case "services":
			service = parts[i+1]
		}
	}
	if service == "" && len(parts) > 0 {
		service = parts[len(parts)-1]
	}
	return project, region, service
}

// lastSegment returns the last path segment of a resource name.
func lastSegment(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}

func knativeServiceMetadata(s *runpb.Service, project, region, name string) map[string]any {
	md := map[string]any{"name": name}
	putKString(md, "namespace", project)
	if project != "" && name != "" {
		md["selfLink"] = "/apis/serving.knative.dev/v1/namespaces/" + project + "/services/" + name
	}
	putKString(md, "uid", s.GetUid())
	if g := s.GetGeneration(); g != 0 {
		md["generation"] = g
	}
	putKString(md, "resourceVersion", strings.Trim(s.GetEtag(), `"`))
	putKTime(md, "creationTimestamp", s.GetCreateTime())
	putKTime(md, "deletionTimestamp", s.GetDeleteTime())

	labels := copyKStrings(s.GetLabels())
	if region != "" {
		labels["cloud.googleapis.com/location"] = region
	}
	putKMap(md, "labels", labels)

	ann := copyKStrings(s.GetAnnotations())
	putKString(ann, "serving.knative.dev/creator", s.GetCreator())
	putKString(ann, "serving.knative.dev/lastModifier", s.GetLastModifier())
	putKString(ann, "run.googleapis.com/client-name", s.GetClient())
	putKString(ann, "run.googleapis.com/client-version", s.GetClientVersion())
	putKString(ann, "run.googleapis.com/description", s.GetDescription())
	if in := knativeIngress(s.GetIngress()); in != "" {
		ann["run.googleapis.com/ingress"] = in
		ann["run.googleapis.com/ingress-status"] = in
	}
	if ls := s.GetLaunchStage(); ls != api.LaunchStage_LAUNCH_STAGE_UNSPECIFIED && ls != api.LaunchStage_GA {
		ann["run.googleapis.com/launch-stage"] = ls.String()
	}
	if ba := s.GetBinaryAuthorization(); ba != nil {
		switch {
		case ba.GetUseDefault():
			ann["run.googleapis.com/binary-authorization"] = "default"
		case ba.GetPolicy() != "":
			ann["run.googleapis.com/binary-authorization"] = ba.GetPolicy()
		}
		putKString(ann, "run.googleapis.com/binary-authorization-breakglass", ba.GetBreakglassJustification())
	}
	if aud := s.GetCustomAudiences(); len(aud) > 0 {
		ann["run.googleapis.com/custom-audiences"] = compactJSON(aud)
	}
	if s.GetDefaultUriDisabled() {
		ann["run.googleapis.com/default-url-disabled"] = "true"
	}
	if s.GetInvokerIamDisabled() {
		ann["run.googleapis.com/invoker-iam-disabled"] = "true"
	}
	if s.GetIapEnabled() {
		ann["run.googleapis.com/iap-enabled"] = "true"
	}
	if sc := s.GetScaling(); sc != nil {
		switch sc.GetScalingMode() {
		case runpb.ServiceScaling_AUTOMATIC:
			ann["run.googleapis.com/scalingMode"] = "automatic"
		case runpb.ServiceScaling_MANUAL:
			ann["run.googleapis.com/scalingMode"] = "manual"
		}
		if sc.ManualInstanceCount != nil {
			ann["run.googleapis.com/manualInstanceCount"] = strconv.Itoa(int(sc.GetManualInstanceCount()))
		}
		if n := sc.GetMinInstanceCount(); n > 0 {
			ann["run.googleapis.com/minScale"] = strconv.Itoa(int(n))
		}
		if n := sc.GetMaxInstanceCount(); n > 0 {
			ann["run.googleapis.com/maxScale"] = strconv.Itoa(int(n))
		}
	}
	if mr := s.GetMultiRegionSettings(); mr != nil && len(mr.GetRegions()) > 0 {
		ann["run.googleapis.com/regions"] = strings.Join(mr.GetRegions(), ",")
	}
	if u := s.GetUrls(); len(u) > 0 {
		ann["run.googleapis.com/urls"] = compactJSON(u)
	}
	putKMap(md, "annotations", ann)
	return md
}

// knativeIngress maps the v2 ingress enum to the v1 annotation value.
func knativeIngress(in runpb.IngressTraffic) string {
	switch in {
	case runpb.IngressTraffic_INGRESS_TRAFFIC_ALL:
		return "all"
	case runpb.IngressTraffic_INGRESS_TRAFFIC_INTERNAL_ONLY:
		return "internal"
	case runpb.IngressTraffic_INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER:
		return "internal-and-cloud-load-balancing"
	case runpb.IngressTraffic_INGRESS_TRAFFIC_NONE:
		return "none"
	}
	return ""
}

// ingressContainer is the container that carries the revision-wide CPU
// settings in v1: the one with ports, else the first.
func ingressContainer(cs []*runpb.Container) *runpb.Container {
	for _, c := range cs {
		if len(c.GetPorts()) > 0 {
			return c
		}
	}
	if len(cs) > 0 {
		return cs[0]
	}
	return nil
}

func knativeTemplate(t *runpb.RevisionTemplate) map[string]any {
	md := map[string]any{}
	putKString(md, "name", t.GetRevision())
	putKMap(md, "labels", copyKStrings(t.GetLabels()))

	ann := copyKStrings(t.GetAnnotations())
	if sc := t.GetScaling(); sc != nil {
		if n := sc.GetMinInstanceCount(); n > 0 {
			ann["autoscaling.knative.dev/minScale"] = strconv.Itoa(int(n))
		}
		if n := sc.GetMaxInstanceCount(); n > 0 {
			ann["autoscaling.knative.dev/maxScale"] = strconv.Itoa(int(n))
		}
	}
	switch t.GetExecutionEnvironment() {
	case runpb.ExecutionEnvironment_EXECUTION_ENVIRONMENT_GEN1:
		ann["run.googleapis.com/execution-environment"] = "gen1"
	case runpb.ExecutionEnvironment_EXECUTION_ENVIRONMENT_GEN2:
		ann["run.googleapis.com/execution-environment"] = "gen2"
	}
	if c := ingressContainer(t.GetContainers()); c != nil && c.GetResources() != nil {
		r := c.GetResources()
		ann["run.googleapis.com/cpu-throttling"] = strconv.FormatBool(r.GetCpuIdle())
		if r.GetStartupCpuBoost() {
			ann["run.googleapis.com/startup-cpu-boost"] = "true"
		}
	}
	if vpc := t.GetVpcAccess(); vpc != nil {
		putKString(ann, "run.googleapis.com/vpc-access-connector", vpc.GetConnector())
		switch vpc.GetEgress() {
		case runpb.VpcAccess_ALL_TRAFFIC:
			ann["run.googleapis.com/vpc-access-egress"] = "all-traffic"
		case runpb.VpcAccess_PRIVATE_RANGES_ONLY:
			ann["run.googleapis.com/vpc-access-egress"] = "private-ranges-only"
		}
		if nis := vpc.GetNetworkInterfaces(); len(nis) > 0 {
			list := make([]map[string]any, 0, len(nis))
			for _, ni := range nis {
				m := map[string]any{}
				putKString(m, "network", ni.GetNetwork())
				putKString(m, "subnetwork", ni.GetSubnetwork())
				if len(ni.GetTags()) > 0 {
					m["tags"] = ni.GetTags()
				}
				list = append(list, m)
			}
			ann["run.googleapis.com/network-interfaces"] = compactJSON(list)
		}
	}
	var sqlInstances []string
	sqlVolumes := map[string]bool{}
	for _, v := range t.GetVolumes() {
		if sql := v.GetCloudSqlInstance(); sql != nil {
			sqlVolumes[v.GetName()] = true
			sqlInstances = append(sqlInstances, sql.GetInstances()...)
		}
	}
	if len(sqlInstances) > 0 {
		ann["run.googleapis.com/cloudsql-instances"] = strings.Join(sqlInstances, ",")
	}
	putKString(ann, "run.googleapis.com/encryption-key", t.GetEncryptionKey())
	switch t.GetEncryptionKeyRevocationAction() {
	case runpb.EncryptionKeyRevocationAction_PREVENT_NEW:
		ann["run.googleapis.com/post-key-revocation-action-type"] = "prevent-new"
	case runpb.EncryptionKeyRevocationAction_SHUTDOWN:
		ann["run.googleapis.com/post-key-revocation-action-type"] = "shut-down"
	}
	if d := t.GetEncryptionKeyShutdownDuration(); d != nil {
		ann["run.googleapis.com/encryption-key-shutdown-hours"] = strconv.FormatInt(d.GetSeconds()/3600, 10)
	}
	if t.GetSessionAffinity() {
		ann["run.googleapis.com/sessionAffinity"] = "true"
	}
	if t.GetHealthCheckDisabled() {
		ann["run.googleapis.com/health-check-disabled"] = "true"
	}
	if t.GpuZonalRedundancyDisabled != nil {
		ann["run.googleapis.com/gpu-zonal-redundancy-disabled"] = strconv.FormatBool(t.GetGpuZonalRedundancyDisabled())
	}
	deps := map[string][]string{}
	bases := map[string]string{}
	for _, c := range t.GetContainers() {
		if len(c.GetDependsOn()) > 0 {
			deps[c.GetName()] = c.GetDependsOn()
		}
		if c.GetBaseImageUri() != "" {
			bases[c.GetName()] = c.GetBaseImageUri()
		}
	}
	if len(deps) > 0 {
		ann["run.googleapis.com/container-dependencies"] = compactJSON(deps)
	}
	if len(bases) > 0 {
		ann["run.googleapis.com/base-images"] = compactJSON(bases)
	}
	if m := t.GetServiceMesh(); m != nil && m.GetMesh() != "" {
		ann["run.googleapis.com/mesh"] = m.GetMesh()
	}
	putKMap(md, "annotations", ann)

	spec := map[string]any{}
	if n := t.GetMaxInstanceRequestConcurrency(); n > 0 {
		spec["containerConcurrency"] = int64(n)
	}
	if d := t.GetTimeout(); d != nil {
		spec["timeoutSeconds"] = d.GetSeconds()
	}
	putKString(spec, "serviceAccountName", t.GetServiceAccount())
	if ns := t.GetNodeSelector(); ns != nil && ns.GetAccelerator() != "" {
		spec["nodeSelector"] = map[string]any{"run.googleapis.com/accelerator": ns.GetAccelerator()}
	}
	if len(bases) > 0 {
		spec["runtimeClassName"] = "run.googleapis.com/linux-base-image-update"
	}
	if cs := t.GetContainers(); len(cs) > 0 {
		list := make([]any, 0, len(cs))
		for _, c := range cs {
			list = append(list, knativeContainer(c, sqlVolumes))
		}
		spec["containers"] = list
	}
	var vols []any
	for _, v := range t.GetVolumes() {
		if kv := knativeVolume(v); kv != nil {
			vols = append(vols, kv)
		}
	}
	if len(vols) > 0 {
		spec["volumes"] = vols
	}

	out := map[string]any{}
	putKMap(out, "metadata", md)
	if len(md) == 0 {
		out["metadata"] = map[string]any{}
	}
	out["spec"] = spec
	return out
}

func knativeContainer(c *runpb.Container, sqlVolumes map[string]bool) map[string]any {
	m := map[string]any{}
	putKString(m, "name", c.GetName())
	putKString(m, "image", c.GetImage())
	putKStrings(m, "command", c.GetCommand())
	putKStrings(m, "args", c.GetArgs())
	putKString(m, "workingDir", c.GetWorkingDir())
	if env := c.GetEnv(); len(env) > 0 {
		list := make([]any, 0, len(env))
		for _, e := range env {
			ev := map[string]any{"name": e.GetName()}
			if ref := e.GetValueSource().GetSecretKeyRef(); ref != nil {
				sk := map[string]any{}
				putKString(sk, "name", ref.GetSecret())
				putKString(sk, "key", ref.GetVersion())
				ev["valueFrom"] = map[string]any{"secretKeyRef": sk}
			} else {
				putKString(ev, "value", e.GetValue())
			}
			list = append(list, ev)
		}
		m["env"] = list
	}
	if ports := c.GetPorts(); len(ports) > 0 {
		list := make([]any, 0, len(ports))
		for _, p := range ports {
			pm := map[string]any{}
			putKString(pm, "name", p.GetName())
			if p.GetContainerPort() != 0 {
				pm["containerPort"] = int64(p.GetContainerPort())
			}
			list = append(list, pm)
		}
		m["ports"] = list
	}
	if r := c.GetResources(); r != nil && len(r.GetLimits()) > 0 {
		m["resources"] = map[string]any{"limits": copyKStrings(r.GetLimits())}
	}
	var mounts []any
	for _, vm := range c.GetVolumeMounts() {
		if sqlVolumes[vm.GetName()] {
			continue // v1 expresses Cloud SQL through an annotation
		}
		mm := map[string]any{}
		putKString(mm, "name", vm.GetName())
		putKString(mm, "mountPath", vm.GetMountPath())
		putKString(mm, "subPath", vm.GetSubPath())
		mounts = append(mounts, mm)
	}
	if len(mounts) > 0 {
		m["volumeMounts"] = mounts
	}
	putProbe(m, "startupProbe", c.GetStartupProbe())
	putProbe(m, "livenessProbe", c.GetLivenessProbe())
	putProbe(m, "readinessProbe", c.GetReadinessProbe())
	return m
}

func putProbe(m map[string]any, key string, p *runpb.Probe) {
	if p == nil {
		return
	}
	pm := map[string]any{}
	putKInt(pm, "initialDelaySeconds", p.GetInitialDelaySeconds())
	putKInt(pm, "timeoutSeconds", p.GetTimeoutSeconds())
	putKInt(pm, "periodSeconds", p.GetPeriodSeconds())
	putKInt(pm, "failureThreshold", p.GetFailureThreshold())
	switch {
	case p.GetHttpGet() != nil:
		h := p.GetHttpGet()
		hm := map[string]any{}
		putKString(hm, "path", h.GetPath())
		putKInt(hm, "port", h.GetPort())
		if hs := h.GetHttpHeaders(); len(hs) > 0 {
			list := make([]any, 0, len(hs))
			for _, hh := range hs {
				x := map[string]any{"name": hh.GetName()}
				putKString(x, "value", hh.GetValue())
				list = append(list, x)
			}
			hm["httpHeaders"] = list
		}
		pm["httpGet"] = hm
	case p.GetTcpSocket() != nil:
		tm := map[string]any{}
		putKInt(tm, "port", p.GetTcpSocket().GetPort())
		pm["tcpSocket"] = tm
	case p.GetGrpc() != nil:
		gm := map[string]any{}
		putKInt(gm, "port", p.GetGrpc().GetPort())
		putKString(gm, "service", p.GetGrpc().GetService())
		pm["grpc"] = gm
	}
	m[key] = pm
}

// knativeVolume renders a v2 volume as a v1 volume; Cloud SQL volumes have
// no v1 volume (they are the cloudsql-instances annotation) and give nil.
func knativeVolume(v *runpb.Volume) map[string]any {
	m := map[string]any{"name": v.GetName()}
	switch {
	case v.GetSecret() != nil:
		sv := v.GetSecret()
		sm := map[string]any{}
		putKString(sm, "secretName", sv.GetSecret())
		putKInt(sm, "defaultMode", sv.GetDefaultMode())
		if items := sv.GetItems(); len(items) > 0 {
			list := make([]any, 0, len(items))
			for _, it := range items {
				im := map[string]any{}
				putKString(im, "key", it.GetVersion())
				putKString(im, "path", it.GetPath())
				putKInt(im, "mode", it.GetMode())
				list = append(list, im)
			}
			sm["items"] = list
		}
		m["secret"] = sm
	case v.GetEmptyDir() != nil:
		ed := v.GetEmptyDir()
		em := map[string]any{}
		if ed.GetMedium() == runpb.EmptyDirVolumeSource_MEMORY {
			em["medium"] = "Memory"
		}
		putKString(em, "sizeLimit", ed.GetSizeLimit())
		m["emptyDir"] = em
	case v.GetGcs() != nil:
		g := v.GetGcs()
		attrs := map[string]any{"bucketName": g.GetBucket()}
		if len(g.GetMountOptions()) > 0 {
			attrs["mountOptions"] = strings.Join(g.GetMountOptions(), ",")
		}
		m["csi"] = map[string]any{
			"driver":           "gcsfuse.run.googleapis.com",
			"readOnly":         g.GetReadOnly(),
			"volumeAttributes": attrs,
		}
	case v.GetNfs() != nil:
		n := v.GetNfs()
		nm := map[string]any{"readOnly": n.GetReadOnly()}
		putKString(nm, "server", n.GetServer())
		putKString(nm, "path", n.GetPath())
		m["nfs"] = nm
	case v.GetCloudSqlInstance() != nil:
		return nil
	}
	return m
}

func knativeSpecTraffic(tt []*runpb.TrafficTarget) []any {
	if len(tt) == 0 {
		return nil
	}
	list := make([]any, 0, len(tt))
	for _, t := range tt {
		m := map[string]any{}
		if t.GetType() == runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST {
			m["latestRevision"] = true
		} else {
			putKString(m, "revisionName", lastSegment(t.GetRevision()))
		}
		putKInt(m, "percent", t.GetPercent())
		putKString(m, "tag", t.GetTag())
		list = append(list, m)
	}
	return list
}

func knativeStatus(s *runpb.Service) map[string]any {
	st := map[string]any{}
	if g := s.GetObservedGeneration(); g != 0 {
		st["observedGeneration"] = g
	}
	var conds []any
	if tc := s.GetTerminalCondition(); tc != nil {
		conds = append(conds, knativeCondition(tc, "Ready"))
	}
	for _, c := range s.GetConditions() {
		conds = append(conds, knativeCondition(c, ""))
	}
	if len(conds) > 0 {
		st["conditions"] = conds
	}
	latestReady := lastSegment(s.GetLatestReadyRevision())
	putKString(st, "latestReadyRevisionName", latestReady)
	putKString(st, "latestCreatedRevisionName", lastSegment(s.GetLatestCreatedRevision()))
	if ts := s.GetTrafficStatuses(); len(ts) > 0 {
		list := make([]any, 0, len(ts))
		for _, t := range ts {
			m := map[string]any{}
			rev := lastSegment(t.GetRevision())
			if t.GetType() == runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST {
				m["latestRevision"] = true
				if rev == "" {
					rev = latestReady
				}
			}
			putKString(m, "revisionName", rev)
			putKInt(m, "percent", t.GetPercent())
			putKString(m, "tag", t.GetTag())
			putKString(m, "url", t.GetUri())
			list = append(list, m)
		}
		st["traffic"] = list
	}
	if u := s.GetUri(); u != "" {
		st["url"] = u
		st["address"] = map[string]any{"url": u}
	}
	return st
}

// knativeCondition maps a v2 Condition to a v1 condition. typ overrides the
// condition type (the v2 terminal condition is v1's "Ready").
func knativeCondition(c *runpb.Condition, typ string) map[string]any {
	if typ == "" {
		typ = c.GetType()
	}
	m := map[string]any{"type": typ}
	switch c.GetState() {
	case runpb.Condition_CONDITION_SUCCEEDED:
		m["status"] = "True"
	case runpb.Condition_CONDITION_FAILED:
		m["status"] = "False"
	default:
		m["status"] = "Unknown"
	}
	putKString(m, "message", c.GetMessage())
	putKTime(m, "lastTransitionTime", c.GetLastTransitionTime())
	switch c.GetSeverity() {
	case runpb.Condition_ERROR:
		m["severity"] = "Error"
	case runpb.Condition_WARNING:
		m["severity"] = "Warning"
	case runpb.Condition_INFO:
		m["severity"] = "Info"
	}
	var reason string
	switch r := c.GetReasons().(type) {
	case *runpb.Condition_Reason:
		if r.Reason != runpb.Condition_COMMON_REASON_UNDEFINED {
			reason = r.Reason.String()
		}
	case *runpb.Condition_RevisionReason_:
		if r.RevisionReason != runpb.Condition_REVISION_REASON_UNDEFINED {
			reason = r.RevisionReason.String()
		}
	case *runpb.Condition_ExecutionReason_:
		if r.ExecutionReason != runpb.Condition_EXECUTION_REASON_UNDEFINED {
			reason = r.ExecutionReason.String()
		}
	}
	putKString(m, "reason", camelReason(reason))
	return m
}

// camelReason turns a v2 reason enum name (REVISION_FAILED) into the v1
// CamelCase reason (RevisionFailed).
func camelReason(s string) string {
	var b strings.Builder
	for _, w := range strings.Split(strings.ToLower(s), "_") {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

func putKString(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

func putKStrings(m map[string]any, k string, v []string) {
	if len(v) > 0 {
		list := make([]any, len(v))
		for i, s := range v {
			list[i] = s
		}
		m[k] = list
	}
}

func putKInt(m map[string]any, k string, v int32) {
	if v != 0 {
		m[k] = int64(v)
	}
}

func putKMap(m map[string]any, k string, v map[string]any) {
	if len(v) > 0 {
		m[k] = v
	}
}

func putKTime(m map[string]any, k string, t *timestamppb.Timestamp) {
	if t != nil {
		m[k] = t.AsTime().UTC().Format(knativeTimeLayout)
	}
}

func copyKStrings(in map[string]string) map[string]any {
	out := make(map[string]any, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// compactJSON renders v as the v1 API renders JSON-valued annotations:
// compact, no HTML escaping.
func compactJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only strings, slices and maps of them reach here.
		panic("deploy: compactJSON: " + err.Error())
	}
	return strings.TrimSuffix(buf.String(), "\n")
}
