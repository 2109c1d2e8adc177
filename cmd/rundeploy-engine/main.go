// Command rundeploy-engine deploys for rundeploy: it is run by rundeploy
// (which answers help, version and argument errors itself) with the same
// command line, and does everything that needs the Google client
// libraries: configuration and credentials, the image-access preflight, the
// deploy through the Cloud Run Admin API v2, and the local emulator. Run
// directly, it behaves exactly as rundeploy does.
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
	code := newApp().Run(ctx, os.Args)
	stop()
	os.Exit(code)
}
