package wrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestPromptRegion(t *testing.T) {
	regions := []string{"europe-west1", "us-central1", "us-east1"}
	const list = "Please specify a region:\n [1] europe-west1\n [2] us-central1\n [3] us-east1\n [4] cancel\n" +
		"Please enter numeric choice or text value (must exactly match list item):  "
	const hint = "\nTo make this the default region, run `gcloud config set run/region %s`.\n\n"
	tests := []struct {
		name        string
		imageRegion string
		input       string
		want        string
		wantErr     error
		wantOut     string
		wantRest    string // input left unread
	}{
		{name: "number", input: "2\n", want: "us-central1", wantOut: list + fmt.Sprintf(hint, "us-central1")},
		{name: "number with blanks", input: " 3 \n", want: "us-east1", wantOut: list + fmt.Sprintf(hint, "us-east1")},
		{name: "exact text", input: "europe-west1\n", want: "europe-west1", wantOut: list + fmt.Sprintf(hint, "europe-west1")},
		{name: "cancel by number", input: "4\n", wantErr: ErrAborted, wantOut: list},
		{name: "cancel by text", input: "cancel\n", wantErr: ErrAborted, wantOut: list},
		{
			name: "invalid answers reprompt", input: "0\nus-central\n\n9\n1\n", want: "europe-west1",
			wantOut: list + strings.Repeat("Please enter a value between 1 and 4, or a value present in the list:  ", 4) + fmt.Sprintf(hint, "europe-west1"),
		},
		{
			name: "list prints again", input: "list\n2\n", want: "us-central1",
			wantOut: list + " [1] europe-west1\n [2] us-central1\n [3] us-east1\n [4] cancel\n" +
				"Please enter numeric choice or text value (must exactly match list item):  " + fmt.Sprintf(hint, "us-central1"),
		},
		{name: "EOF", input: "", wantErr: ErrNoRegion, wantOut: list + "\n"},
		{name: "last line without newline", input: "3", want: "us-east1", wantOut: list + fmt.Sprintf(hint, "us-east1")},
		{name: "CRLF", input: "1\r\n", want: "europe-west1", wantOut: list + fmt.Sprintf(hint, "europe-west1")},
		{name: "does not read ahead", input: "2\ny\n", want: "us-central1", wantOut: list + fmt.Sprintf(hint, "us-central1"), wantRest: "y\n"},
		{
			name: "image region accepted with Enter", imageRegion: "us-east1", input: "\n", want: "us-east1",
			wantOut: "Do you want to deploy to region us-east1 (Y/n)?  \n",
		},
		{
			name: "image region accepted with yes", imageRegion: "us-east1", input: " YES \n", want: "us-east1",
			wantOut: "Do you want to deploy to region us-east1 (Y/n)?  \n",
		},
		{
			name: "image region at EOF means yes", imageRegion: "us-east1", input: "", want: "us-east1",
			wantOut: "Do you want to deploy to region us-east1 (Y/n)?  \n",
		},
		{
			name: "image region declined", imageRegion: "us-east1", input: "maybe\nn\n1\n", want: "europe-west1",
			wantOut: "Do you want to deploy to region us-east1 (Y/n)?  Please enter 'y' or 'n':  \n" + list + fmt.Sprintf(hint, "europe-west1"),
		},
		{name: "image region not offered", imageRegion: "asia-east1", input: "1\n", want: "europe-west1", wantOut: list + fmt.Sprintf(hint, "europe-west1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := strings.NewReader(tt.input)
			var out strings.Builder
			got, err := PromptRegion(context.Background(), in, &out, regions, tt.imageRegion)
			if got != tt.want || err != tt.wantErr {
				t.Errorf("PromptRegion = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
			if out.String() != tt.wantOut {
				t.Errorf("output:\n%q\nwant:\n%q", out.String(), tt.wantOut)
			}
			rest, _ := io.ReadAll(in)
			if string(rest) != tt.wantRest {
				t.Errorf("unread input %q, want %q", rest, tt.wantRest)
			}
		})
	}
}

func TestPromptRegionOverflow(t *testing.T) {
	var regions []string
	for i := range 52 {
		regions = append(regions, fmt.Sprintf("r%02d", i))
	}
	var out strings.Builder
	got, err := PromptRegion(context.Background(), strings.NewReader("r51\n"), &out, regions, "")
	if err != nil || got != "r51" {
		t.Fatalf("got %q, %v", got, err)
	}
	s := out.String()
	if !strings.Contains(s, " [50] r49\nDid not print [3] options.\nToo many options [53]. Enter \"list\" at prompt to print choices fully.\nPlease enter numeric") {
		t.Errorf("overflow text missing:\n%s", s)
	}
	if strings.Contains(s, "[51]") {
		t.Errorf("printed more than 50 options:\n%s", s)
	}
}

func TestPromptRegionCancelled(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := PromptRegion(ctx, pr, io.Discard, []string{"a"}, "")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if _, err := PromptRegion(context.Background(), strings.NewReader("1\n"), io.Discard, nil, ""); err == nil {
		t.Error("no regions: want an error")
	}
}

func TestImageRegion(t *testing.T) {
	tests := []struct{ image, region, project string }{
		{"us-central1-docker.pkg.dev/my-proj/apps/web:v3", "us-central1", "my-proj"},
		{"europe-docker.pkg.dev/p/r/i@sha256:abc", "europe", "p"},
		{"gcr.io/p/i", "", ""},
		{"us-docker.pkg.dev/p", "", ""},
		{"docker.io/library/nginx", "", ""},
	}
	for _, tt := range tests {
		r, p := ImageRegion(tt.image)
		if r != tt.region || p != tt.project {
			t.Errorf("ImageRegion(%q) = %q, %q; want %q, %q", tt.image, r, p, tt.region, tt.project)
		}
	}
}
