package parity

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/protobuf/encoding/protojson"
)

// FromV2 normalises a Cloud Run Admin API v2 Service body (protojson as the
// REST client sends it: numeric or named enums, unknown fields ignored).
func FromV2(body []byte, t Target) (Model, error) {
	s := &runpb.Service{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, s); err != nil {
		return nil, fmt.Errorf("decode v2 service: %w", err)
	}
	return FromV2Service(s, t), nil
}

var ingressNames = map[runpb.IngressTraffic]string{
	runpb.IngressTraffic_INGRESS_TRAFFIC_ALL:                    "all",
	runpb.IngressTraffic_INGRESS_TRAFFIC_INTERNAL_ONLY:          "internal",
	runpb.IngressTraffic_INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER: "internal-and-cloud-load-balancing",
}

// FromV2Service normalises a decoded v2 Service.
func FromV2Service(s *runpb.Service, t Target) Model {
	m := Model{}
	for k, v := range s.GetLabels() {
		m.set("svc.labels."+k, "="+v)
	}
	for k, v := range s.GetAnnotations() {
		if ignoredAnnotations[k] {
			continue
		}
		m.set("svc.ann."+k, "="+v)
	}
	if s.GetIngress() != runpb.IngressTraffic_INGRESS_TRAFFIC_UNSPECIFIED {
		n, ok := ingressNames[s.GetIngress()]
		if !ok {
			n = s.GetIngress().String()
		}
		m.set("svc.ingress", n)
	}
	m.set("svc.description", s.GetDescription())
	if sc := s.GetScaling(); sc != nil {
		m.setInt("svc.scaling.min", int64(sc.GetMinInstanceCount()))
		m.setInt("svc.scaling.max", int64(sc.GetMaxInstanceCount()))
		switch sc.GetScalingMode() {
		case runpb.ServiceScaling_AUTOMATIC:
			m.set("svc.scaling.mode", "automatic")
		case runpb.ServiceScaling_MANUAL:
			m.set("svc.scaling.mode", "manual")
		}
		if sc.ManualInstanceCount != nil {
			m.set("svc.scaling.manual", strconv.Itoa(int(sc.GetManualInstanceCount())))
		}
	}
	if ba := s.GetBinaryAuthorization(); ba != nil {
		switch {
		case ba.GetUseDefault():
			m.set("svc.binauthz", "default")
		case ba.GetPolicy() != "":
			m.set("svc.binauthz", "policy:"+ba.GetPolicy())
		}
		m.set("svc.binauthz.breakglass", ba.GetBreakglassJustification())
	}
	m.set("svc.custom-audiences", list(s.GetCustomAudiences()))
	m.setBool("svc.default-url-disabled", s.GetDefaultUriDisabled())
	m.setBool("svc.invoker-iam-disabled", s.GetInvokerIamDisabled())
	m.setBool("svc.iap", s.GetIapEnabled())
	if r := s.GetMultiRegionSettings().GetRegions(); len(r) > 0 {
		m.set("svc.regions", strings.Join(r, ","))
	}

	tm := s.GetTemplate()
	m.templateLabels(tm.GetLabels())
	for k, v := range tm.GetAnnotations() {
		if ignoredAnnotations[k] {
			continue
		}
		m.set("tmpl.ann."+k, "="+v)
	}
	m.set("tmpl.revision", maskRevision(tm.GetRevision()))
	if sc := tm.GetScaling(); sc != nil {
		m.setInt("tmpl.scaling.min", int64(sc.GetMinInstanceCount()))
		m.setInt("tmpl.scaling.max", int64(sc.GetMaxInstanceCount()))
	}
	m.setInt("tmpl.concurrency", int64(tm.GetMaxInstanceRequestConcurrency()))
	if tm.GetTimeout() != nil {
		m.setInt("tmpl.timeout", int64(tm.GetTimeout().AsDuration().Seconds()))
	}
	m.set("tmpl.service-account", tm.GetServiceAccount())
	m.set("tmpl.accelerator", tm.GetNodeSelector().GetAccelerator())
	if tm != nil && tm.GpuZonalRedundancyDisabled != nil {
		m.setBool("tmpl.gpu-zonal-redundancy-disabled", tm.GetGpuZonalRedundancyDisabled())
	}
	m.setBool("tmpl.health-check-disabled", tm.GetHealthCheckDisabled())
	m.setBool("tmpl.session-affinity", tm.GetSessionAffinity())
	switch tm.GetExecutionEnvironment() {
	case runpb.ExecutionEnvironment_EXECUTION_ENVIRONMENT_GEN1:
		m.set("tmpl.execution-environment", "gen1")
	case runpb.ExecutionEnvironment_EXECUTION_ENVIRONMENT_GEN2:
		m.set("tmpl.execution-environment", "gen2")
	}
	m.set("tmpl.encryption-key", tm.GetEncryptionKey())
	switch tm.GetEncryptionKeyRevocationAction() {
	case runpb.EncryptionKeyRevocationAction_PREVENT_NEW:
		m.set("tmpl.encryption-key-revocation", "prevent-new")
	case runpb.EncryptionKeyRevocationAction_SHUTDOWN:
		m.set("tmpl.encryption-key-revocation", "shut-down")
	}
	if d := tm.GetEncryptionKeyShutdownDuration(); d != nil {
		m.setInt("tmpl.encryption-key-shutdown", int64(d.AsDuration().Seconds()))
	}
	if va := tm.GetVpcAccess(); va != nil {
		m.set("tmpl.vpc.connector", shortConnector(va.GetConnector(), t))
		switch va.GetEgress() {
		case runpb.VpcAccess_ALL_TRAFFIC:
			m.set("tmpl.vpc.egress", "all-traffic")
		case runpb.VpcAccess_PRIVATE_RANGES_ONLY:
			m.set("tmpl.vpc.egress", "private-ranges-only")
		}
		for i, ni := range va.GetNetworkInterfaces() {
			p := fmt.Sprintf("tmpl.vpc.ni[%d].", i)
			m.set(p+"network", ni.GetNetwork())
			m.set(p+"subnetwork", ni.GetSubnetwork())
			m.set(p+"tags", list(ni.GetTags()))
			if ni.GetNetwork() == "" && ni.GetSubnetwork() == "" && len(ni.GetTags()) == 0 {
				m.set(p+"empty", "true")
			}
		}
	}

	// Cloud SQL volumes are the v1 annotation; their /cloudsql mounts are
	// implicit in v1.
	sqlVolumes := map[string]bool{}
	var sql []string
	var vols []volume
	for _, v := range tm.GetVolumes() {
		if cs := v.GetCloudSqlInstance(); cs != nil {
			sqlVolumes[v.GetName()] = true
			for _, x := range cs.GetInstances() {
				sql = append(sql, fullInstance(x, t))
			}
			continue
		}
		vols = append(vols, volume{v.GetName(), v2VolumeDesc(v)})
	}
	m.set("tmpl.cloudsql", list(sql))

	var names []string
	ingress := ""
	sqlMounted := false
	mounts := map[string][][2]string{}
	for _, c := range tm.GetContainers() {
		if len(c.GetPorts()) > 0 || len(tm.GetContainers()) == 1 {
			if ingress == "" {
				ingress = c.GetName()
			}
		}
	}
	for _, c := range tm.GetContainers() {
		n := c.GetName()
		names = append(names, n)
		p := "ctr[" + n + "]."
		m.set(p+"image", c.GetImage())
		m.set(p+"command", list(c.GetCommand()))
		m.set(p+"args", list(c.GetArgs()))
		for _, e := range c.GetEnv() {
			if ref := e.GetValueSource().GetSecretKeyRef(); ref != nil {
				m.set(p+"env."+e.GetName(), "secret:"+ref.GetSecret()+":"+ref.GetVersion())
			} else {
				m.set(p+"env."+e.GetName(), "="+e.GetValue())
			}
		}
		if ports := c.GetPorts(); len(ports) > 0 {
			m.setInt(p+"port", int64(ports[0].GetContainerPort()))
			m.set(p+"port-name", ports[0].GetName())
			if ports[0].GetContainerPort() == 0 && ports[0].GetName() == "" {
				m.set(p+"port", "empty")
			}
		}
		if r := c.GetResources(); r != nil {
			for k, v := range r.GetLimits() {
				m.set(p+"limits."+k, v)
			}
			if n == ingress {
				m.set("tmpl.cpu-throttling", strconv.FormatBool(r.GetCpuIdle()))
				m.setBool("tmpl.cpu-boost", r.GetStartupCpuBoost())
			}
		}
		m.set(p+"startup-probe", v2ProbeModel(c.GetStartupProbe()).String())
		m.set(p+"liveness-probe", v2ProbeModel(c.GetLivenessProbe()).String())
		m.set(p+"readiness-probe", v2ProbeModel(c.GetReadinessProbe()).String())
		for _, vm := range c.GetVolumeMounts() {
			if sqlVolumes[vm.GetName()] && vm.GetMountPath() == "/cloudsql" {
				if n == ingress {
					sqlMounted = true
				}
				continue
			}
			mounts[n] = append(mounts[n], [2]string{vm.GetName(), vm.GetMountPath()})
		}
		m.set(p+"workdir", c.GetWorkingDir())
		if d := c.GetDependsOn(); len(d) > 0 {
			d = append([]string(nil), d...)
			sort.Strings(d)
			m.set(p+"depends-on", list(d))
		}
		m.set(p+"base-image", c.GetBaseImageUri())
	}
	if len(sqlVolumes) > 0 && !sqlMounted {
		// v1 exposes the Cloud SQL sockets at /cloudsql of the ingress
		// container; without the mount v2 does not.
		m.set("tmpl.cloudsql.mount", "missing")
	}
	m.set("tmpl.containers", strings.Join(names, ","))
	if len(tm.GetContainers()) > 0 {
		// Kept even when empty: the unnamed primary container is "".
		m["tmpl.ingress-container"] = ingress
	}
	m.addVolumes(vols, mounts)

	var traffic []trafficEntry
	for _, tr := range s.GetTraffic() {
		traffic = append(traffic, trafficEntry{
			latest:   tr.GetType() == runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST,
			revision: tr.GetRevision(), percent: int64(tr.GetPercent()), tag: tr.GetTag(),
		})
	}
	m.set("traffic", trafficString(traffic))
	return m
}

func v2ProbeModel(p *runpb.Probe) *probe {
	if p == nil {
		return nil
	}
	out := &probe{initialDelay: int64(p.GetInitialDelaySeconds()), timeout: int64(p.GetTimeoutSeconds()),
		period: int64(p.GetPeriodSeconds()), failure: int64(p.GetFailureThreshold())}
	switch {
	case p.GetHttpGet() != nil:
		out.kind, out.path, out.port = "httpGet", p.GetHttpGet().GetPath(), int64(p.GetHttpGet().GetPort())
	case p.GetTcpSocket() != nil:
		out.kind, out.port = "tcpSocket", int64(p.GetTcpSocket().GetPort())
	case p.GetGrpc() != nil:
		out.kind, out.port, out.service = "grpc", int64(p.GetGrpc().GetPort()), p.GetGrpc().GetService()
	default:
		out.kind = "none"
	}
	return out
}

func v2VolumeDesc(v *runpb.Volume) string {
	switch {
	case v.GetSecret() != nil:
		sv := v.GetSecret()
		var items []string
		for _, it := range sv.GetItems() {
			s := it.GetPath() + ":" + it.GetVersion()
			if it.GetMode() != 0 {
				s += fmt.Sprintf(":mode=%d", it.GetMode())
			}
			items = append(items, s)
		}
		sort.Strings(items)
		d := "secret:" + sv.GetSecret() + " items=" + strings.Join(items, ",")
		if sv.GetDefaultMode() != 0 {
			d += fmt.Sprintf(" mode=%d", sv.GetDefaultMode())
		}
		return d
	case v.GetEmptyDir() != nil:
		medium := "disk"
		if v.GetEmptyDir().GetMedium() == runpb.EmptyDirVolumeSource_MEMORY {
			medium = "in-memory"
		}
		if v.GetEmptyDir().GetMedium() == runpb.EmptyDirVolumeSource_MEDIUM_UNSPECIFIED {
			medium = ""
		}
		return fmt.Sprintf("emptyDir:%s size=%s", medium, v.GetEmptyDir().GetSizeLimit())
	case v.GetGcs() != nil:
		g := v.GetGcs()
		return fmt.Sprintf("gcs bucket=%s ro=%t opts=%s", g.GetBucket(), g.GetReadOnly(), strings.Join(g.GetMountOptions(), ","))
	case v.GetNfs() != nil:
		n := v.GetNfs()
		return fmt.Sprintf("nfs server=%s path=%s ro=%t", n.GetServer(), n.GetPath(), n.GetReadOnly())
	}
	return "unknown"
}
