package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rundeploy/rundeploy/wrap"
)

const helpSearchHint = "To search the help text of gcloud commands, run:\n  gcloud help -- SEARCH_TERMS"

// altTrackOnly are flags of `gcloud beta|alpha run deploy` that GA lacks
// (reference §1.5); GA's own flags exist in both tracks too.
var (
	betaOnly  = []string{"--scaling-cpu-target", "--scaling-concurrency-target", "--ssh", "--mesh", "--domain", "--dry-run", "--no-build", "--sandbox-launcher"}
	alphaOnly = []string{"--runtime", "--public", "--identity", "--identity-certificate", "--identity-type", "--functional-type", "--mesh-dataplane", "--ambient-networking", "--delegate-builds", "--overflow-scaling"}
)

// suggestionChoices are the names gcloud's suggester knows: every visible
// option string of GA `run deploy` (gcloud-wide flags included), and the
// alias --application for --project.
func (g *grammar) suggestionChoices() (names []string, aliases map[string]string) {
	names = []string{"-h", "--help", "--container", "--quiet", "-q"}
	for _, f := range g.flags {
		if f.hidden || f.group == "rundeploy" || f.name == "quiet" {
			continue
		}
		names = append(names, "--"+f.name)
	}
	return names, map[string]string{"--application": "--project"}
}

// unrecognized is gcloud's "unrecognized arguments" error with its
// suggestions.
func (g *grammar) unrecognized(unknown []string) error {
	names, aliases := g.suggestionChoices()
	choices := append([]string{}, names...)
	for a := range aliases {
		choices = append(choices, a)
	}
	visible := map[string]bool{}
	for _, n := range names {
		visible[n] = true
	}
	var messages []string
	seen := map[string]bool{}
	for _, arg := range unknown {
		flag, value, _ := strings.Cut(arg, "=")
		suggestion := ""
		if strings.HasPrefix(flag, "--") || value != "" {
			suggestion = closestMatch(strings.ToLower(flag), choices)
			if to, ok := aliases[suggestion]; ok {
				suggestion = to
			}
		}
		if seen[arg] {
			continue
		}
		seen[arg] = true
		if tracks := altTracks(flag, visible); len(tracks) > 0 {
			messages = append(messages, fmt.Sprintf("\n %s flag is available in one or more alternate release tracks. Try:\n", flag))
			messages = append(messages, strings.Join(tracks, "\n  ")+"\n")
		}
		if suggestion != "" {
			messages = append(messages, fmt.Sprintf("%s (did you mean '%s'?)", arg, suggestion))
		} else {
			messages = append(messages, arg)
		}
	}
	sep, prefix := " ", "\n\n"
	if len(messages) > 1 {
		sep, prefix = "\n  ", ""
	}
	messages = append(messages, prefix+helpSearchHint)
	return &wrap.ArgumentError{Msg: "unrecognized arguments:" + sep + strings.Join(messages, sep), NoUsage: true}
}

// altTracks lists `gcloud alpha|beta run deploy FLAG` when FLAG is a visible
// flag of those tracks (which include every visible GA flag).
func altTracks(flag string, visible map[string]bool) []string {
	in := func(list []string) bool {
		for _, f := range list {
			if f == flag {
				return true
			}
		}
		return false
	}
	var out []string
	ga := visible[flag] && flag != "-q"
	if ga || in(betaOnly) || in(alphaOnly) {
		out = append(out, "gcloud alpha run deploy "+flag)
	}
	if ga || in(betaOnly) {
		out = append(out, "gcloud beta run deploy "+flag)
	}
	return out
}

// maybeYouMeant is the command list a full gcloud installation (with its
// command index) prints after an invalid choice of `run deploy`: gcloud's
// command suggester ranks commands near `run deploy`; it does not depend on
// the flag or the value.
var maybeYouMeant = []string{
	"gcloud run deploy",
	"gcloud run jobs remove-iam-policy-binding",
	"gcloud run regions list",
	"gcloud run revisions delete",
	"gcloud run revisions describe",
	"gcloud run revisions list",
	"gcloud run services remove-iam-policy-binding",
	"gcloud run jobs deploy",
	"gcloud run jobs add-iam-policy-binding",
	"gcloud run jobs get-iam-policy",
}

// invalidChoice is argparse's choice error with gcloud's suggestion text.
func invalidChoice(display, flag, value string) error {
	// None of run deploy's choice flags has gcloud hidden_choices: the
	// deprecated --vpc-egress=all is still listed and suggested.
	visible := append([]string(nil), choices[flag]...)
	sort.Strings(visible)
	msg := fmt.Sprintf("argument %s: Invalid choice: '%s'.", display, value)
	if s := closestMatch(strings.ToLower(value), visible); s != "" {
		msg += fmt.Sprintf(" Did you mean '%s'?\nMaybe you meant:\n  %s\n\n%s", s, strings.Join(maybeYouMeant, "\n  "), helpSearchHint)
	} else {
		msg += fmt.Sprintf("\n\nValid choices are [%s].", strings.Join(visible, ", "))
	}
	return &wrap.ArgumentError{Msg: msg, NoUsage: true}
}

// closestMatch is Python's difflib.get_close_matches(word, choices, 1, 0.6).
func closestMatch(word string, choices []string) string {
	best, bestScore := "", -1.0
	for _, c := range choices {
		if realQuickRatio(c, word) < 0.6 || quickRatio(c, word) < 0.6 {
			continue
		}
		r := ratio(c, word)
		if r < 0.6 {
			continue
		}
		// heapq.nlargest on (score, choice): ties go to the larger string.
		if r > bestScore || (r == bestScore && c > best) {
			best, bestScore = c, r
		}
	}
	return best
}

func realQuickRatio(a, b string) float64 {
	la, lb := len(a), len(b)
	return calcRatio(min(la, lb), la+lb)
}

func quickRatio(a, b string) float64 {
	avail := map[byte]int{}
	for i := 0; i < len(b); i++ {
		avail[b[i]]++
	}
	matches := 0
	for i := 0; i < len(a); i++ {
		if avail[a[i]] > 0 {
			avail[a[i]]--
			matches++
		}
	}
	return calcRatio(matches, len(a)+len(b))
}

func calcRatio(matches, length int) float64 {
	if length == 0 {
		return 1
	}
	return 2 * float64(matches) / float64(length)
}

// ratio is SequenceMatcher(None, a, b).ratio() without junk heuristics
// (they apply only to sequences of 200 or more elements).
func ratio(a, b string) float64 {
	return calcRatio(matchingCount(a, 0, len(a), b, 0, len(b)), len(a)+len(b))
}

func matchingCount(a string, alo, ahi int, b string, blo, bhi int) int {
	i, j, k := longestMatch(a, alo, ahi, b, blo, bhi)
	if k == 0 {
		return 0
	}
	return k + matchingCount(a, alo, i, b, blo, j) + matchingCount(a, i+k, ahi, b, j+k, bhi)
}

// longestMatch is SequenceMatcher.find_longest_match: the longest common
// block, earliest in a, then earliest in b.
func longestMatch(a string, alo, ahi int, b string, blo, bhi int) (int, int, int) {
	besti, bestj, bestsize := alo, blo, 0
	j2len := map[int]int{}
	for i := alo; i < ahi; i++ {
		next := map[int]int{}
		for j := blo; j < bhi; j++ {
			if a[i] != b[j] {
				continue
			}
			k := j2len[j-1] + 1
			next[j] = k
			if k > bestsize {
				besti, bestj, bestsize = i-k+1, j-k+1, k
			}
		}
		j2len = next
	}
	return besti, bestj, bestsize
}
