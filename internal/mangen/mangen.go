// Package mangen writes the manual pages of a command tree: one page per
// command, named as man and git help look them up (git-dds.1, git-dds-run.1),
// so that git dds --help, which git turns into git help dds, finds its page.
package mangen

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// Write writes a section 1 page for root and each of its visible commands
// into dir, which it creates. The pages are dated date (a build passes its
// commit's, so that the pages of one commit are the same bytes) and name
// version as their source.
func Write(root *cobra.Command, dir, version string, date time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("making the folder of the manual pages: %w", err)
	}
	// The pages are the help text: no footer saying how they were made.
	root.DisableAutoGenTag = true
	header := &doc.GenManHeader{
		Section: "1",
		Date:    &date,
		Source:  root.DisplayName() + " " + version,
		Manual:  root.DisplayName() + " manual",
	}
	if err := doc.GenManTreeFromOpts(root, doc.GenManTreeOptions{Header: header, Path: dir, CommandSeparator: "-"}); err != nil {
		return fmt.Errorf("writing the manual pages into %s: %w", dir, err)
	}
	return nil
}
