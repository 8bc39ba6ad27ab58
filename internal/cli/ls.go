package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/ui"
)

type lsOptions struct {
	ref string
}

func newLsCommand(g *globalOptions) *cobra.Command {
	opts := &lsOptions{}
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List a branch's namespace: output path → signature",
		Long: `git dds ls lists a namespace: every output path of REF (default HEAD),
with the stage that writes it and its signature, and the commit it
reflects.

The hooks bind each branch to its namespace (its tip commit and every
output path's signature) in the index. For a branch whose tip moved
without a hook (a fetch, git update-ref), ls computes the namespace from
the tip's tree.

--json prints:

    {"ref", "commit", "artifacts": [{"path", "stage", "signature"}]}

Exit status: 2 for a REF that names no commit.`,
		Example: `  # the current branch's outputs and their signatures
  git dds ls

  # those of a tag, as a script reads them
  git dds ls --ref v1.0 --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLs(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.ref, "ref", "HEAD", "the branch, tag or commit whose namespace to list")
	return cmd
}

func runLs(ctx context.Context, g *globalOptions, opts *lsOptions) error {
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return err
	}
	refName := fullRefName(ws.Repo, opts.ref)
	saved := func(ref string) (ns *namespace.Namespace, ok bool, err error) {
		err = ws.WithIndexRead(ctx, func(ix *index.Index) error {
			ns, ok, err = namespace.Saved(ix, ws.Repo, refName)
			return err
		})
		return ns, ok, err
	}
	ns, _, err := namespace.ForRef(ctx, ws.Repo, saved, opts.ref, ws.Env)
	if err != nil {
		return err
	}
	ns.Ref = opts.ref
	if g.json {
		return g.printJSON(ns)
	}
	return g.report(func(w io.Writer) {
		fmt.Fprintf(w, "%s at %s\n", opts.ref, ui.ShortID(ns.Commit))
		tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
		for _, a := range ns.Artifacts {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", a.Path, a.Stage, ui.ShortID(a.Signature))
		}
		tw.Flush()
	})
}

// fullRefName is the name hooks bind a namespace under: refs/heads/NAME
// for a branch (HEAD meaning the current one).
func fullRefName(repo *gitref.Repo, ref string) string {
	if ref == "HEAD" {
		if head, _, err := repo.Head(); err == nil && head != "" {
			return head
		}
		return ref
	}
	if strings.HasPrefix(ref, "refs/") {
		return ref
	}
	if _, err := repo.Resolve("refs/heads/" + ref); err == nil {
		return "refs/heads/" + ref
	}
	return ref
}
