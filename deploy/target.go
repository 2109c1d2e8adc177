package deploy

// Target identifies the Cloud Run service a deploy acts on.
type Target struct {
	// Project is the project ID (gcloud's --project / core/project).
	Project string
	// Region is the Cloud Run region (--region / run/region).
	Region string
	// Service is the service ID (the SERVICE positional).
	Service string
}

// Name is the service's v2 resource name,
// projects/PROJECT/locations/REGION/services/SERVICE.
func (t Target) Name() string {
	return t.Parent() + "/services/" + t.Service
}

// Parent is the v2 collection the service lives in,
// projects/PROJECT/locations/REGION.
func (t Target) Parent() string {
	return "projects/" + t.Project + "/locations/" + t.Region
}
