package fakegcp

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// overriddenAPIs are the gcloud api_endpoint_overrides rundeploy honours;
// all point at the server.
var overriddenAPIs = []string{"RUN", "ARTIFACTREGISTRY", "CLOUDRESOURCEMANAGER", "IAMCREDENTIALS", "OAUTH2", "POLICYTROUBLESHOOTER"}

// Env is the environment that points rundeploy (and, through the forward
// proxy, the real gcloud) at the server, authenticated with DefaultToken
// (Options.DefaultMember): CLOUDSDK_API_ENDPOINT_OVERRIDES_* = URL/,
// RUNDEPLOY_REGISTRY_OVERRIDE = URL, CLOUDSDK_AUTH_ACCESS_TOKEN_FILE and the
// CLOUDSDK_PROXY_* variables.
func (s *Server) Env() []string { return s.EnvWithToken(DefaultToken) }

// EnvWithToken is Env authenticated with token (register it with AddToken).
func (s *Server) EnvWithToken(token string) []string {
	return s.env(s.URL+"/", s.writeTokenFile(s.scratch(), token))
}

func (s *Server) env(runOverride, tokenFile string) []string {
	var env []string
	for _, api := range overriddenAPIs {
		v := s.URL + "/"
		if api == "RUN" {
			v = runOverride
		}
		env = append(env, "CLOUDSDK_API_ENDPOINT_OVERRIDES_"+api+"="+v)
	}
	_, port, _ := net.SplitHostPort(s.Addr())
	return append(env,
		"RUNDEPLOY_REGISTRY_OVERRIDE="+s.URL,
		"CLOUDSDK_AUTH_ACCESS_TOKEN_FILE="+tokenFile,
		"CLOUDSDK_PROXY_TYPE=http",
		"CLOUDSDK_PROXY_ADDRESS=127.0.0.1",
		"CLOUDSDK_PROXY_PORT="+port,
	)
}

// GcloudEnv is the environment for running the real gcloud against the
// server (gcloud-run-deploy.md §5.2 Option A): configDir becomes
// CLOUDSDK_CONFIG (created if needed; the token file is written there), the Run endpoint is
// http://run.fake:PORT/ so gcloud's regional host derivation
// (us-central1-run.fake) keeps working through the forward proxy, and
// prompts, usage reporting, update checks and metadata probing are off. Add
// CLOUDSDK_CORE_PROJECT / CLOUDSDK_RUN_REGION as needed.
func (s *Server) GcloudEnv(configDir string) []string {
	_, port, _ := net.SplitHostPort(s.Addr())
	env := s.env("http://run.fake:"+port+"/", s.writeTokenFile(configDir, DefaultToken))
	return append(env,
		"CLOUDSDK_CONFIG="+configDir,
		"CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true",
		"CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true",
		"CLOUDSDK_CORE_SHOULD_PROMPT_TO_ENABLE_API=false",
		"CLOUDSDK_CORE_CHECK_GCE_METADATA=false",
		"CLOUDSDK_SURVEY_DISABLE_PROMPTS=true",
		"PYTHONWARNINGS=ignore",
	)
}

// scratch returns the server's temporary directory, creating it once.
func (s *Server) scratch() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tmp == "" {
		dir, err := os.MkdirTemp("", "fakegcp-")
		if err != nil {
			panic(fmt.Sprintf("fakegcp: scratch directory: %v", err))
		}
		s.tmp = dir
	}
	return s.tmp
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]`)

func (s *Server) writeTokenFile(dir, token string) string {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		panic(fmt.Sprintf("fakegcp: token file directory: %v", err))
	}
	path := filepath.Join(dir, "token-"+unsafeFileChars.ReplaceAllString(token, "_"))
	if err := os.WriteFile(path, []byte(token), 0o600); err != nil {
		panic(fmt.Sprintf("fakegcp: write token file: %v", err))
	}
	return path
}

// Demo world of Serve.
const (
	DemoProject       = "demo-proj"
	DemoProjectNumber = 100000000001
	DemoImageProject  = "images-proj"
	DemoImageNumber   = 200000000002
	DemoRegion        = "us-central1"
	DemoDeployer      = "serviceAccount:deployer@demo-proj.iam.gserviceaccount.com"
	DemoToken         = "ya29.demo-deployer"
)

// SeedDemo creates the demo world: project demo-proj whose deployer service
// account (token DemoToken) holds run.admin (so --allow-unauthenticated can
// set the invoker policy) and iam.serviceAccountUser on the project and
// artifactregistry.admin on the repository
// us-central1-docker.pkg.dev/demo-proj/apps (image web:v1); and project
// images-proj with us-central1-docker.pkg.dev/images-proj/apps/web:v1. The
// deployer administers images-proj's repository and may read images-proj's
// policies (roles/viewer), but demo-proj's Cloud Run service agent cannot
// read the image: deploying it shows the cross-project finding, a stop with
// the remedy (no terminal), and with --grant-image-access the grant to the
// service agent followed by a successful deploy.
func (s *Server) SeedDemo() {
	s.AddProject(DemoProject, DemoProjectNumber)
	s.AddProject(DemoImageProject, DemoImageNumber)
	s.AddToken(DemoToken, DemoDeployer)
	s.Grant("projects/"+DemoProject, "roles/run.admin", DemoDeployer)
	s.Grant("projects/"+DemoProject, "roles/iam.serviceAccountUser", DemoDeployer)
	s.Grant("projects/"+DemoImageProject, "roles/viewer", DemoDeployer)
	for _, p := range []string{DemoProject, DemoImageProject} {
		repo := fmt.Sprintf("projects/%s/locations/%s/repositories/apps", p, DemoRegion)
		s.AddRepository(repo)
		s.Grant(repo, "roles/artifactregistry.admin", DemoDeployer)
		s.PushImage(fmt.Sprintf("%s-docker.pkg.dev/%s/apps/web:v1", DemoRegion, p))
	}
}

// Serve runs an emulator on addr (e.g. "127.0.0.1:8765") until ctx is done:
// it seeds the demo world (SeedDemo), writes a fresh gcloud configuration
// (core/project=demo-proj, run/region=us-central1) and the deployer's token
// file to a temporary directory, and prints to stdout the `export` lines
// that point rundeploy and the real gcloud at it. Nothing of the user's own
// gcloud configuration is read or written.
func Serve(ctx context.Context, addr string, stdout io.Writer, opts Options) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("emulator: listen on %s: %w", addr, err)
	}
	s := newServer(opts)
	s.ts = httptest.NewUnstartedServer(s)
	s.ts.Listener.Close()
	s.ts.Listener = ln
	s.ts.Start()
	s.URL = s.ts.URL
	defer s.Close()
	s.SeedDemo()

	config := filepath.Join(s.scratch(), "gcloud")
	if err := writeGcloudConfig(config, DemoProject, DemoRegion); err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	env := append(s.EnvWithToken(DemoToken),
		"CLOUDSDK_CONFIG="+config,
		"CLOUDSDK_CORE_SHOULD_PROMPT_TO_ENABLE_API=false",
		"CLOUDSDK_CORE_CHECK_GCE_METADATA=false",
		"CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true",
		"CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true",
	)
	fmt.Fprintf(stdout, "# fakegcp emulator listening on %s\n", s.URL)
	fmt.Fprintf(stdout, "# caller: %s (project %s, region %s)\n", DemoDeployer, DemoProject, DemoRegion)
	fmt.Fprintf(stdout, "# images: %s-docker.pkg.dev/%s/apps/web:v1 (same project), %s-docker.pkg.dev/%s/apps/web:v1 (cross-project)\n",
		DemoRegion, DemoProject, DemoRegion, DemoImageProject)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(stdout, "export %s=%s\n", k, shellQuote(v))
	}
	<-ctx.Done()
	return nil
}

// writeGcloudConfig creates a gcloud configuration directory whose default
// configuration sets core/project and run/region.
func writeGcloudConfig(dir, project, region string) error {
	if err := os.MkdirAll(filepath.Join(dir, "configurations"), 0o700); err != nil {
		return fmt.Errorf("create gcloud config %s: %w", dir, err)
	}
	cfg := fmt.Sprintf("[core]\nproject = %s\n\n[run]\nregion = %s\n", project, region)
	if err := os.WriteFile(filepath.Join(dir, "configurations", "config_default"), []byte(cfg), 0o600); err != nil {
		return fmt.Errorf("write gcloud config %s: %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "active_config"), []byte("default"), 0o600); err != nil {
		return fmt.Errorf("write gcloud config %s: %w", dir, err)
	}
	return nil
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

func shellQuote(v string) string {
	if shellSafe.MatchString(v) {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}
