package parity

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The slice of the Cloud Run Admin API v1 (Knative serving.knative.dev/v1)
// Service that gcloud run deploy writes.
type v1Service struct {
	Metadata v1Meta `json:"metadata"`
	Spec     struct {
		Template struct {
			Metadata v1Meta `json:"metadata"`
			Spec     struct {
				ContainerConcurrency *int64            `json:"containerConcurrency"`
				TimeoutSeconds       *int64            `json:"timeoutSeconds"`
				ServiceAccountName   string            `json:"serviceAccountName"`
				NodeSelector         map[string]string `json:"nodeSelector"`
				Containers           []v1Container     `json:"containers"`
				Volumes              []v1Volume        `json:"volumes"`
			} `json:"spec"`
		} `json:"template"`
		Traffic []struct {
			LatestRevision *bool  `json:"latestRevision"`
			RevisionName   string `json:"revisionName"`
			Percent        int64  `json:"percent"`
			Tag            string `json:"tag"`
		} `json:"traffic"`
	} `json:"spec"`
}

type v1Meta struct {
	Name        string            `json:"name"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

type v1Container struct {
	Name    string   `json:"name"`
	Image   string   `json:"image"`
	Command []string `json:"command"`
	Args    []string `json:"args"`
	Env     []struct {
		Name      string  `json:"name"`
		Value     *string `json:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `json:"name"`
				Key  string `json:"key"`
			} `json:"secretKeyRef"`
		} `json:"valueFrom"`
	} `json:"env"`
	Ports []struct {
		Name          string `json:"name"`
		ContainerPort int64  `json:"containerPort"`
	} `json:"ports"`
	Resources struct {
		Limits map[string]string `json:"limits"`
	} `json:"resources"`
	StartupProbe   *v1Probe `json:"startupProbe"`
	LivenessProbe  *v1Probe `json:"livenessProbe"`
	ReadinessProbe *v1Probe `json:"readinessProbe"`
	VolumeMounts   []struct {
		Name      string `json:"name"`
		MountPath string `json:"mountPath"`
	} `json:"volumeMounts"`
	WorkingDir string `json:"workingDir"`
}

type v1Probe struct {
	InitialDelaySeconds int64 `json:"initialDelaySeconds"`
	TimeoutSeconds      int64 `json:"timeoutSeconds"`
	PeriodSeconds       int64 `json:"periodSeconds"`
	FailureThreshold    int64 `json:"failureThreshold"`
	SuccessThreshold    int64 `json:"successThreshold"`
	HTTPGet             *struct {
		Path string `json:"path"`
		Port int64  `json:"port"`
	} `json:"httpGet"`
	TCPSocket *struct {
		Port int64 `json:"port"`
	} `json:"tcpSocket"`
	GRPC *struct {
		Port    int64  `json:"port"`
		Service string `json:"service"`
	} `json:"grpc"`
}

type v1Volume struct {
	Name   string `json:"name"`
	Secret *struct {
		SecretName  string `json:"secretName"`
		DefaultMode int64  `json:"defaultMode"`
		Items       []struct {
			Key  string `json:"key"`
			Path string `json:"path"`
			Mode int64  `json:"mode"`
		} `json:"items"`
	} `json:"secret"`
	EmptyDir *struct {
		Medium    string `json:"medium"`
		SizeLimit string `json:"sizeLimit"`
	} `json:"emptyDir"`
	CSI *struct {
		Driver           string            `json:"driver"`
		ReadOnly         bool              `json:"readOnly"`
		VolumeAttributes map[string]string `json:"volumeAttributes"`
	} `json:"csi"`
	NFS *struct {
		Server   string `json:"server"`
		Path     string `json:"path"`
		ReadOnly bool   `json:"readOnly"`
	} `json:"nfs"`
}

// Target is where a request deploys: used to canonicalise values either API
// may spell in short or long form (connectors, Cloud SQL instances).
type Target struct{ Project, Region string }

const (
	runAnn  = "run.googleapis.com/"
	nonceLb = "client.knative.dev/nonce"
)

// ignoredAnnotations carry client identity or server state, not settings.
var ignoredAnnotations = map[string]bool{
	runAnn + "client-name":             true,
	runAnn + "client-version":          true,
	runAnn + "operation-id":            true,
	runAnn + "launch-stage":            true,
	runAnn + "secrets":                 true, // resolved into the secret references
	"serving.knative.dev/creator":      true,
	"serving.knative.dev/lastModifier": true,
}

// FromV1 normalises a v1 Knative Service body (gcloud's POST or PUT).
func FromV1(body []byte, t Target) (Model, error) {
	var s v1Service
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, fmt.Errorf("decode v1 service: %w", err)
	}
	m := Model{}
	sa := s.Metadata.Annotations
	for k, v := range s.Metadata.Labels {
		m.set("svc.labels."+k, "="+v)
	}
	for k, v := range sa {
		if ignoredAnnotations[k] {
			continue
		}
		switch strings.TrimPrefix(k, runAnn) {
		case "ingress":
			m.set("svc.ingress", v)
		case "description":
			m.set("svc.description", v)
		case "minScale":
			m.set("svc.scaling.min", zeroless(v))
		case "maxScale":
			m.set("svc.scaling.max", zeroless(v))
		case "scalingMode":
			m.set("svc.scaling.mode", v)
		case "manualInstanceCount":
			m.set("svc.scaling.manual", v)
		case "binary-authorization":
			if v == "default" {
				m.set("svc.binauthz", "default")
			} else {
				m.set("svc.binauthz", "policy:"+v)
			}
		case "binary-authorization-breakglass":
			m.set("svc.binauthz.breakglass", v)
		case "custom-audiences":
			var xs []string
			if err := json.Unmarshal([]byte(v), &xs); err != nil {
				return nil, fmt.Errorf("annotation %s: %w", k, err)
			}
			m.set("svc.custom-audiences", list(xs))
		case "default-url-disabled":
			m.setBool("svc.default-url-disabled", isTrue(v))
		case "invoker-iam-disabled":
			m.setBool("svc.invoker-iam-disabled", isTrue(v))
		case "iap-enabled":
			m.setBool("svc.iap", isTrue(v))
		case "regions":
			m.set("svc.regions", v)
		default:
			m.set("svc.ann."+k, "="+v)
		}
	}

	tm := s.Spec.Template.Metadata
	ts := s.Spec.Template.Spec
	ta := tm.Annotations
	m.templateLabels(tm.Labels)
	m.set("tmpl.revision", maskRevision(tm.Name))

	aliases := map[string]string{}
	if v := ta[runAnn+"secrets"]; v != "" {
		for _, pair := range strings.Split(v, ",") {
			alias, full, ok := strings.Cut(pair, ":")
			if ok {
				aliases[alias] = full
			}
		}
	}
	secretName := func(n string) string {
		if full, ok := aliases[n]; ok {
			return full
		}
		return n
	}
	var deps map[string][]string
	var bases map[string]string
	for k, v := range ta {
		if ignoredAnnotations[k] {
			continue
		}
		switch k {
		case "autoscaling.knative.dev/minScale":
			m.set("tmpl.scaling.min", zeroless(v))
			continue
		case "autoscaling.knative.dev/maxScale":
			m.set("tmpl.scaling.max", zeroless(v))
			continue
		}
		switch strings.TrimPrefix(k, runAnn) {
		case "cloudsql-instances":
			var xs []string
			for _, x := range strings.Split(v, ",") {
				if x = strings.TrimSpace(x); x != "" {
					xs = append(xs, fullInstance(x, t))
				}
			}
			m.set("tmpl.cloudsql", list(xs))
		case "cpu-throttling":
			m.set("tmpl.cpu-throttling", strconv.FormatBool(isTrue(v)))
		case "startup-cpu-boost":
			m.setBool("tmpl.cpu-boost", isTrue(v))
		case "encryption-key":
			m.set("tmpl.encryption-key", v)
		case "encryption-key-shutdown-hours":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				m.setInt("tmpl.encryption-key-shutdown", n*3600)
			} else {
				m.set("tmpl.encryption-key-shutdown", "hours:"+v)
			}
		case "post-key-revocation-action-type":
			m.set("tmpl.encryption-key-revocation", v)
		case "execution-environment":
			m.set("tmpl.execution-environment", v)
		case "gpu-zonal-redundancy-disabled":
			m.setBool("tmpl.gpu-zonal-redundancy-disabled", isTrue(v))
		case "health-check-disabled":
			m.setBool("tmpl.health-check-disabled", isTrue(v))
		case "sessionAffinity":
			m.setBool("tmpl.session-affinity", isTrue(v))
		case "vpc-access-connector":
			m.set("tmpl.vpc.connector", shortConnector(v, t))
		case "vpc-access-egress":
			if v == "all" {
				v = "all-traffic"
			}
			m.set("tmpl.vpc.egress", v)
		case "network-interfaces":
			var nis []struct {
				Network    string   `json:"network"`
				Subnetwork string   `json:"subnetwork"`
				Tags       []string `json:"tags"`
			}
			if err := json.Unmarshal([]byte(v), &nis); err != nil {
				return nil, fmt.Errorf("annotation %s: %w", k, err)
			}
			for i, ni := range nis {
				p := fmt.Sprintf("tmpl.vpc.ni[%d].", i)
				m.set(p+"network", ni.Network)
				m.set(p+"subnetwork", ni.Subnetwork)
				m.set(p+"tags", list(ni.Tags))
				if ni.Network == "" && ni.Subnetwork == "" && len(ni.Tags) == 0 {
					m.set(p+"empty", "true")
				}
			}
		case "container-dependencies":
			if err := json.Unmarshal([]byte(v), &deps); err != nil {
				return nil, fmt.Errorf("annotation %s: %w", k, err)
			}
		case "base-images":
			if err := json.Unmarshal([]byte(v), &bases); err != nil {
				return nil, fmt.Errorf("annotation %s: %w", k, err)
			}
		default:
			m.set("tmpl.ann."+k, "="+v)
		}
	}
	if ts.ContainerConcurrency != nil {
		m.setInt("tmpl.concurrency", *ts.ContainerConcurrency)
	}
	if ts.TimeoutSeconds != nil {
		m.setInt("tmpl.timeout", *ts.TimeoutSeconds)
	}
	m.set("tmpl.service-account", ts.ServiceAccountName)
	for k, v := range ts.NodeSelector {
		if k == runAnn+"accelerator" {
			m.set("tmpl.accelerator", v)
		} else {
			m.set("tmpl.node-selector."+k, v)
		}
	}

	var names []string
	ingress := ""
	mounts := map[string][][2]string{}
	for _, c := range ts.Containers {
		n := c.Name
		names = append(names, n)
		p := "ctr[" + n + "]."
		if len(c.Ports) > 0 || len(ts.Containers) == 1 {
			if ingress == "" {
				ingress = n
			}
		}
		m.set(p+"image", c.Image)
		m.set(p+"command", list(c.Command))
		m.set(p+"args", list(c.Args))
		for _, e := range c.Env {
			switch {
			case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
				m.set(p+"env."+e.Name, "secret:"+secretName(e.ValueFrom.SecretKeyRef.Name)+":"+e.ValueFrom.SecretKeyRef.Key)
			case e.Value != nil:
				m.set(p+"env."+e.Name, "="+*e.Value)
			default:
				m.set(p+"env."+e.Name, "=")
			}
		}
		if len(c.Ports) > 0 {
			m.setInt(p+"port", c.Ports[0].ContainerPort)
			m.set(p+"port-name", c.Ports[0].Name)
			if c.Ports[0].ContainerPort == 0 && c.Ports[0].Name == "" {
				m.set(p+"port", "empty")
			}
		}
		for k, v := range c.Resources.Limits {
			m.set(p+"limits."+k, v)
		}
		m.set(p+"startup-probe", v1ProbeModel(c.StartupProbe).String())
		m.set(p+"liveness-probe", v1ProbeModel(c.LivenessProbe).String())
		m.set(p+"readiness-probe", v1ProbeModel(c.ReadinessProbe).String())
		for _, vm := range c.VolumeMounts {
			mounts[n] = append(mounts[n], [2]string{vm.Name, vm.MountPath})
		}
		m.set(p+"workdir", c.WorkingDir)
		if d := deps[n]; len(d) > 0 {
			d = append([]string(nil), d...)
			sort.Strings(d)
			m.set(p+"depends-on", list(d))
		}
		m.set(p+"base-image", bases[n])
	}
	m.set("tmpl.containers", strings.Join(names, ","))
	if len(ts.Containers) > 0 {
		// Kept even when empty: the unnamed primary container is "".
		m["tmpl.ingress-container"] = ingress
	}

	var vols []volume
	for _, v := range ts.Volumes {
		vols = append(vols, volume{v.Name, v1VolumeDesc(v, secretName)})
	}
	m.addVolumes(vols, mounts)

	var traffic []trafficEntry
	for _, tr := range s.Spec.Traffic {
		traffic = append(traffic, trafficEntry{
			latest: tr.LatestRevision != nil && *tr.LatestRevision, revision: tr.RevisionName,
			percent: tr.Percent, tag: tr.Tag,
		})
	}
	m.set("traffic", trafficString(traffic))
	return m, nil
}

func v1ProbeModel(p *v1Probe) *probe {
	if p == nil {
		return nil
	}
	out := &probe{initialDelay: p.InitialDelaySeconds, timeout: p.TimeoutSeconds, period: p.PeriodSeconds,
		failure: p.FailureThreshold, success: p.SuccessThreshold}
	switch {
	case p.HTTPGet != nil:
		out.kind, out.path, out.port = "httpGet", p.HTTPGet.Path, p.HTTPGet.Port
	case p.TCPSocket != nil:
		out.kind, out.port = "tcpSocket", p.TCPSocket.Port
	case p.GRPC != nil:
		out.kind, out.port, out.service = "grpc", p.GRPC.Port, p.GRPC.Service
	default:
		out.kind = "none"
	}
	return out
}

func v1VolumeDesc(v v1Volume, secretName func(string) string) string {
	switch {
	case v.Secret != nil:
		var items []string
		for _, it := range v.Secret.Items {
			s := it.Path + ":" + it.Key
			if it.Mode != 0 {
				s += fmt.Sprintf(":mode=%d", it.Mode)
			}
			items = append(items, s)
		}
		sort.Strings(items)
		d := "secret:" + secretName(v.Secret.SecretName) + " items=" + strings.Join(items, ",")
		if v.Secret.DefaultMode != 0 {
			d += fmt.Sprintf(" mode=%d", v.Secret.DefaultMode)
		}
		return d
	case v.EmptyDir != nil:
		medium := strings.ToLower(v.EmptyDir.Medium)
		if medium == "memory" {
			medium = "in-memory"
		}
		return fmt.Sprintf("emptyDir:%s size=%s", medium, v.EmptyDir.SizeLimit)
	case v.CSI != nil:
		a := v.CSI.VolumeAttributes
		if v.CSI.Driver == "gcsfuse.run.googleapis.com" {
			return fmt.Sprintf("gcs bucket=%s ro=%t opts=%s", a["bucketName"], v.CSI.ReadOnly, a["mountOptions"])
		}
		return fmt.Sprintf("csi:%s ro=%t %v", v.CSI.Driver, v.CSI.ReadOnly, a)
	case v.NFS != nil:
		return fmt.Sprintf("nfs server=%s path=%s ro=%t", v.NFS.Server, v.NFS.Path, v.NFS.ReadOnly)
	}
	return "unknown"
}

// isTrue reads gcloud's boolean annotation values ("True", "true").
func isTrue(v string) bool { return strings.EqualFold(v, "true") }

// zeroless maps "0" to unset: a zero scale bound is the default.
func zeroless(v string) string {
	if v == "0" {
		return ""
	}
	return v
}

// shortConnector reduces a connector in the target's own project and
// region to its short name (v2 documents the long form, v1 takes either).
func shortConnector(v string, t Target) string {
	prefix := fmt.Sprintf("projects/%s/locations/%s/connectors/", t.Project, t.Region)
	return strings.TrimPrefix(v, prefix)
}

// fullInstance expands a bare Cloud SQL instance name like gcloud does.
func fullInstance(x string, t Target) string {
	if strings.Contains(x, ":") {
		return x
	}
	return t.Project + ":" + t.Region + ":" + x
}
