package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/results"
)

func newParamsCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "params",
		Short: "Compare the params values of branches",
		Long: `params reads the params keys stages declare (params: in dds.yaml) as each ref's tree holds
them, without checking anything out. A ref is a branch, tag or commit; WORKTREE is the working tree.`,
		Args: unknownCommand,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newParamsDiffCommand(g))
	return cmd
}

func newParamsDiffCommand(g *globalOptions) *cobra.Command {
	opts := &resultsOptions{}
	cmd := &cobra.Command{
		Use:   "diff [A [B]]",
		Short: "Show the declared params that differ between two refs (default: HEAD and the working tree)",
		Long: `diff lists, stage by stage, the declared params keys (file:key) whose value differs between
two refs, old and new, as JSON values: A defaults to HEAD and B to the working tree (WORKTREE).
A key one side does not declare shows "-" there. --all lists the keys that are the same too.`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, b := pairOf(args)
			return runParamsDiff(cmd.Context(), g, opts, a, b)
		},
	}
	cmd.Flags().BoolVar(&opts.md, "md", false, "print a Markdown table, e.g. for a pull request comment")
	cmd.Flags().BoolVar(&opts.all, "all", false, "list the params that are the same too")
	cmd.ValidArgsFunction = completeRefArgs(g, 2)
	return cmd
}

func runParamsDiff(ctx context.Context, g *globalOptions, opts *resultsOptions, a, b string) error {
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return err
	}
	snaps, err := results.Read(ctx, ws, []string{a, b})
	if err != nil {
		return err
	}
	changes := results.DiffParams(snaps[0], snaps[1], opts.all)
	if g.json {
		return g.printJSON(struct {
			A       string                `json:"a"`
			B       string                `json:"b"`
			Changes []results.ParamChange `json:"changes"`
		}{snaps[0].Ref, snaps[1].Ref, changes})
	}
	return g.report(func(w io.Writer) {
		if len(changes) == 0 {
			fmt.Fprintf(w, "No declared param differs between %s and %s\n", snaps[0].Label(), snaps[1].Label())
			return
		}
		t := &table{header: []string{"stage", "param", snaps[0].Label(), snaps[1].Label()}}
		for _, c := range changes {
			t.add(c.Stage, c.Name, rawCell(c.Old), rawCell(c.New))
		}
		t.print(w, opts.md, "")
	})
}

func rawCell(v []byte) string {
	if v == nil {
		return "-"
	}
	return string(v)
}
