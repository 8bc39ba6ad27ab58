package cli

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/mangen"
)

// newManCommand writes the manual pages from this very command tree, so
// that they cannot drift from -h: make runs it as a build step. With
// --markdown it writes the same pages in Markdown, the committed command
// reference (make docs-reference). Hidden, as cobra's __complete: it is for
// the build, not for users.
func newManCommand() *cobra.Command {
	var markdown bool
	cmd := &cobra.Command{
		Use:    "__man DIR",
		Short:  "Write the manual pages (section 1) into DIR",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if markdown {
				return mangen.WriteMarkdown(cmd.Root(), args[0])
			}
			date, err := pagesDate()
			if err != nil {
				return err
			}
			return mangen.Write(cmd.Root(), args[0], moduleVersion(), date)
		},
	}
	cmd.Flags().BoolVar(&markdown, "markdown", false, "write the pages in Markdown, undated")
	return cmd
}

// pagesDate is SOURCE_DATE_EPOCH when set (reproducible builds set it),
// else the time of the commit the binary was built from, else now.
func pagesDate() (time.Time, error) {
	if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
		secs, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil {
			return time.Time{}, usageError{err: fmt.Errorf("SOURCE_DATE_EPOCH is %q; it takes seconds since 1970", epoch), hint: "unset it, or set it to a number"}
		}
		return time.Unix(secs, 0).UTC(), nil
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.time" {
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
					return t, nil
				}
			}
		}
	}
	return time.Now().UTC(), nil
}
