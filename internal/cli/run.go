package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/interrupt"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/ui"
	"github.com/git-dds/git-dds/internal/workspace"
)

type runOptions struct {
	jobs    int
	dryRun  bool
	offline bool
}

func newRunCommand(g *globalOptions) *cobra.Command {
	opts := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run [STAGE...]",
		Short: "Compute the stale stages, and what they need, in DAG order",
		Long: `Run brings the named stages (all by default) and the stages they need up to date.
A stage whose signature was computed before, on any branch, is reused from the store;
any other is executed with sh -c at the repository root (or its wdir).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd.Context(), g, opts, args)
		},
	}
	cmd.Flags().IntVarP(&opts.jobs, "jobs", "j", 1, "run up to N independent stages at once")
	cmd.Flags().BoolVarP(&opts.dryRun, "dry-run", "n", false, "list what would execute, with estimates, and execute nothing")
	cmd.Flags().BoolVar(&opts.offline, "offline", false, "neither pull from the remote nor take leases there")
	g.addQuiet(cmd)
	return cmd
}

func runRun(ctx context.Context, g *globalOptions, opts *runOptions, stages []string) error {
	if opts.jobs < 1 {
		return usageError{err: fmt.Errorf("-j takes a number of stages of at least 1, got %d", opts.jobs)}
	}
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return err
	}
	view, err := namespace.Load(ctx, ws.Repo, namespace.WorktreeRev, ws.Env)
	if err != nil {
		return err
	}
	closeRemote, err := ws.UseDefaultRemote(ctx, opts.offline)
	if err != nil {
		return err
	}
	defer closeRemote()
	ws.Progress = g.progress()
	res, err := ws.Run(ctx, view, workspace.Options{Stages: stages, Jobs: opts.jobs, DryRun: opts.dryRun, Verbose: g.progress() != nil})
	if res == nil || interrupt.Of(ctx) != nil {
		return err
	}
	if g.json {
		if jerr := g.printJSON(res); jerr != nil {
			return jerr
		}
	} else if opts.dryRun {
		printDryRun(g, res)
	} else if !g.quiet {
		printRunSummary(g, res)
	}
	if errors.Is(err, workspace.ErrFailed) {
		return answerNo{}
	}
	return err
}

func printRunSummary(g *globalOptions, res *workspace.Result) {
	counts := map[workspace.Action]int{}
	var seconds float64
	for _, s := range res.Stages {
		counts[s.Action]++
		seconds += s.Seconds
	}
	fmt.Fprintf(g.stdout, "executed %d", counts[workspace.Executed])
	if counts[workspace.CutOff] > 0 {
		fmt.Fprintf(g.stdout, ", cut off %d", counts[workspace.CutOff])
	}
	fmt.Fprintf(g.stdout, ", reused %d", counts[workspace.Reused])
	if counts[workspace.Pulled] > 0 {
		fmt.Fprintf(g.stdout, ", pulled %d", counts[workspace.Pulled])
	}
	if counts[workspace.Failed] > 0 {
		fmt.Fprintf(g.stdout, ", failed %d", counts[workspace.Failed])
	}
	if counts[workspace.Skipped] > 0 {
		fmt.Fprintf(g.stdout, ", not run %d", counts[workspace.Skipped])
	}
	fmt.Fprintf(g.stdout, " (%s of compute)\n", ui.Seconds(seconds))
}

func printDryRun(g *globalOptions, res *workspace.Result) {
	var n int
	var seconds float64
	var bytes int64
	unknown := 0
	for _, s := range res.Stages {
		if s.Action == workspace.WouldPull {
			fmt.Fprintf(g.stdout, "would pull    %-20s  (computed elsewhere, in the remote)\n", s.Name)
		}
		if s.Action != workspace.WouldExecute {
			continue
		}
		n++
		if s.Estimate == nil {
			unknown++
			fmt.Fprintf(g.stdout, "would execute %-20s  (never computed: no estimate)\n", s.Name)
			continue
		}
		var size int64
		for _, o := range s.Estimate.Outputs {
			size += o.Size
		}
		seconds += s.Estimate.Duration.Seconds()
		bytes += size
		fmt.Fprintf(g.stdout, "would execute %-20s  (last time ~%s, %s written)\n", s.Name, ui.Duration(s.Estimate.Duration), ui.Bytes(size))
	}
	if n == 0 {
		fmt.Fprintln(g.stdout, "nothing to execute: every selected stage is computed")
		return
	}
	fmt.Fprintf(g.stdout, "%s, ~%s, ~%s written", ui.Count(n, "stage"), ui.Seconds(seconds), ui.Bytes(bytes))
	if unknown > 0 {
		fmt.Fprintf(g.stdout, " (%d without an estimate)", unknown)
	}
	fmt.Fprintln(g.stdout)
}
