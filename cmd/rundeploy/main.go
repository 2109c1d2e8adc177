// Command rundeploy is `gcloud run deploy` with a preflight: the same flags
// and configuration, deployed through the Cloud Run Admin API v2, after
// checking that the deploy can succeed (image access first). See package
// command.
package main

import (
	"os"

	"github.com/rundeploy/rundeploy/command"
)

// version is stamped by the release build (-ldflags "-X main.version=...").
var version = "dev"

func main() { os.Exit(command.Main(version)) }
