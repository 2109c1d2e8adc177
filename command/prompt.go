package command

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	run "cloud.google.com/go/run/apiv2"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	locationpb "google.golang.org/genproto/googleapis/cloud/location"
)

// confirm asks a yes/no question the way gcloud's console prompts do and
// returns def on an empty answer or end of input.
func confirm(in io.Reader, out io.Writer, question string, def bool) (bool, error) {
	fmt.Fprint(out, question)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF {
		return false, err
	}
	fmt.Fprintln(out)
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	case "n", "no":
		return false, nil
	}
	return def, nil
}

// listRegions lists the Cloud Run regions available to the project, for
// the region prompt.
func listRegions(ctx context.Context, project string, opts []option.ClientOption) ([]string, error) {
	c, err := run.NewLocationsRESTClient(ctx, opts...)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var regions []string
	it := c.ListLocations(ctx, &locationpb.ListLocationsRequest{Name: "projects/" + project, PageSize: 100})
	for {
		loc, err := it.Next()
		if err == iterator.Done {
			return regions, nil
		}
		if err != nil {
			return nil, fmt.Errorf("listing Cloud Run regions for project %s: %w", project, err)
		}
		regions = append(regions, loc.GetLocationId())
	}
}
