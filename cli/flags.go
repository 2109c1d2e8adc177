package cli

// Flags is the parsed command line of `gcloud run deploy` (GA track, managed
// platform): every flag gcloud accepts, hidden ones included, with gcloud's
// names. The kong grammar (grammar.go) embeds it; deploy.Plan turns it into a
// Cloud Run Admin API v2 Service.
//
// Field tags are kong tags. Flags whose gcloud action is store_true get a
// hidden --no-X as gcloud does (negatable). Mutual-exclusion groups are
// checked by Validate, which produces gcloud's own messages.
type Flags struct {
	// Service is the SERVICE positional (or namespaces/NS/services/NAME).
	Service string `arg:"" optional:"" name:"SERVICE" help:"ID of the service or fully qualified identifier for the service."`

	// Primary container flags: apply to the only container or to the ingress
	// container, unless --container sections are used.
	ContainerFlags `embed:""`

	// Containers holds the `--container NAME` sections, in command-line order.
	// The grammar splits argv at each --container and parses each section's
	// flags into a ContainerFlags.
	Containers []ContainerSection `kong:"-"`

	Namespace String `name:"namespace" help:"Specific to Cloud Run for Anthos: Kubernetes namespace for the service."`

	Region               String `name:"region" help:"Region in which the resource can be found. Alternatively, set the property [run/region]."`
	Regions              String `name:"regions" help:"Comma-separated list of regions for a multi-region service."`
	AllowUnauthenticated Bool   `name:"allow-unauthenticated" negatable:"" help:"Whether to enable allowing unauthenticated access to the service."`
	Async                Bool   `name:"async" negatable:"" help:"Return immediately, without waiting for the operation in progress to complete."`
	Concurrency          String `name:"concurrency" help:"Set the maximum number of concurrent requests allowed per container instance, or 'default'."`
	Timeout              String `name:"timeout" help:"Set the maximum request execution time (timeout), e.g. 300, 10m5s or 1h."`
	MinInstances         String `name:"min-instances" help:"The minimum number of container instances to run for this revision, or 'default'."`
	MaxInstances         String `name:"max-instances" help:"The maximum number of container instances for this revision to run, or 'default'."`
	Min                  String `name:"min" aliases:"service-min-instances" help:"The minimum number of container instances for this service, or 'default'."`
	Max                  String `name:"max" aliases:"service-max-instances" help:"The maximum number of container instances for this service."`
	Scaling              String `name:"scaling" help:"The scaling mode of the service: 'auto' or a number of instances."`
	ServiceAccount       String `name:"service-account" help:"The email address of the IAM service account associated with the revision."`
	Ingress              String `name:"ingress" help:"Set the ingress traffic sources allowed to call the service: all, internal, internal-and-cloud-load-balancing."`
	VpcConnector         String `name:"vpc-connector" help:"Set a VPC connector for this resource."`
	ClearVpcConnector    Bool   `name:"clear-vpc-connector" negatable:"" help:"Remove the VPC connector for this resource."`
	VpcEgress            String `name:"vpc-egress" help:"The outbound traffic to send through the VPC connector: all-traffic, private-ranges-only."`
	Network              String `name:"network" help:"The VPC network that the Cloud Run resource will be able to send traffic to."`
	Subnet               String `name:"subnet" help:"The VPC subnetwork that the Cloud Run resource will get IPs from."`
	NetworkTags          List   `name:"network-tags" help:"Applies the given Compute Engine tags to the Cloud Run resource."`
	ClearNetworkTags     Bool   `name:"clear-network-tags" negatable:"" help:"Clears all existing Compute Engine tags from the Cloud Run resource."`
	ClearNetwork         Bool   `name:"clear-network" negatable:"" help:"Disconnect this Cloud Run resource from the VPC network it is connected to."`

	Labels       Dict `name:"labels" help:"List of label KEY=VALUE pairs to add (alias of --update-labels)."`
	UpdateLabels Dict `name:"update-labels" help:"List of label KEY=VALUE pairs to update."`
	RemoveLabels List `name:"remove-labels" help:"List of label keys to remove."`
	ClearLabels  Bool `name:"clear-labels" negatable:"" help:"Remove all labels."`

	AddCloudsqlInstances    List `name:"add-cloudsql-instances" help:"Append the given values to the current Cloud SQL instances."`
	SetCloudsqlInstances    List `name:"set-cloudsql-instances" help:"Completely replace the current Cloud SQL instances with the given values."`
	RemoveCloudsqlInstances List `name:"remove-cloudsql-instances" help:"Remove the given values from the current Cloud SQL instances."`
	ClearCloudsqlInstances  Bool `name:"clear-cloudsql-instances" negatable:"" help:"Empty the current Cloud SQL instances."`

	Tag                  String `name:"tag" help:"Traffic tag to assign to the newly created revision."`
	NoTraffic            bool   `name:"no-traffic" help:"True to avoid sending traffic to the revision being deployed."`
	RevisionSuffix       String `name:"revision-suffix" help:"Specify the suffix of the revision name."`
	ExecutionEnvironment String `name:"execution-environment" help:"Selects the execution environment: gen1, gen2."`
	CpuBoost             Bool   `name:"cpu-boost" negatable:"" help:"Whether to allocate extra CPU to containers on startup."`
	CpuThrottling        Bool   `name:"cpu-throttling" negatable:"" help:"Whether to throttle the CPU when the container is not actively serving requests."`
	SessionAffinity      Bool   `name:"session-affinity" negatable:"" help:"Whether to enable session affinity for connections to the service."`
	DefaultUrl           Bool   `name:"default-url" negatable:"" help:"Toggles the default url for a run service."`
	InvokerIamCheck      Bool   `name:"invoker-iam-check" negatable:"" help:"Optionally disable invoker IAM checks."`
	Iap                  Bool   `name:"iap" negatable:"" help:"Whether to enable IAP for the service."`
	DeployHealthCheck    Bool   `name:"deploy-health-check" negatable:"" help:"Schedules a single instance of the Revision and waits for it to pass its startup probe."`
	Description          String `name:"description" help:"Provides an optional, human-readable description of the service."`
	GpuType              String `name:"gpu-type" help:"The GPU type to use."`
	GpuZonalRedundancy   Bool   `name:"gpu-zonal-redundancy" negatable:"" help:"Set GPU zonal redundancy."`

	BinaryAuthorization      String `name:"binary-authorization" help:"Binary Authorization policy to check against. This must be set to \"default\"."`
	ClearBinaryAuthorization Bool   `name:"clear-binary-authorization" negatable:"" help:"Remove any previously set Binary Authorization policy."`
	Breakglass               String `name:"breakglass" help:"Justification to bypass Binary Authorization policy constraints."`

	Key                              String `name:"key" help:"CMEK key reference to encrypt the container with."`
	ClearKey                         Bool   `name:"clear-key" negatable:"" help:"Remove any previously set CMEK key reference."`
	PostKeyRevocationActionType      String `name:"post-key-revocation-action-type" help:"Action type after CMEK key revocation: prevent-new, shut-down."`
	ClearPostKeyRevocationActionType Bool   `name:"clear-post-key-revocation-action-type" negatable:"" help:"Remove any previously set post CMEK key revocation action type."`
	EncryptionKeyShutdownHours       String `name:"encryption-key-shutdown-hours" help:"The number of hours to wait before an automatic shutdown server after CMEK key revocation."`
	ClearEncryptionKeyShutdownHours  Bool   `name:"clear-encryption-key-shutdown-hours" negatable:"" help:"Remove any previously set CMEK key shutdown hours setting."`

	AddCustomAudiences    List `name:"add-custom-audiences" help:"Append the given values to the current custom audiences."`
	SetCustomAudiences    List `name:"set-custom-audiences" help:"Completely replace the current custom audiences with the given values."`
	RemoveCustomAudiences List `name:"remove-custom-audiences" help:"Remove the given values from the current custom audiences."`
	ClearCustomAudiences  Bool `name:"clear-custom-audiences" negatable:"" help:"Empty the current custom audiences."`

	AddVolume    DictList `name:"add-volume" help:"Adds a volume to the Cloud Run resource (name=NAME,type=TYPE,...)."`
	RemoveVolume List     `name:"remove-volume" help:"Removes volumes from the Cloud Run resource."`
	ClearVolumes Bool     `name:"clear-volumes" negatable:"" help:"Remove all existing volumes from the Cloud Run resource."`

	RemoveContainers List `name:"remove-containers" help:"List of containers to remove."`

	// Hidden GA flags.
	Platform              String `name:"platform" hidden:"" help:"Target platform for running commands."`
	Cluster               String `name:"cluster" hidden:""`
	ClusterLocation       String `name:"cluster-location" hidden:""`
	Kubeconfig            String `name:"kubeconfig" hidden:""`
	Context               String `name:"context" hidden:""`
	Connectivity          String `name:"connectivity" hidden:""`
	SetConfigMaps         Dict   `name:"set-config-maps" hidden:""`
	UpdateConfigMaps      Dict   `name:"update-config-maps" hidden:""`
	RemoveConfigMaps      List   `name:"remove-config-maps" hidden:""`
	ClearConfigMaps       Bool   `name:"clear-config-maps" negatable:"" hidden:""`
	UpdateAnnotations     Dict   `name:"update-annotations" hidden:""`
	ClientName            String `name:"client-name" hidden:""`
	ClientVersion         String `name:"client-version" hidden:""`
	AllowUnencryptedBuild Bool   `name:"allow-unencrypted-build" negatable:"" hidden:""`
}

// ContainerSection is one `--container NAME` section of the command line.
type ContainerSection struct {
	Name string
	ContainerFlags
}

// ContainerFlags are the flags gcloud's ContainerArgGroup defines: they apply
// to one container.
type ContainerFlags struct {
	Image    String `name:"image" help:"Name of the container image to deploy (e.g. us-docker.pkg.dev/cloudrun/container/hello:latest)."`
	Source   String `name:"source" help:"The location of the source to build (handed to the real gcloud)."`
	Port     String `name:"port" help:"Container port to receive requests at, or 'default'."`
	UseHttp2 Bool   `name:"use-http2" negatable:"" help:"Whether to use HTTP/2 for connections to the service."`

	SetEnvVars    Dict   `name:"set-env-vars" gcloud:"envkey" help:"List of key-value pairs to set as environment variables."`
	UpdateEnvVars Dict   `name:"update-env-vars" gcloud:"envkey" help:"List of key-value pairs to set as environment variables."`
	RemoveEnvVars List   `name:"remove-env-vars" gcloud:"envkey" help:"List of environment variables to be removed."`
	ClearEnvVars  Bool   `name:"clear-env-vars" negatable:"" help:"Remove all environment variables."`
	EnvVarsFile   String `name:"env-vars-file" placeholder:"FILE_PATH" help:"Path to a local YAML file (or .env file) with definitions for all environment variables."`

	SetSecrets    Dict `name:"set-secrets" help:"List of key-value pairs to set as secrets."`
	UpdateSecrets Dict `name:"update-secrets" help:"List of key-value pairs to set as secrets."`
	RemoveSecrets List `name:"remove-secrets" help:"List of secrets to be removed."`
	ClearSecrets  Bool `name:"clear-secrets" negatable:"" help:"Remove all secrets."`

	Memory String `name:"memory" help:"Set a memory limit. Ex: 1024Mi, 4Gi."`
	Cpu    String `name:"cpu" help:"Set a CPU limit in Kubernetes cpu units."`
	Gpu    String `name:"gpu" help:"Cloud Run supports values 0 or 1."`

	Args     List   `name:"args" help:"Comma-separated arguments passed to the command run by the container image."`
	Command  List   `name:"command" help:"Entrypoint for the container image."`
	Function String `name:"function" help:"Specifies that the deployed object is a function (source deploys)."`
	Workdir  String `name:"workdir" help:"The working directory of the container."`

	DependsOn         List     `name:"depends-on" help:"List of container names this container depends on to start first."`
	AddVolumeMount    DictList `name:"add-volume-mount" help:"Adds a mount to the current container (volume=NAME,mount-path=MOUNT_PATH)."`
	RemoveVolumeMount List     `name:"remove-volume-mount" help:"Removes the volume mounted at the specified path."`
	ClearVolumeMounts Bool     `name:"clear-volume-mounts" negatable:"" help:"Remove all existing mounts from the current container."`

	StartupProbe   LastDict `name:"startup-probe" help:"Comma separated settings for the startup probe (KEY=VALUE,...)."`
	LivenessProbe  LastDict `name:"liveness-probe" help:"Comma separated settings for the liveness probe (KEY=VALUE,...)."`
	ReadinessProbe LastDict `name:"readiness-probe" help:"Comma separated settings for the readiness probe (KEY=VALUE,...)."`

	BaseImage        String `name:"base-image" help:"Opts in to automatic base image updates using the specified image."`
	ClearBaseImage   Bool   `name:"clear-base-image" negatable:"" help:"Opts out of automatic base image updates."`
	AutomaticUpdates Bool   `name:"automatic-updates" negatable:"" help:"Indicates whether automatic base image updates should be enabled (source deploys)."`

	BuildServiceAccount      String `name:"build-service-account" help:"Service account used by the build (source deploys)."`
	ClearBuildServiceAccount Bool   `name:"clear-build-service-account" negatable:""`
	BuildWorkerPool          String `name:"build-worker-pool" help:"Cloud Build worker pool (source deploys)."`
	ClearBuildWorkerPool     Bool   `name:"clear-build-worker-pool" negatable:""`
	SetBuildEnvVars          Dict   `name:"set-build-env-vars" gcloud:"envkey"`
	UpdateBuildEnvVars       Dict   `name:"update-build-env-vars" gcloud:"envkey"`
	RemoveBuildEnvVars       List   `name:"remove-build-env-vars" gcloud:"envkey"`
	ClearBuildEnvVars        Bool   `name:"clear-build-env-vars" negatable:""`
	BuildEnvVarsFile         String `name:"build-env-vars-file" placeholder:"FILE_PATH"`
}
