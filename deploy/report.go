package deploy

import (
	"fmt"
	"io"
	"path"

	"cloud.google.com/go/run/apiv2/runpb"
)

// Style decides how names are emphasised: gcloud wraps them in bold ANSI
// codes whenever TERM supports it, even when stderr is not a terminal.
type Style struct{ ANSI bool }

// StyleFor returns gcloud's choice for the given TERM value.
func StyleFor(term string) Style { return Style{ANSI: term != "" && term != "dumb"} }

// Bold emphasises s.
func (s Style) Bold(v string) string {
	if !s.ANSI {
		return v
	}
	return "\x1b[1m" + v + "\x1b[m"
}

// ReportStart prints gcloud's first line.
func ReportStart(w io.Writer, st Style, t Target) {
	fmt.Fprintf(w, "Deploying container to Cloud Run service [%s] in project [%s] region [%s]\n",
		st.Bold(t.Service), st.Bold(t.Project), st.Bold(t.Region))
}

// ReportAsync prints the line gcloud prints for --async.
func ReportAsync(w io.Writer, st Style, t Target) {
	fmt.Fprintf(w, "Service [%s] is deploying asynchronously.\n", st.Bold(t.Service))
}

// Summary is what the final lines say about a deployed service.
type Summary struct {
	Revision string // short revision name
	Percent  int32  // traffic served by it
	URL      string
	TagURL   string // the URL of the new revision's tag, if any
}

// Summarize reads the finished service the way gcloud's success message
// does: the revision is the latest ready one (the latest created one with
// --no-traffic), the percentage sums the targets that are LATEST or name
// that revision, and the URL is the first of the service's URLs.
func Summarize(svc *runpb.Service, noTraffic bool) Summary {
	var s Summary
	ready := path.Base(svc.GetLatestReadyRevision())
	s.Revision = ready
	if noTraffic {
		s.Revision = path.Base(svc.GetLatestCreatedRevision())
	}
	for _, t := range svc.GetTrafficStatuses() {
		if t.GetType() == runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST ||
			(t.GetRevision() != "" && t.GetRevision() == s.Revision) {
			s.Percent += t.GetPercent()
		}
		if t.GetUri() != "" && t.GetTag() != "" && (t.GetRevision() == s.Revision ||
			t.GetType() == runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST) && s.TagURL == "" {
			s.TagURL = t.GetUri()
		}
	}
	if len(svc.GetUrls()) > 0 {
		s.URL = svc.GetUrls()[0]
	} else {
		s.URL = svc.GetUri()
	}
	return s
}

// ReportSuccess prints gcloud's final lines for a synchronous deploy.
// proxyHint is set when the service requires authentication, in which case
// gcloud suggests `gcloud run services proxy`.
func ReportSuccess(w io.Writer, st Style, t Target, s Summary, proxyHint bool) {
	fmt.Fprintf(w, "Service [%s] revision [%s] has been deployed and is serving %s percent of traffic.\n",
		st.Bold(t.Service), st.Bold(s.Revision), st.Bold(fmt.Sprint(s.Percent)))
	if s.Percent > 0 && s.URL != "" {
		fmt.Fprintf(w, "Service URL: %s\n", st.Bold(s.URL))
	}
	if s.TagURL != "" {
		fmt.Fprintf(w, "The revision can be reached directly at %s\n", s.TagURL)
	}
	if proxyHint {
		fmt.Fprintf(w, "Proxy locally with: gcloud run services proxy %s --region %s --project %s\n",
			t.Service, t.Region, t.Project)
	}
}
