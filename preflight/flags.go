// Package preflight checks, before a Cloud Run deploy changes anything,
// that the container image can be read by the caller and, when the image
// lives in another project, by the deploying project's Cloud Run service
// agent; and it offers the least-privilege grant that fixes what is missing.
package preflight

import "github.com/rundeploy/rundeploy/deploy"

// Flags are rundeploy's own flags, beside gcloud's.
type Flags struct {
	GrantImageAccess   deploy.Bool   `name:"grant-image-access" negatable:"" group:"rundeploy" help:"Grant missing image read access without asking (--no-grant-image-access: never grant, report and stop)."`
	GrantScope         deploy.String `name:"grant-scope" group:"rundeploy" placeholder:"repository|project" help:"Where to grant roles/artifactregistry.reader: repository (default, least privilege) or project."`
	Preflight          deploy.Bool   `name:"preflight" negatable:"" group:"rundeploy" help:"Check image access before deploying (default); --no-preflight deploys like gcloud."`
	DryRun             deploy.Bool   `name:"dry-run" negatable:"" group:"rundeploy" help:"Run the preflight, validate the service with Cloud Run and show what would change; change nothing."`
	PropagationTimeout deploy.String `name:"propagation-timeout" group:"rundeploy" placeholder:"DURATION" help:"How long to wait for a new IAM grant to take effect (default 5m)."`
}
