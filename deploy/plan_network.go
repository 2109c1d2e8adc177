package deploy

// Networking: --ingress, --vpc-connector, --vpc-egress, --clear-vpc-connector
// and Direct VPC egress (--network, --subnet, --network-tags,
// --clear-network-tags, --clear-network).

import (
	"strings"

	"cloud.google.com/go/run/apiv2/runpb"

	"github.com/rundeploy/rundeploy/wrap"
)

var ingressValues = map[string]runpb.IngressTraffic{
	"all":                               runpb.IngressTraffic_INGRESS_TRAFFIC_ALL,
	"internal":                          runpb.IngressTraffic_INGRESS_TRAFFIC_INTERNAL_ONLY,
	"internal-and-cloud-load-balancing": runpb.IngressTraffic_INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER,
}

var egressValues = map[string]runpb.VpcAccess_VpcEgress{
	"all":                 runpb.VpcAccess_ALL_TRAFFIC,
	"all-traffic":         runpb.VpcAccess_ALL_TRAFFIC,
	"private-ranges-only": runpb.VpcAccess_PRIVATE_RANGES_ONLY,
}

// applyIngress writes --ingress, only when it is given (the help's
// default="all" is never written by gcloud).
func (p *planner) applyIngress() error {
	if p.f.Ingress.Set {
		p.svc.Ingress = ingressValues[p.f.Ingress.Value]
	}
	return nil
}

func (p *planner) vpcAccess() *runpb.VpcAccess {
	t := p.tmpl()
	if t.VpcAccess == nil {
		t.VpcAccess = &runpb.VpcAccess{}
	}
	return t.VpcAccess
}

// connectorName expands a short connector name to the resource name v2
// documents (projects/P/locations/R/connectors/C); names with a slash are
// used verbatim.
func (p *planner) connectorName(c string) string {
	if strings.Contains(c, "/") {
		return c
	}
	return "projects/" + p.t.Project + "/locations/" + p.t.Region + "/connectors/" + c
}

// applyVpcConnector is VpcConnectorChange, the vpc-egress annotation change
// and ClearVpcConnectorChange, in that order (gcloud: "MUST be after
// 'vpc_egress' change").
func (p *planner) applyVpcConnector() error {
	f := p.f
	if f.VpcConnector.Set && f.VpcConnector.Value != "" {
		p.vpcAccess().Connector = p.connectorName(f.VpcConnector.Value)
	}
	if f.VpcEgress.Set {
		p.vpcAccess().Egress = egressValues[f.VpcEgress.Value]
	}
	if f.ClearVpcConnector.Set && f.ClearVpcConnector.Value {
		if va := p.tmpl().VpcAccess; va != nil {
			va.Connector = ""
			va.Egress = runpb.VpcAccess_VPC_EGRESS_UNSPECIFIED
		}
	}
	return nil
}

// validateClearVpcConnector is resource_change_validators.
// ValidateClearVpcConnector: removing the connector of an existing service
// whose egress is all-traffic needs a confirmation.
func (p *planner) validateClearVpcConnector() error {
	f := p.f
	if p.existing == nil || !f.ClearVpcConnector.Set || !f.ClearVpcConnector.Value {
		return nil
	}
	var egress string
	switch {
	case f.VpcEgress.Set:
		egress = f.VpcEgress.Value
	case p.existing.GetTemplate().GetVpcAccess().GetEgress() == runpb.VpcAccess_ALL_TRAFFIC:
		egress = "all-traffic"
	case p.existing.GetTemplate().GetVpcAccess().GetEgress() == runpb.VpcAccess_PRIVATE_RANGES_ONLY:
		egress = "private-ranges-only"
	default:
		return nil
	}
	if egress != "all" && egress != "all-traffic" {
		return nil
	}
	if p.o.Confirm == nil {
		return wrap.ValueErrorf("Cannot remove VPC connector with VPC egress set to \"%s\". Set `--vpc-egress=private-ranges-only` "+
			"or run this command interactively and provide confirmation to continue.", egress)
	}
	ok, err := p.o.Confirm("Removing the VPC connector from this service will clear the VPC egress setting and route outbound traffic to the public internet.")
	if err != nil {
		return err
	}
	if !ok {
		return wrap.ValueErrorf("Aborted by user.")
	}
	return nil
}

// applyNetworkInterfaces is NetworkInterfacesChange and
// ClearNetworkInterfacesChange. gcloud's annotation holds one interface:
// the first interface is merged, and an interface left empty is dropped
// together with the egress setting.
func (p *planner) applyNetworkInterfaces() error {
	f := p.f
	if f.Network.Set || f.Subnet.Set || f.NetworkTags.Set || f.ClearNetworkTags.Set {
		va := p.vpcAccess()
		ni := &runpb.VpcAccess_NetworkInterface{}
		if len(va.NetworkInterfaces) > 0 {
			ni = va.NetworkInterfaces[0]
		}
		if f.Network.Set {
			ni.Network = f.Network.Value
		}
		if f.Subnet.Set {
			ni.Subnetwork = f.Subnet.Value
		}
		if f.NetworkTags.Set {
			ni.Tags = append([]string(nil), f.NetworkTags.Items...)
		} else if f.ClearNetworkTags.Set {
			ni.Tags = nil
		}
		if ni.Network == "" && ni.Subnetwork == "" && len(ni.Tags) == 0 {
			va.NetworkInterfaces = nil
			va.Egress = runpb.VpcAccess_VPC_EGRESS_UNSPECIFIED
		} else {
			va.NetworkInterfaces = []*runpb.VpcAccess_NetworkInterface{ni}
		}
	}
	if f.ClearNetwork.Set && f.ClearNetwork.Value {
		if va := p.tmpl().VpcAccess; va != nil {
			va.NetworkInterfaces = nil
			va.Egress = runpb.VpcAccess_VPC_EGRESS_UNSPECIFIED
		}
	}
	return nil
}
