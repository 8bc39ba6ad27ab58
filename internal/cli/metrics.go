package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/metrics"
	"github.com/git-dds/git-dds/internal/results"
	"github.com/git-dds/git-dds/internal/workspace"
)

// resultsOptions are the flags of the commands that compare refs.
type resultsOptions struct {
	md      bool
	offline bool
	all     bool
}

func (o *resultsOptions) addFlags(cmd *cobra.Command, all string) {
	cmd.Flags().BoolVar(&o.md, "md", false, "print Markdown tables, e.g. for a pull request comment")
	cmd.Flags().BoolVar(&o.offline, "offline", false, "do not ask the remote which of the computations missing here it holds")
	if all != "" {
		cmd.Flags().BoolVar(&o.all, "all", false, all)
	}
}

func newMetricsCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "metrics",
		Short: "Show and compare the metrics files of branches, read from the store",
		Long: `metrics reads the metrics files stages declare (metrics: in dds.yaml) as each ref computed them:
from the store, by the ref's signatures, without checking anything out. A ref is a branch, tag or commit;
WORKTREE is the working tree.`,
		Args: unknownCommand,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newMetricsShowCommand(g), newMetricsDiffCommand(g))
	return cmd
}

func newMetricsShowCommand(g *globalOptions) *cobra.Command {
	opts := &resultsOptions{}
	cmd := &cobra.Command{
		Use:   "show [REF...]",
		Short: "Show the metrics of refs (default: the working tree)",
		Long: `show prints, for each metrics file, a row per ref with its values: the values the ref's
signature computed, read from the store, whatever is checked out. A ref whose stage is not
computed here shows its state instead: stale (git dds run on it computes it), remote (the
default remote holds it: git dds fetch --rev REF brings it) or lost (its object is gone from the
store). A metrics file that cannot be read is reported with its file, line and what is wrong,
and the command then exits with status 2.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{results.Worktree}
			}
			return runMetricsShow(cmd.Context(), g, opts, args)
		},
	}
	opts.addFlags(cmd, "")
	cmd.ValidArgsFunction = completeRefArgs(g, -1)
	return cmd
}

// completeRefArgs offers branch and tag names for up to max arguments
// (any number when max < 0).
func completeRefArgs(g *globalOptions, max int) cobra.CompletionFunc {
	refs := completeRefs(g, "refs/heads", "refs/tags")
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if max >= 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return refs(cmd, args, toComplete)
	}
}

func newMetricsDiffCommand(g *globalOptions) *cobra.Command {
	opts := &resultsOptions{}
	cmd := &cobra.Command{
		Use:   "diff [A [B]]",
		Short: "Show the metrics that differ between two refs (default: HEAD and the working tree)",
		Long: `diff compares the metrics of two refs, each read from the store by its signatures without
checking anything out: A defaults to HEAD and B to the working tree (WORKTREE). It lists every
metric whose value differs, old and new, and the change when both are numbers; --all lists
those that are the same too. A metrics file one side has not computed is said so, with its
state (stale, remote, lost).`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, b := pairOf(args)
			return runMetricsDiff(cmd.Context(), g, opts, a, b)
		},
	}
	opts.addFlags(cmd, "list the metrics that are the same too")
	cmd.ValidArgsFunction = completeRefArgs(g, 2)
	return cmd
}

// pairOf reads [A [B]]: HEAD and the working tree by default.
func pairOf(args []string) (a, b string) {
	a, b = "HEAD", results.Worktree
	if len(args) > 0 {
		a = args[0]
	}
	if len(args) > 1 {
		b = args[1]
	}
	return a, b
}

// readSnapshots reads refs, then asks the default remote about the
// metrics computed nowhere here, unless offline.
func readSnapshots(ctx context.Context, g *globalOptions, refs []string, offline bool) ([]*results.Snapshot, error) {
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return nil, err
	}
	snaps, err := results.Read(ctx, ws, refs)
	if err != nil {
		return nil, err
	}
	return snaps, askRemote(ctx, g, ws, snaps, offline)
}

// askRemote marks the stale metrics files of snaps the default remote
// holds, and reads their values from there, unless offline. A remote that cannot be asked is a warning, as in
// status: it only tells stale from remote.
func askRemote(ctx context.Context, g *globalOptions, ws *workspace.Workspace, snaps []*results.Snapshot, offline bool) error {
	if offline || !results.AnyStale(snaps) {
		return nil
	}
	closeRemote, err := ws.UseDefaultRemote(ctx, false)
	if err == nil {
		defer closeRemote()
		err = results.MarkRemote(ctx, ws, snaps)
	}
	if err == nil {
		err = results.PeekRemote(ctx, ws, snaps)
	}
	if err != nil {
		if !remoteUnavailable(err) || ctx.Err() != nil {
			return err
		}
		fmt.Fprintf(g.stderr, "git dds: warning: %v; showing local states only\n", err)
	}
	return nil
}

func runMetricsShow(ctx context.Context, g *globalOptions, opts *resultsOptions, refs []string) error {
	snaps, err := readSnapshots(ctx, g, refs, opts.offline)
	if err != nil {
		return err
	}
	if g.json {
		err = g.printJSON(snaps)
	} else {
		err = g.report(func(w io.Writer) { printMetricsShow(w, snaps, opts.md) })
	}
	if err != nil {
		return err
	}
	return results.UnreadableErrors(snaps)
}

// metricsFile is one metrics path and the stage that writes it.
type metricsFile struct{ path, stage string }

// filesOf lists the metrics files of snaps in path order, each once.
func filesOf(snaps []*results.Snapshot) []metricsFile {
	seen := map[string]bool{}
	var files []metricsFile
	for _, s := range snaps {
		for _, f := range s.Files {
			if !seen[f.Path] {
				seen[f.Path] = true
				files = append(files, metricsFile{f.Path, f.Stage})
			}
		}
	}
	slices.SortFunc(files, func(a, b metricsFile) int { return strings.Compare(a.path, b.path) })
	return files
}

func printMetricsShow(w io.Writer, snaps []*results.Snapshot, md bool) {
	files := filesOf(snaps)
	if len(files) == 0 {
		fmt.Fprintf(w, "No metrics files: a stage declares them under metrics: in dds.yaml\n")
		return
	}
	states := map[results.State]bool{}
	for i, file := range files {
		if i > 0 {
			fmt.Fprintln(w)
		}
		names := map[string]bool{}
		for _, s := range snaps {
			if f, ok := s.File(file.path); ok {
				for name := range f.Values {
					names[name] = true
				}
			}
		}
		t := &table{header: append([]string{"ref", "state"}, sortedNames(names)...)}
		for _, s := range snaps {
			f, ok := s.File(file.path)
			if !ok {
				continue
			}
			states[f.State] = true
			row := []string{s.Label(), string(f.State)}
			for _, name := range t.header[2:] {
				row = append(row, cell(f.Values, name))
			}
			t.add(row...)
		}
		if md {
			fmt.Fprintf(w, "#### `%s` (stage %s)\n\n", file.path, file.stage)
		} else {
			fmt.Fprintf(w, "%s (stage %s)\n", file.path, file.stage)
		}
		t.print(w, md, "  ")
	}
	printStateNotes(w, states, md)
}

// cell is a value as a table shows it: "-" when there is none.
func cell(m metrics.Metrics, name string) string {
	v, ok := m[name]
	if !ok {
		return "-"
	}
	return v.String()
}

// stateNotes says what to do about each of states that is not computed.
func stateNotes(states map[results.State]bool) []string {
	notes := []struct {
		state results.State
		text  string
	}{
		{results.Stale, "stale: not computed here nor on the remote; git dds run on that ref computes it"},
		{results.Remote, "remote: not computed here, values read from the default remote; git dds fetch --rev REF brings the computation"},
		{results.Lost, "lost: recorded, but its object is gone from the store; git dds fetch --rev REF or git dds run on that ref brings it back"},
		{results.Unreadable, "unreadable: not a metrics file git dds reads; the error below says where"},
	}
	var texts []string
	for _, n := range notes {
		if states[n.state] {
			texts = append(texts, n.text)
		}
	}
	return texts
}

// printStateNotes prints stateNotes under a table.
func printStateNotes(w io.Writer, states map[results.State]bool, md bool) {
	for i, text := range stateNotes(states) {
		if i == 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s%s\n", bullet(md), text)
	}
}

func runMetricsDiff(ctx context.Context, g *globalOptions, opts *resultsOptions, a, b string) error {
	snaps, err := readSnapshots(ctx, g, []string{a, b}, opts.offline)
	if err != nil {
		return err
	}
	changes := results.DiffMetrics(snaps[0], snaps[1], opts.all)
	if g.json {
		err = g.printJSON(struct {
			A       *results.Snapshot      `json:"a"`
			B       *results.Snapshot      `json:"b"`
			Changes []results.MetricChange `json:"changes"`
		}{snaps[0], snaps[1], changes})
	} else {
		err = g.report(func(w io.Writer) { printMetricsDiff(w, snaps[0], snaps[1], changes, opts.md) })
	}
	if err != nil {
		return err
	}
	return results.UnreadableErrors(snaps)
}

func printMetricsDiff(w io.Writer, a, b *results.Snapshot, changes []results.MetricChange, md bool) {
	if len(changes) == 0 {
		fmt.Fprintf(w, "No metric differs between %s and %s\n", a.Label(), b.Label())
	} else {
		t := &table{header: []string{"path", "metric", a.Label(), b.Label(), "change"}}
		for _, c := range changes {
			t.add(c.Path, c.Name, valueCell(c.Old), valueCell(c.New), changeCell(c.Change))
		}
		t.print(w, md, "")
	}
	states := map[results.State]bool{}
	first := true
	for _, file := range filesOf([]*results.Snapshot{a, b}) {
		for _, s := range []*results.Snapshot{a, b} {
			f, ok := s.File(file.path)
			if !ok || f.State == results.Computed {
				continue
			}
			if first {
				fmt.Fprintln(w)
				first = false
			}
			states[f.State] = true
			fmt.Fprintf(w, "%s%s (stage %s) is %s on %s\n", bullet(md), file.path, file.stage, f.State, s.Label())
		}
	}
	printStateNotes(w, states, md)
}

func bullet(md bool) string {
	if md {
		return "- "
	}
	return ""
}

func valueCell(v *metrics.Value) string {
	if v == nil {
		return "-"
	}
	return v.String()
}

// changeCell gives a change with its sign, to six significant digits:
// 0.91 - 0.9 is 0.010000000000000009 in floating point.
func changeCell(d *float64) string {
	if d == nil {
		return "-"
	}
	s := strconv.FormatFloat(*d, 'g', 6, 64)
	if *d > 0 {
		s = "+" + s
	}
	return s
}

func sortedNames(m map[string]bool) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
