package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/ui"
	"github.com/git-dds/git-dds/internal/workspace"
)

type checkoutOptions struct {
	force bool
}

func newCheckoutCommand(g *globalOptions) *cobra.Command {
	opts := &checkoutOptions{}
	cmd := &cobra.Command{
		Use:   "checkout",
		Short: "Put the outputs of the working tree's view in place from the store",
		Long: `git dds checkout puts the outputs of every computed stage of the working
tree's view in place from the store; outputs already right are left
alone. An output edited by hand is kept and named, unless --force.

What git dds placed that the working tree must not hold is deleted first
(it stays in the store): the outputs of stages the local store lacks,
which hold bytes computed for other inputs, and outputs dds.yaml no
longer declares (with no dds.yaml at all, every output git dds placed).

The hooks do this after every checkout, merge, rebase and commit. Run it
after the commands git runs no hook for, such as reset --hard and stash.

A stage whose objects the store lost, or found damaged, is fetched again
from the default remote when that has it; otherwise it is left stale for
git dds run, never restored from a damaged object (with --force, an
edited copy of it is removed, as a restore would replace it).

--json prints lists of output paths (of stages for stale):

    {"restored", "fresh", "stale", "edited", "removed",
     "pins": {"placed", "fresh", "missing", "edited"}}

Local files pinned with git dds add are put in place too, from their
FILE.pin.

Exit status: 1 when an output edited by hand is kept (without --force).`,
		Example: `  # after a command that runs no git hook, such as a hard reset
  git dds checkout

  # discard the edits to outputs, and restore what was computed
  git dds checkout --force`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCheckout(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.force, "force", "f", false, "overwrite outputs edited by hand")
	g.addQuiet(cmd)
	return cmd
}

func runCheckout(ctx context.Context, g *globalOptions, opts *checkoutOptions) error {
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return err
	}
	view, err := namespace.Load(ctx, ws.Repo, namespace.WorktreeRev, ws.Env)
	if errors.Is(err, namespace.ErrNoPipeline) {
		// No outputs declared: in step means none of those git dds placed.
		view, err = nil, nil
	}
	if err != nil {
		return err
	}
	// A remote gives back what the store lost or found damaged.
	closeRemote, rerr := ws.UseDefaultRemote(ctx, false)
	if rerr != nil {
		fmt.Fprintf(g.stderr, "git dds: warning: %v\n", rerr)
	} else {
		defer closeRemote()
	}
	res, err := ws.Checkout(ctx, view, opts.force)
	if res == nil {
		return err
	}
	if g.json {
		if jerr := g.printJSON(res); jerr != nil {
			return jerr
		}
		return err
	}
	out := g.summary()
	fmt.Fprintf(out, "restored %s, %d already in place", ui.Count(len(res.Restored), "output"), len(res.Fresh))
	if len(res.Stale) > 0 {
		fmt.Fprintf(out, "; %s computed nowhere (git dds run computes them)", ui.Count(len(res.Stale), "stage"))
	}
	if len(res.Removed) > 0 {
		fmt.Fprintf(out, "; removed %s placed for other inputs or no longer declared", ui.Count(len(res.Removed), "output"))
	}
	fmt.Fprint(out, pinsSummary(res.Pins))
	fmt.Fprintln(out)
	return err
}

// pinsSummary words what became of the pinned files, after a checkout's
// summary: "" when there is nothing to say.
func pinsSummary(p *workspace.PlacedPins) string {
	if p == nil {
		return ""
	}
	var s string
	if len(p.Placed) > 0 {
		s += "; placed " + ui.Count(len(p.Placed), "pinned file")
	}
	if len(p.Missing) > 0 {
		s += "; " + ui.Count(len(p.Missing), "pinned file") + " not in the store (git dds fetch brings them)"
	}
	return s
}
