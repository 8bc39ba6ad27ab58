package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/ui"
)

type checkoutOptions struct {
	force bool
}

func newCheckoutCommand(g *globalOptions) *cobra.Command {
	opts := &checkoutOptions{}
	cmd := &cobra.Command{
		Use:   "checkout",
		Short: "Put the outputs of the working tree's view in place from the store",
		Args:  noArgs,
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
	fmt.Fprintln(out)
	return err
}
