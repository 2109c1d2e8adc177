package command

import (
	"context"
	"errors"
	"time"

	"github.com/alecthomas/kong"

	"github.com/rundeploy/rundeploy/internal/fakegcp"
)

// emulatorCommand is `rundeploy emulator`: the local emulated control plane,
// for trying rundeploy (and gcloud) with no Google account and for testing
// Makefile targets offline.
type emulatorCommand struct {
	Addr             string        `default:"127.0.0.1:8765" help:"Address to listen on (host:port; port 0 picks a free one)."`
	OperationDelay   time.Duration `default:"1500ms" help:"How long a deploy operation takes to finish."`
	PropagationDelay time.Duration `default:"0s" help:"How long an IAM change takes to be enforced."`
	Latency          time.Duration `default:"0s" help:"Extra latency added to every request."`
}

func (a *app) emulator(ctx context.Context, args []string) int {
	var cmd emulatorCommand
	parser, err := kong.New(&cmd,
		kong.Name("rundeploy emulator"),
		kong.Description("Run the local emulated Google Cloud control plane (Cloud Run, Artifact Registry, Resource Manager, a Docker registry, OAuth) and print the environment that points rundeploy and gcloud at it."),
		kong.Writers(a.Stdout, a.Stderr),
		kong.Exit(func(int) {}))
	if err != nil {
		return a.Fail(err)
	}
	if _, err := parser.Parse(args); err != nil {
		return a.Fail(err)
	}
	err = fakegcp.Serve(ctx, cmd.Addr, a.Stdout, fakegcp.Options{
		OperationDelay:   cmd.OperationDelay,
		PropagationDelay: cmd.PropagationDelay,
		Latency:          cmd.Latency,
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		return a.Fail(err)
	}
	return 0
}
