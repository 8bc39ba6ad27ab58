package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/history"
	"github.com/git-dds/git-dds/internal/ui"
)

type logOptions struct {
	all bool
}

func newLogCommand(g *globalOptions) *cobra.Command {
	opts := &logOptions{}
	cmd := &cobra.Command{
		Use:   "log PATH|STAGE",
		Short: "List the computations of an output or stage over history, newest first",
		Long: `git dds log lists the computations of a stage, newest first; an output
path (a file, a folder output, or a path inside one, relative to the
current folder) names the stage that writes it. For each: its signature,
when it was computed, the commit of the branch that first gave the stage
this signature (or, for one no commit gives, the commit HEAD was at), how
long it took, what it wrote, and what changed from the computation below
it, in the words of git dds status -v:

    2 computations of out/clean.csv (stage clean) on main, newest first:
      ded816140689  2025-11-25 16:14:42  commit b3acfe2          33ms       38 B
          params.yaml:clean.impute: "mean" -> "median"
      ca94ac63fde8  2025-11-25 16:14:41  commit 49c9cf0          40ms       36 B
          the oldest listed

A computation git dds run cut off says so under what changed, with the
computation whose outputs it took ("cut off: clean wrote the same bytes;
the outputs of 3e1f0a9b8c7d"); its duration and size are those of that
computation.

By default only the computations whose signature the current branch
gives the stage are listed: those of the first-parent commits of HEAD
(the last 1000 at most; the output says when it stopped there) and of
the working tree. --all lists every computation this clone recorded,
those only other branches reached marked "not on BRANCH". A stage no
longer in dds.yaml is still found by its name.

--json prints:

    {"stage", "path"?, "branch", "commits", "truncated", "all",
      "computations": [{"signature", "stage", "commit", "first_commit",
      "time", "seconds", "bytes", "host", "outputs": [{"path",
      "content_id", "size", "dir"?}], "changed", "why", "cut_off"?:
      {"signature", "upstream"}, "current", "on_branch"}]}

Exit status: 2 when the argument names no stage, no output and no
recorded stage.`,
		Example: `  # the computations of the stage that writes out/model.pkl
  git dds log out/model.pkl

  # every computation of the stage train, on any branch
  git dds log train --all`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{err: fmt.Errorf("%s takes one output path or stage name, got %d arguments", cmd.CommandPath(), len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLog(cmd.Context(), g, opts, args[0])
		},
	}
	cmd.Flags().BoolVar(&opts.all, "all", false, "list the computations of every branch, not only the current one's")
	return cmd
}

func runLog(ctx context.Context, g *globalOptions, opts *logOptions, target string) error {
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return err
	}
	cwd, err := filepath.Abs(g.dir)
	if err != nil {
		return err
	}
	// The repository root is a real path; so must the folder be that a
	// relative path is read from.
	if real, err := filepath.EvalSymlinks(cwd); err == nil {
		cwd = real
	}
	log, err := history.Read(ctx, ws, target, history.Options{All: opts.all, Cwd: cwd})
	if err != nil {
		return err
	}
	if g.json {
		return g.printJSON(log)
	}
	return g.report(func(w io.Writer) { printLog(w, log) })
}

func printLog(w io.Writer, log *history.Log) {
	what := "stage " + log.Stage
	if log.Path != "" {
		what = fmt.Sprintf("%s (stage %s)", log.Path, log.Stage)
	}
	where := "on " + log.Branch
	if log.All {
		where = "on every branch"
	}
	if len(log.Computations) == 0 {
		fmt.Fprintf(w, "No computation of %s %s", what, where)
		if log.Truncated && !log.All {
			fmt.Fprintf(w, " in its last %d commits", log.Commits)
		}
		if !log.All {
			fmt.Fprint(w, "; git dds log --all lists those of every branch")
		}
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintf(w, "%s of %s %s, newest first", ui.Count(len(log.Computations), "computation"), what, where)
	if log.Truncated {
		fmt.Fprintf(w, " (read the last %d commits)", log.Commits)
	}
	fmt.Fprintln(w, ":")
	for i, c := range log.Computations {
		// The commit of the branch that brought this signature, else the
		// commit HEAD was at when it was computed.
		commit := "before any commit"
		switch {
		case c.FirstCommit != "":
			commit = "commit " + ui.ShortCommit(c.FirstCommit)
		case c.Current:
			commit = "uncommitted"
		case c.Commit != "":
			commit = "at " + ui.ShortCommit(c.Commit)
		}
		var notes []string
		if c.Current {
			notes = append(notes, "the working tree's")
		}
		if log.All && !c.OnBranch {
			notes = append(notes, "not on "+log.Branch)
		}
		note := ""
		if len(notes) > 0 {
			note = "  (" + strings.Join(notes, ", ") + ")"
		}
		// Fixed widths rather than a tabwriter: the lines of what changed
		// sit between rows and would split its columns.
		fmt.Fprintf(w, "  %-12s  %s  %-18s  %8s  %9s%s\n", ui.ShortID(c.Signature), c.Time.Format("2006-01-02 15:04:05"), commit,
			ui.Seconds(c.Seconds), ui.Bytes(c.Bytes), note)
		switch {
		case i == len(log.Computations)-1:
			fmt.Fprintln(w, "      the oldest listed")
		case len(c.Why) == 0:
			fmt.Fprintln(w, "      same inputs as the one below")
		}
		for _, why := range c.Why {
			fmt.Fprintf(w, "      %s\n", why)
		}
		for _, u := range c.Undeclared {
			fmt.Fprintf(w, "      audit: %s\n", undeclaredRead(u))
		}
		if c.CutOff != nil {
			fmt.Fprintf(w, "      cut off: %s; the outputs of %s\n", c.CutOff.Reason(), ui.ShortID(c.CutOff.Signature))
		}
	}
}
