// Command rundeploy-engine deploys for rundeploy: it is run by rundeploy
// (which answers help, version and argument errors itself) with the same
// command line, and does everything that needs the Google client
// libraries: configuration and credentials, the image-access preflight, the
// deploy through the Cloud Run Admin API v2, and the local emulator. Run
// directly, it behaves exactly as rundeploy does.
package main

// version is stamped by the release build (-ldflags "-X main.version=...").
var version = "dev"

func main() { newApp().Main() }
