// Command rundeploy is `gcloud run deploy` with an image-access preflight:
// the same flags and configuration, deployed through the Cloud Run Admin
// API v2, after checking that the caller and the Cloud Run service agent can
// read the container image.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// version is stamped by the release build (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := newApp().run(ctx, os.Args)
	stop()
	os.Exit(code)
}
