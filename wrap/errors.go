package wrap

import "fmt"

// ArgumentError is a command-line error that gcloud's argument parser
// reports: exit status 2, and gcloud prints the usage after it. Msg is the
// text after "ERROR: (gcloud.run.deploy) ", e.g.
// `argument --args: "-v" cannot be specified multiple times`.
type ArgumentError struct {
	Msg string
	// Command is the command path gcloud names in the message; "" means
	// "gcloud.run.deploy". (The --container placement check is raised by
	// gcloud's `run` group: "gcloud.run".)
	Command string
	// NoUsage is set for the argument errors after which gcloud prints no
	// usage block: unrecognized arguments and invalid choices.
	NoUsage bool
}

func (e *ArgumentError) Error() string { return e.Msg }

// ExitCode is the process exit status for this error.
func (e *ArgumentError) ExitCode() int { return 2 }

// ArgumentErrorf formats an ArgumentError.
func ArgumentErrorf(format string, a ...any) error {
	return &ArgumentError{Msg: fmt.Sprintf(format, a...)}
}

// ValueError is a value gcloud accepts from the parser but rejects
// afterwards (an invalid service name, `--max-instances=lots`): exit status 1,
// no usage. Command is the command path gcloud names in the message:
// "gcloud.run.deploy" normally, "gcloud" for the few errors gcloud raises
// while converting argument types.
type ValueError struct {
	Command string
	Msg     string
}

func (e *ValueError) Error() string { return e.Msg }

// ExitCode is the process exit status for this error.
func (e *ValueError) ExitCode() int { return 1 }

// ValueErrorf formats a ValueError from the run deploy command.
func ValueErrorf(format string, a ...any) error {
	return &ValueError{Command: "gcloud.run.deploy", Msg: fmt.Sprintf(format, a...)}
}
