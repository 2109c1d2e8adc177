package cli

import _ "embed"

// Help is helpText() rendered at build time (help.txt, kept
// current by TestRenderedHelpIsCurrent): `rundeploy --help` prints it
// without building the grammar, so help costs no more than starting the
// process.
//
//go:embed help.txt
var Help string

// WantsHelp reports whether the command line asks for help: -h or --help
// before any "--". Such a command line prints the help whatever else it
// holds, as gcloud does.
func WantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "--help":
			return true
		}
	}
	return false
}
