package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/experiment"
	"github.com/git-dds/git-dds/internal/results"
	"github.com/git-dds/git-dds/internal/workspace"
)

type compareOptions struct {
	resultsOptions
	sort   string
	html   bool
	output string
	open   bool
}

func newCompareCommand(g *globalOptions) *cobra.Command {
	opts := &compareOptions{}
	cmd := &cobra.Command{
		Use:   "compare [REF...]",
		Short: "Compare the params and metrics of refs in one table (default: every local branch and experiment)",
		Long: `compare prints one table: a row per ref (every local branch, then every experiment of
git dds exp run, by default; WORKTREE is the working tree), a column per declared params key whose
value is not the same on every ref, and a column per metric (PATH:NAME), each read from the store
by the ref's signatures without checking anything out. The state column sums up the ref's metrics
files: computed, stale (git dds run on it computes them), remote (the default remote holds them),
lost or unreadable. An experiment's row is dds/exp/NAME, a name git resolves as any other ref.

--sort COLUMN orders the rows by a metric or params column, -COLUMN in descending order; a path
may be shortened to its end (--sort -metrics.json:auc). Rows without a number there come last.
A branch or experiment whose dds.yaml cannot be evaluated is skipped with a warning; a ref named
on the command line must evaluate.

--html prints the table as a self-contained HTML page (no network), -o FILE writes it to FILE,
and --open writes it and opens it in the browser.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCompare(cmd.Context(), g, opts, args)
		},
	}
	opts.addFlags(cmd, "")
	cmd.ValidArgsFunction = completeRefArgs(g, -1)
	cmd.Flags().BoolVar(&opts.html, "html", false, "print a self-contained HTML page with the table, sortable by a click on a column")
	cmd.Flags().StringVarP(&opts.output, "output", "o", "", "write the HTML page to FILE")
	cmd.Flags().BoolVar(&opts.open, "open", false, "write the HTML page and open it in the browser, when there is one")
	cmd.Flags().StringVar(&opts.sort, "sort", "", "order the rows by this column (PATH:NAME or FILE:KEY), descending with a leading -")
	return cmd
}

func runCompare(ctx context.Context, g *globalOptions, opts *compareOptions, refs []string) error {
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return err
	}
	if len(refs) > 0 {
		return compareRefs(ctx, g, ws, opts, refs, false)
	}
	branches, err := ws.Repo.Branches()
	if err != nil {
		return err
	}
	for ref := range branches {
		refs = append(refs, strings.TrimPrefix(ref, "refs/heads/"))
	}
	slices.Sort(refs)
	exps, err := experiment.List(ctx, ws.Repo)
	if err != nil {
		return err
	}
	for _, e := range exps {
		refs = append(refs, experiment.Rev(e.Name))
	}
	return compareRefs(ctx, g, ws, opts, refs, true)
}

// compareRefs prints the comparison of refs; every says the user did not
// name them one by one, so that a ref whose pipeline cannot be read is
// skipped with a warning.
func compareRefs(ctx context.Context, g *globalOptions, ws *workspace.Workspace, opts *compareOptions, refs []string, every bool) error {
	var (
		snaps   []*results.Snapshot
		skipped []results.Skipped
		err     error
	)
	if every {
		if snaps, skipped, err = results.ReadEvery(ctx, ws, refs); err != nil {
			return err
		}
	} else if snaps, err = results.Read(ctx, ws, refs); err != nil {
		return err
	}
	for _, s := range skipped {
		fmt.Fprintf(g.stderr, "git dds: warning: %s skipped: %v\n", describeRef(s.Ref), s.Err)
	}
	if err := askRemote(ctx, g, ws, snaps, opts.offline); err != nil {
		return err
	}
	table := results.Compare(snaps)
	if opts.sort != "" {
		if err := table.Sort(opts.sort); err != nil {
			return usageError{err: err}
		}
	}
	switch {
	case g.json:
		err = g.printJSON(table)
	case opts.html || opts.output != "" || opts.open:
		var page []byte
		if page, err = comparePageOf(table); err == nil {
			err = writePage(ctx, g, "compare", page, opts.output, opts.open)
		}
	default:
		err = g.report(func(w io.Writer) { printCompare(w, table, opts.md) })
	}
	if err != nil {
		return err
	}
	return results.UnreadableErrors(snaps)
}

// describeRef names a ref compare read: a branch, or an experiment.
func describeRef(ref string) string {
	if name, ok := strings.CutPrefix(ref, experiment.Rev("")); ok {
		return "experiment " + name
	}
	return "branch " + ref
}

func printCompare(w io.Writer, c *results.Comparison, md bool) {
	if len(c.Rows) == 0 {
		fmt.Fprintln(w, "No ref to compare: no local branch or experiment has a dds.yaml git dds can read")
		return
	}
	t := &table{header: append(append([]string{"ref", "state"}, c.Params...), c.Metrics...)}
	states := map[results.State]bool{}
	for _, r := range c.Rows {
		states[r.State] = true
		state := string(r.State)
		if state == "" {
			state = "-" // no metrics files
		}
		row := []string{r.Label(), state}
		for _, p := range c.Params {
			row = append(row, rawCell(r.Params[p]))
		}
		for _, m := range c.Metrics {
			row = append(row, valueCell(r.Metrics[m]))
		}
		t.add(row...)
	}
	t.print(w, md, "")
	if len(c.Metrics) == 0 {
		fmt.Fprintf(w, "\nNo metrics: a stage declares them under metrics: in dds.yaml\n")
	}
	printStateNotes(w, states, md)
}
