package command

import (
	"cloud.google.com/go/run/apiv2/runpb"

	"github.com/rundeploy/rundeploy/deploy"
)

// formatOf returns the --format in effect: the flag, else core/format,
// else run deploy's default, none.
func formatOf(s *session) string {
	if s.cmd.Format.Set {
		return s.cmd.Format.Value
	}
	if v, ok := s.cfg.Get("core", "format"); ok {
		return v
	}
	return "none"
}

// checkFormat rejects a bad --format before anything is deployed. (gcloud
// deploys first and fails at printing; failing early loses nothing.)
func checkFormat(s *session) error {
	_, err := deploy.ParseFormat(formatOf(s))
	return err
}

// printFormat prints the deployed service to stdout in the v1 Knative shape
// gcloud prints, in the requested format.
func (a *app) printFormat(s *session, svc *runpb.Service, async bool) error {
	format := formatOf(s)
	if format == "none" || svc == nil {
		return nil
	}
	obj := deploy.KnativeService(svc, s.target.Project)
	if async {
		// gcloud prints the create/update response for --async, not the
		// finished operation's, so there is no @type.
		delete(obj, "@type")
	}
	return deploy.WriteFormat(a.Stdout, format, obj)
}
