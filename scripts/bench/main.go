// Command bench measures rundeploy's speed targets on this machine and
// prints the figures (run: go run ./scripts/bench). It is a benchmark, not a
// test: nothing here fails a build; it reports.
//
//   - `rundeploy --help` versus `gcloud run deploy --help` (target: ≥100×);
//   - a create through internal/fakegcp, rundeploy versus the real gcloud
//     against the same fake (target: ≥10×);
//   - completion latency: how long after the operation finishes rundeploy
//     notices (target: within one round trip, thanks to the :wait long poll);
//   - the preflight's cost under 100 ms of injected latency per request
//     (target: at most about one extra round trip over --no-preflight);
//   - start-up: a bad flag costs --help plus reading the command line
//     (building the kong grammar), and neither makes a request.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rundeploy/rundeploy/internal/fakegcp"
)

var (
	runs   = flag.Int("runs", 10, "repetitions of each fast measurement")
	slow   = flag.Int("gcloud-runs", 3, "repetitions of each gcloud measurement")
	gcloud = flag.String("gcloud", "gcloud", "the real gcloud to compare with")
)

func main() {
	flag.Parse()
	dir, err := os.MkdirTemp("", "rundeploy-bench")
	check(err)
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "rundeploy")
	// Built as the release is (.goreleaser.yaml): trimmed, no symbol tables,
	// without gRPC's trace registration.
	build := exec.Command("go", "build", "-trimpath", "-tags", "grpcnotrace", "-ldflags", "-s -w", "-o", dir+string(os.PathSeparator), "./cmd/rundeploy")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stderr = os.Stderr
	check(build.Run())
	gcloudPath, gcloudErr := exec.LookPath(*gcloud)

	fmt.Println("== --help")
	help := median(*runs, func(int) { mustRun(exec.Command(bin, "--help"), 0) })
	fmt.Printf("rundeploy --help          %v\n", help)
	bad := median(*runs, func(int) { mustRun(exec.Command(bin, "svc", "--bogus"), 2) })
	fmt.Printf("rundeploy svc --bogus     %v\n", bad)
	if gcloudErr == nil {
		cfg := filepath.Join(dir, "gcloud-help")
		g := median(*slow, func(int) {
			c := exec.Command(gcloudPath, "run", "deploy", "--help")
			c.Env = append(os.Environ(), "CLOUDSDK_CONFIG="+cfg, "CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true",
				"CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true", "PAGER=cat", "CLOUDSDK_CORE_DISABLE_PROMPTS=true")
			mustRun(c, 0)
		})
		fmt.Printf("gcloud run deploy --help  %v\n", g)
		fmt.Printf("ratio                     %.0f× (target ≥100×)\n", float64(g)/float64(help))
	}

	fmt.Println("\n== create through fakegcp")
	s := newWorld(fakegcp.Options{})
	create := median(*runs, func(i int) {
		c := exec.Command(bin, fmt.Sprintf("svc-%d", i), "--image", image, "--quiet")
		c.Env = env(s, dir)
		mustRun(c, 0)
	})
	fmt.Printf("rundeploy create          %v\n", create)
	if gcloudErr == nil {
		gcfg := filepath.Join(dir, "gcloud-config")
		check(os.MkdirAll(gcfg, 0o755))
		g := median(*slow, func(i int) {
			c := exec.Command(gcloudPath, "run", "deploy", fmt.Sprintf("g-%d", i), "--image", image, "--quiet",
				"--project", "my-proj", "--region", "us-central1")
			c.Env = append(os.Environ(), s.GcloudEnv(gcfg)...)
			mustRun(c, 0)
		})
		fmt.Printf("gcloud create             %v\n", g)
		fmt.Printf("ratio                     %.1f× (target ≥10×)\n", float64(g)/float64(create))
	}
	s.Close()

	fmt.Println("\n== completion latency (operation takes 2s)")
	s = newWorld(fakegcp.Options{OperationDelay: 2 * time.Second})
	lat := median(3, func(i int) {
		c := exec.Command(bin, fmt.Sprintf("late-%d", i), "--image", image, "--quiet")
		c.Env = env(s, dir)
		mustRun(c, 0)
	})
	fmt.Printf("rundeploy create          %v, i.e. %v after the operation finished (target: one round trip)\n",
		lat, lat-2*time.Second)
	s.Close()

	fmt.Println("\n== preflight cost, 100ms latency per request")
	s = newWorld(fakegcp.Options{Latency: 100 * time.Millisecond})
	with := median(3, func(i int) {
		c := exec.Command(bin, fmt.Sprintf("pf-%d", i), "--image", image, "--quiet")
		c.Env = env(s, dir)
		mustRun(c, 0)
	})
	without := median(3, func(i int) {
		c := exec.Command(bin, fmt.Sprintf("nopf-%d", i), "--image", image, "--quiet", "--no-preflight")
		c.Env = env(s, dir)
		mustRun(c, 0)
	})
	fmt.Printf("with preflight            %v\n", with)
	fmt.Printf("--no-preflight            %v\n", without)
	fmt.Printf("difference                %v = %.1f round trips (target ≤ about 1)\n",
		with-without, float64(with-without)/float64(100*time.Millisecond))
	s.Close()
}

const (
	image  = "us-central1-docker.pkg.dev/my-proj/apps/web:v3"
	member = "serviceAccount:ci@my-proj.iam.gserviceaccount.com"
	token  = "ya29.bench"
)

func newWorld(opts fakegcp.Options) *fakegcp.Server {
	s := fakegcp.New(opts)
	s.AddProject("my-proj", 123456789012)
	s.AddToken(token, member)
	s.Grant("projects/my-proj", "roles/run.admin", member)
	s.Grant("projects/my-proj", "roles/artifactregistry.reader", member)
	s.AddRepository("projects/my-proj/locations/us-central1/repositories/apps")
	s.PushImage(image)
	return s
}

func env(s *fakegcp.Server, dir string) []string {
	return append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"CLOUDSDK_CONFIG=" + filepath.Join(dir, "cfg"),
		"CLOUDSDK_CORE_PROJECT=my-proj", "CLOUDSDK_RUN_REGION=us-central1",
	}, s.EnvWithToken(token)...)
}

// median runs f n times and returns the median wall time.
func median(n int, f func(i int)) time.Duration {
	var ds []time.Duration
	for i := 0; i < n; i++ {
		start := time.Now()
		f(i)
		ds = append(ds, time.Since(start))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2].Round(100 * time.Microsecond)
}

func mustRun(c *exec.Cmd, want int) {
	out, err := c.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		check(err)
	}
	if code != want {
		fmt.Fprintf(os.Stderr, "%s: exit %d, want %d\n%s\n", strings.Join(c.Args, " "), code, want, out)
		os.Exit(1)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
