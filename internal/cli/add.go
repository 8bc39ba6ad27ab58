package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/ui"
	"github.com/git-dds/git-dds/internal/workspace"
)

func newAddCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add FILE...",
		Short: "Keep a file too big for git in the store, and pin it in git",
		Long: `git dds add FILE moves FILE into the git dds store (a hard link or a
copy, as dds.link says for outputs), writes FILE.pin beside it (the
file's content id and size) and stages the pin in git's index, and
git-ignores FILE. Commit the pin: it is what git versions, as dvc add's
FILE.dvc is, and it may be listed in a stage's deps like any file.

git dds push (and the pre-push hook) sends the file's object to the dds
remote, git dds fetch and pull bring it, and git dds checkout (and the
hooks after a checkout or merge) put the file in place, so that
switching to a branch whose pin differs places that branch's file. A
file changed by hand is left alone; git dds add it again to pin the new
bytes.

A pin file is read by every clone: one that is malformed, names a path
outside its folder, or states an impossible size is refused with its
file and line.

--json prints one row per file: {"pin", "path", "id", "size"}.`,
		Example: `  # keep a 20 GB file out of git, and version its pin
  git dds add data/images.tar
  git commit -m 'images, pinned'
  git dds push

  # elsewhere, once the commit is there: bring the file, and put it in place
  git dds pull`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAdd(cmd.Context(), g, args)
		},
	}
	return cmd
}

func runAdd(ctx context.Context, g *globalOptions, args []string) error {
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return err
	}
	rows := []*workspace.PinnedFile{}
	for _, a := range args {
		rel, err := repoPath(ws, g, a)
		if err != nil {
			return err
		}
		pf, err := ws.AddFile(ctx, rel)
		if err != nil {
			return err
		}
		rows = append(rows, pf)
		if !g.json {
			fmt.Fprintf(g.stdout, "pinned %s (%s, %s) in %s; commit it with git commit\n", pf.Path, ui.Bytes(pf.Size), ui.ShortID(pf.ID), pf.Pin)
		}
	}
	if g.json {
		return g.printJSON(rows)
	}
	return nil
}
