// Command rundeploy is `gcloud run deploy` with an image-access preflight:
// the same flags and configuration, deployed through the Cloud Run Admin
// API v2, after checking that the caller and the Cloud Run service agent can
// read the container image.
//
// This binary is the front door: help, version, argument errors and
// commands for the real gcloud are answered here, with no Google client
// library loaded; deploys and the emulator run in rundeploy-engine,
// installed beside it.
package main

// version is stamped by the release build (-ldflags "-X main.version=...").
var version = "dev"

func main() { newFront().Main() }
