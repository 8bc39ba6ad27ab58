// Package mangen writes the manual pages of a command tree: one page per
// command, named as man and git help look them up (git-dds.1, git-dds-run.1),
// so that git dds --help, which git turns into git help dds, finds its page;
// and the same pages in Markdown, the command reference of docs/reference.
package mangen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// WriteMarkdown writes the same pages in Markdown into dir, which it
// creates: one file per visible command, named as its manual page
// (git-dds.md, git-dds-run.md) and linked to the others. The pages carry
// no date, so that one command tree always gives the same bytes: a test
// compares them with the committed reference.
func WriteMarkdown(root *cobra.Command, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("making the folder of the reference: %w", err)
	}
	root.DisableAutoGenTag = true
	return writeMarkdownTree(root, dir)
}

func writeMarkdownTree(cmd *cobra.Command, dir string) error {
	for _, c := range cmd.Commands() {
		if !c.IsAvailableCommand() || c.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := writeMarkdownTree(c, dir); err != nil {
			return err
		}
	}
	path := filepath.Join(dir, PageName(cmd)+".md")
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing the reference: %w", err)
	}
	// cobra links a page by its command path with underscores
	// (git_dds_run.md); the pages are named as the manual's.
	link := func(name string) string { return strings.ReplaceAll(name, "_", "-") }
	if err := doc.GenMarkdownCustom(cmd, f, link); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// PageName is the name of cmd's page, without its extension: its command
// path with dashes, git-dds-run for git dds run.
func PageName(cmd *cobra.Command) string {
	return strings.ReplaceAll(cmd.CommandPath(), " ", "-")
}
