// Command parity runs the real gcloud and rundeploy with the same command
// lines against internal/fakegcp and compares the requests they send, after
// normalising gcloud's Cloud Run v1 object and rundeploy's v2 Service to one
// model (internal/parity). It prints one line per case and a final
// "N passed, N failed[, N skipped]" line; the exit status is 1 when any
// case failed.
//
//	go run ./scripts/parity [-gcloud /usr/bin/gcloud] [-rundeploy BIN] [-j 4] [-run REGEXP] [-ci] [-live]
//
// Without -rundeploy it builds ./cmd/rundeploy into a temporary directory.
// gcloud's side of a case is replayed from scripts/parity/gcloud528.json when the
// recording holds it for the same command lines and fixtures; other cases
// run gcloud and are added to the recording. -live runs gcloud for every
// case (and refreshes the recording).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/rundeploy/rundeploy/internal/parity"
)

func main() {
	os.Exit(run())
}

func run() int {
	dir := scriptDir()
	gcloud := flag.String("gcloud", "/usr/bin/gcloud", "the real gcloud (528)")
	rundeploy := flag.String("rundeploy", "", "rundeploy binary (default: build ./cmd/rundeploy)")
	corpus := flag.String("corpus", filepath.Join(dir, "corpus.yaml"), "corpus file")
	allow := flag.String("allow", filepath.Join(dir, "allow.yaml"), "allow-list of documented differences")
	workers := flag.Int("j", 4, "cases run in parallel")
	only := flag.String("run", "", "run only cases whose name matches this regexp")
	ci := flag.Bool("ci", false, "run only the CI subset (cases marked ci: true, and every invalid case)")
	noPreflight := flag.Bool("no-preflight", false, "pass --no-preflight to rundeploy (default: the preflight runs; the caller and the service agent can read every image)")
	verbose := flag.Bool("v", false, "print details of passing cases too")
	dump := flag.Bool("dump", false, "print both normalised models of each create/update case")
	recording := flag.String("recording", filepath.Join(dir, "gcloud528.json"), "recorded gcloud observations (replayed; new ones are added)")
	live := flag.Bool("live", false, "run gcloud for every case, ignoring (and refreshing) the recording")
	flag.Parse()

	cases, err := parity.LoadCorpus(*corpus)
	if err != nil {
		fmt.Fprintln(os.Stderr, "parity:", err)
		return 2
	}
	allows, err := parity.LoadAllowances(*allow)
	if err != nil {
		fmt.Fprintln(os.Stderr, "parity:", err)
		return 2
	}
	cases, err = parity.Select(cases, *only, *ci)
	if err != nil {
		fmt.Fprintln(os.Stderr, "parity:", err)
		return 2
	}
	if _, err := os.Stat(*gcloud); err != nil {
		if *live {
			fmt.Fprintln(os.Stderr, "parity: gcloud not found:", err)
			return 2
		}
		fmt.Fprintln(os.Stderr, "parity: gcloud not found; replaying the recording only")
		*gcloud = ""
	}
	rec, err := parity.LoadRecording(*recording)
	if err != nil {
		fmt.Fprintln(os.Stderr, "parity:", err)
		return 2
	}
	if *only == "" && !*ci {
		rec.Prune(cases)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *rundeploy == "" {
		tmp, err := os.MkdirTemp("", "parity-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "parity:", err)
			return 2
		}
		defer os.RemoveAll(tmp)
		bin, err := parity.BuildRundeploy(ctx, moduleRoot(dir), tmp)
		if err != nil {
			fmt.Fprintln(os.Stderr, "parity:", err)
			return 2
		}
		*rundeploy = bin
	}
	cfg := parity.Config{
		Gcloud: *gcloud, Rundeploy: *rundeploy, DataDir: filepath.Join(dir, "testdata"),
		Workers: *workers, Preflight: !*noPreflight, Allow: allows, Recording: rec, Live: *live,
	}
	start := time.Now()
	results := parity.Run(ctx, cfg, cases, func(r parity.Result) {
		if r.Status == parity.Pass && !*verbose {
			r.Details = nil
		}
		fmt.Println(r.Line())
		if *dump && r.Gcloud != nil {
			fmt.Printf("  --- gcloud model:\n%s  --- rundeploy model:\n%s", indent(r.Gcloud.String()), indent(r.Rundeploy.String()))
		}
	})
	fmt.Printf("# %d cases in %s with %d workers on %d CPUs\n", len(cases), time.Since(start).Round(time.Second), *workers, runtime.NumCPU())
	if err := rec.Save(*recording); err != nil {
		fmt.Fprintln(os.Stderr, "parity:", err)
	}
	fmt.Println(parity.Summary(results))
	for _, r := range results {
		if r.Status == parity.Fail {
			return 1
		}
	}
	return 0
}

// scriptDir is this program's directory (the corpus lives next to it).
func scriptDir() string {
	for _, d := range []string{"scripts/parity", "."} {
		if _, err := os.Stat(filepath.Join(d, "corpus.yaml")); err == nil {
			abs, _ := filepath.Abs(d)
			return abs
		}
	}
	abs, _ := filepath.Abs("scripts/parity")
	return abs
}

func moduleRoot(scriptDir string) string { return filepath.Dir(filepath.Dir(scriptDir)) }

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString("    " + l)
		}
	}
	return b.String()
}
