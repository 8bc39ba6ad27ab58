package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/graph"
	"github.com/git-dds/git-dds/internal/ui"
	"github.com/git-dds/git-dds/internal/workspace"
)

type previewOptions struct {
	into    string
	format  string
	offline bool
}

func newMergePreviewCommand(g *globalOptions) *cobra.Command {
	opts := &previewOptions{}
	cmd := &cobra.Command{
		Use:   "merge-preview BRANCH",
		Short: "Show what merging BRANCH would promote, compute and remove, without merging",
		Long: `git dds merge-preview says what merging BRANCH into --into (default: the
current branch) would do to each stage. It evaluates the tree git merge
would make (merge-tree --write-tree), without touching HEAD, the index,
the working tree or any ref:

    unchanged  the merged tree gives the stage the target's signature
    promote    a new signature already computed: here (available: local),
               and the merge brings its artifacts with no run; or only in
               the remote (available: remote), and git dds pull or git dds
               run brings them with no run
    compute    a new signature computed nowhere, or a stage whose deps
               conflict (named in conflicts)
    remove     the merge drops the stage

Estimates of bytes and seconds come from the computation a promoted
stage brings, and for any other stage from the last computation of the
same stage. With a remote configured, the stages to compute are looked
for in the default remote; --offline does not ask it, and counts them as
compute. A remote that cannot be asked is a warning, as in status. A
stage to compute that git dds run may cut off says so, as in status,
against the default remote's computations too unless --offline; it
stays compute, and estimates never count on a cut-off. cut_off in --json
is ready, remote or possible, as in status.

--format markdown prints a table to paste in a pull request; dot, mermaid
or html draw the merged DAG with each stage coloured by its action, as
git dds graph draws it.

--json prints:

    {"source", "target", "conflicts": [...], "stages": [{"name",
      "signature", "action", "available", "estimated_bytes",
      "estimated_seconds", "conflicts"?, "cut_off"?}], "metrics": null or
      {"changes": [{"path", "name", "old", "new", "change"}], "files": [...]}}

For each promoted stage that declares metrics (metrics: in dds.yaml), the
table and the markdown then list the metrics the merge changes, target
against merged, read from the store (or from the default remote, as
git dds metrics diff reads them); a metrics file that cannot be read
exits 2 after the preview.

Exit status: 0 whatever the answer; 2 for a BRANCH or --into that names
no commit; 3 in a shallow clone whose history stops before the commit
both sides share (it says how to deepen the clone).`,
		Example: `  # what merging the branch exp into the current one would do
  git dds merge-preview exp

  # a table for the description of a pull request into main
  git dds merge-preview exp --into main --format markdown

  # the merged DAG, as a page to open in a browser
  git dds merge-preview exp --format html > preview.html`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMergePreview(cmd.Context(), g, opts, args[0])
		},
	}
	cmd.Flags().StringVar(&opts.into, "into", "HEAD", "the branch the merge would go into")
	cmd.Flags().StringVar(&opts.format, "format", "table", "table, markdown (a table to paste in a pull request), or a graph of the merged DAG: dot, mermaid or html")
	cmd.Flags().BoolVar(&opts.offline, "offline", false, "do not ask the remote which stages to compute it holds")
	return cmd
}

func runMergePreview(ctx context.Context, g *globalOptions, opts *previewOptions, branch string) error {
	graphFormat, isGraph := graph.Format(""), false
	if opts.format != "table" && opts.format != "markdown" {
		f, err := graph.ParseFormat(opts.format)
		if err != nil {
			return usageError{err: fmt.Errorf("--format takes table, markdown, dot, mermaid or html, got %q", opts.format)}
		}
		graphFormat, isGraph = f, true
	}
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return err
	}
	closeRemote, err := ws.UseDefaultRemote(ctx, opts.offline)
	if err != nil {
		return err
	}
	defer closeRemote()
	pv, err := ws.MergePreview(ctx, branch, opts.into)
	if err != nil && ws.Remote != nil && remoteUnavailable(err) && ctx.Err() == nil {
		// As in status: what is local is right without the remote.
		fmt.Fprintf(g.stderr, "git dds: warning: %v; showing local states only\n", err)
		ws.Remote = nil
		pv, err = ws.MergePreview(ctx, branch, opts.into)
	}
	if err != nil {
		return err
	}
	if opts.into == "HEAD" {
		if ref, _, err := ws.Repo.Head(); err == nil && ref != "" {
			pv.Target = strings.TrimPrefix(ref, "refs/heads/")
		}
	}
	var deltas *previewMetrics
	if !isGraph {
		if deltas, err = promotedMetrics(ctx, ws, pv, opts.into); err != nil {
			return err
		}
	}
	switch {
	case g.json:
		err = g.printJSON(struct {
			*workspace.Preview
			Metrics *previewMetrics `json:"metrics"`
		}{pv, deltas})
	case isGraph:
		return graph.Write(g.stdout, previewGraph(pv), graphFormat)
	case opts.format == "markdown":
		err = g.report(func(w io.Writer) { printPreviewMarkdown(w, pv); printPreviewMetrics(w, deltas, true) })
	default:
		err = g.report(func(w io.Writer) { printPreviewTable(w, pv); printPreviewMetrics(w, deltas, false) })
	}
	if err != nil || deltas == nil {
		return err
	}
	return deltas.unreadable
}

func previewWhy(s workspace.PreviewStage) string {
	estimate := "no estimate: never computed"
	if s.Known {
		estimate = fmt.Sprintf("~%s, ~%s", ui.Seconds(s.EstimatedSeconds), ui.Bytes(s.EstimatedBytes))
	}
	switch s.Action {
	case workspace.Promote:
		return fmt.Sprintf("computed (%s), %s of compute saved", s.Available, ui.Seconds(s.EstimatedSeconds))
	case workspace.Compute:
		if len(s.Conflicts) > 0 {
			return "conflict in " + strings.Join(s.Conflicts, ", ") + "; " + estimate
		}
		switch s.CutOff {
		case workspace.CutOffReady:
			return estimate + "; run cuts it off: same upstream bytes"
		case workspace.CutOffRemote:
			return estimate + "; run cuts it off: same upstream bytes, in the remote"
		case workspace.CutOffPossible:
			return estimate + "; may cut off"
		}
		return estimate
	}
	return ""
}

func printPreviewTable(w io.Writer, pv *workspace.Preview) {
	fmt.Fprintf(w, "Merging %s into %s:\n", pv.Source, pv.Target)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, s := range pv.Stages {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", s.Name, s.Action, ui.ShortID(s.Signature), previewWhy(s))
	}
	tw.Flush()
	printPreviewTotals(w, pv)
}

func printPreviewMarkdown(w io.Writer, pv *workspace.Preview) {
	fmt.Fprintf(w, "### git dds: merging `%s` into `%s`\n\n", pv.Source, pv.Target)
	fmt.Fprintln(w, "| stage | action | signature | available | estimate |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, s := range pv.Stages {
		fmt.Fprintf(w, "| %s | %s | `%s` | %s | %s |\n", s.Name, s.Action, ui.ShortID(s.Signature), s.Available, previewWhy(s))
	}
	fmt.Fprintln(w)
	printPreviewTotals(w, pv)
}

func printPreviewTotals(w io.Writer, pv *workspace.Preview) {
	counts := map[string]int{}
	var seconds float64
	for _, s := range pv.Stages {
		counts[s.Action]++
		if s.Action == workspace.Compute {
			seconds += s.EstimatedSeconds
		}
	}
	fmt.Fprintf(w, "%d to promote, %d to compute (~%s), %d unchanged, %d removed\n",
		counts[workspace.Promote], counts[workspace.Compute], ui.Seconds(seconds), counts[workspace.Unchanged], counts[workspace.Remove])
	if len(pv.Conflicts) > 0 {
		fmt.Fprintf(w, "conflicts: %s\n", strings.Join(pv.Conflicts, ", "))
	}
}
