// Command rundeploy is `gcloud run deploy` with a preflight: the same flags
// and configuration, deployed through the Cloud Run Admin API v2, after
// checking that the deploy can succeed (image access first). See package
// command.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/rundeploy/rundeploy/command"
)

// version is stamped by the release build (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	// An interrupt or SIGTERM cancels the run; the command reports what was
	// left (gcloud's "Aborted by user" paths) and returns its status.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := command.Run(ctx, command.System(version), os.Args)
	stop()
	os.Exit(code)
}
