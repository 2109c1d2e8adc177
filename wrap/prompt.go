package wrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ErrAborted is gcloud's OperationCancelledError ("Aborted by user."), e.g.
// when "cancel" is chosen at the region prompt (exit status 1).
var ErrAborted error = &ValueError{Command: "gcloud.run.deploy", Msg: "Aborted by user."}

// promptOptionsOverflow is console_io.PROMPT_OPTIONS_OVERFLOW.
const promptOptionsOverflow = 50

// arImage is gcloud's resource_args._AR_IMAGE_PATTERN.
var arImage = regexp.MustCompile(`^([^.]+)-docker\.pkg\.dev/([^/]+)/`)

// ImageRegion returns the region and project of an Artifact Registry image
// (REGION-docker.pkg.dev/PROJECT/...) like gcloud's ParseArImage, or "", ""
// for any other image.
func ImageRegion(image string) (region, project string) {
	m := arImage.FindStringSubmatch(image)
	if m == nil {
		return "", ""
	}
	return m[1], m[2]
}

// PromptRegion asks for a region exactly like gcloud's run
// flags.PromptForRegion, writing to out (gcloud's stderr) and reading answers
// from in. regions is the list from the Run locations API; imageRegion is the
// region of an Artifact Registry image (ImageRegion), or "".
//
// If imageRegion is in regions, it first asks
// "Do you want to deploy to region R (Y/n)?" (Enter or EOF means yes). Then it
// lists the regions plus "cancel" and accepts a number or the exact text of an
// item; "list" prints the items again. Choosing "cancel" returns ErrAborted;
// EOF at the list returns ErrNoRegion (gcloud crashes there). After a choice it
// prints gcloud's "To make this the default region, run `gcloud config set
// run/region R`." hint.
//
// in is read one byte at a time so that nothing after the answer's newline is
// consumed. If ctx ends first, PromptRegion returns ctx.Err(); the pending
// read then finishes in the background.
func PromptRegion(ctx context.Context, in io.Reader, out io.Writer, regions []string, imageRegion string) (string, error) {
	if len(regions) == 0 {
		return "", errors.New("no regions to choose from")
	}
	lr := &lineReader{in: in}
	if imageRegion != "" && slices.Contains(regions, imageRegion) {
		yes, err := promptContinue(ctx, lr, out, fmt.Sprintf("Do you want to deploy to region %s", imageRegion), true)
		if err != nil {
			return "", err
		}
		if yes {
			return imageRegion, nil
		}
	}

	options := append(slices.Clip(regions), "cancel")
	maximum := len(options)
	var w strings.Builder
	w.WriteString("Please specify a region:\n")
	if maximum > promptOptionsOverflow {
		printOptions(&w, options[:promptOptionsOverflow])
		fmt.Fprintf(&w, "Did not print [%d] options.\n", maximum-promptOptionsOverflow)
		fmt.Fprintf(&w, "Too many options [%d]. Enter \"list\" at prompt to print choices fully.\n", maximum)
	} else {
		printOptions(&w, options)
	}
	const prompt = "Please enter numeric choice or text value (must exactly match list item):  "
	w.WriteString(prompt)
	if _, err := io.WriteString(out, w.String()); err != nil {
		return "", err
	}
	for {
		answer, eof, err := lr.readLine(ctx)
		if err != nil {
			return "", err
		}
		if eof {
			io.WriteString(out, "\n")
			return "", ErrNoRegion
		}
		if answer == "list" {
			var w strings.Builder
			printOptions(&w, options)
			w.WriteString(prompt)
			io.WriteString(out, w.String())
			continue
		}
		choice := parseChoice(answer, options)
		if choice == maximum {
			return "", ErrAborted
		}
		if choice >= 1 && choice <= maximum {
			region := options[choice-1]
			_, err := fmt.Fprintf(out, "\nTo make this the default region, run `gcloud config set run/region %s`.\n\n", region)
			return region, err
		}
		fmt.Fprintf(out, "Please enter a value between 1 and %d, or a value present in the list:  ", maximum)
	}
}

// promptContinue is console_io.PromptContinue without a message.
func promptContinue(ctx context.Context, lr *lineReader, out io.Writer, prompt string, def bool) (bool, error) {
	if def {
		prompt += " (Y/n)?  "
	} else {
		prompt += " (y/N)?  "
	}
	if _, err := io.WriteString(out, prompt); err != nil {
		return false, err
	}
	defer io.WriteString(out, "\n")
	for {
		answer, eof, err := lr.readLine(ctx)
		if err != nil {
			return false, err
		}
		if eof || answer == "" {
			return def, nil
		}
		switch strings.ToLower(TrimPySpace(answer)) {
		case "y", "yes":
			return true, nil
		case "n", "no":
			return false, nil
		}
		io.WriteString(out, "Please enter 'y' or 'n':  ")
	}
}

func printOptions(w *strings.Builder, options []string) {
	for i, o := range options {
		fmt.Fprintf(w, " [%d] %s\n", i+1, o)
	}
}

// parseChoice is console_io._ParseAnswer with allow_freeform: a number
// (surrounding whitespace allowed, like Python's int()) or the exact text of an
// option; it returns the 1-based index, or 0 if neither.
func parseChoice(answer string, options []string) int {
	if n, err := strconv.Atoi(TrimPySpace(answer)); err == nil {
		if n < 1 {
			return 0
		}
		return n
	}
	if i := slices.Index(options, answer); i >= 0 {
		return i + 1
	}
	return 0
}

// lineReader reads newline-terminated answers without reading ahead.
type lineReader struct {
	in io.Reader
}

type lineResult struct {
	line string
	eof  bool
	err  error
}

// readLine returns the next line without its line ending. eof is true when
// the input ended before any byte of a line (Python's input() raising
// EOFError); a final line without newline is returned as a line.
func (r *lineReader) readLine(ctx context.Context) (string, bool, error) {
	ch := make(chan lineResult, 1)
	go func() {
		var b []byte
		var one [1]byte
		for {
			n, err := r.in.Read(one[:])
			if n == 1 {
				if one[0] == '\n' {
					ch <- lineResult{line: strings.TrimSuffix(string(b), "\r")}
					return
				}
				b = append(b, one[0])
				continue
			}
			if err == io.EOF {
				if len(b) == 0 {
					ch <- lineResult{eof: true}
				} else {
					ch <- lineResult{line: string(b)}
				}
				return
			}
			if err != nil {
				ch <- lineResult{err: fmt.Errorf("reading answer: %w", err)}
				return
			}
		}
	}()
	select {
	case res := <-ch:
		return res.line, res.eof, res.err
	case <-ctx.Done():
		return "", false, ctx.Err()
	}
}
