package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/experiment"
	"github.com/git-dds/git-dds/internal/interrupt"
	"github.com/git-dds/git-dds/internal/remote"
	"github.com/git-dds/git-dds/internal/ui"
	"github.com/git-dds/git-dds/internal/workspace"
)

func newExpCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "exp",
		Short: "Run parameter sweeps as experiments that never touch your branch, compare and keep them",
		Long: `exp runs parameter sweeps. Each combination of the values given with -S is
an experiment: a commit parented on HEAD whose params file holds those
values, on a hidden ref refs/dds/exp/NAME, computed in a temporary worktree.
Your branch, git's index and your working tree are never touched, even
when a sweep is interrupted. Signatures are reused as always: a stage an
experiment shares with HEAD, or with another experiment, executes once.

Experiments show in git dds compare (as dds/exp/NAME), are kept by git dds
gc while their ref exists, and become a branch with exp branch, whose
merge then promotes their outputs with nothing computed again.`,
		Example: `  # three learning rates times two depths, two at a time
  git dds exp run -S train.lr=0.05,0.1,0.2 -S model.depth=3,5 -j 2

  # compare them, best first
  git dds exp show --sort -metrics.json:auc

  # keep the best one: a branch, then a merge that computes nothing
  git dds exp branch lr=0.1,depth=5 better-lr
  git merge better-lr

  # drop the others, then free what only they held
  git dds exp gc && git dds gc`,
		Args: unknownCommand,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newExpRunCommand(g), newExpShowCommand(g), newExpListCommand(g), newExpBranchCommand(g),
		newExpRmCommand(g), newExpGCCommand(g), newExpPushCommand(g), newExpPullCommand(g))
	return cmd
}

type expRunOptions struct {
	sets    []string
	jobs    int
	name    string
	offline bool
}

func newExpRunCommand(g *globalOptions) *cobra.Command {
	opts := &expRunOptions{}
	cmd := &cobra.Command{
		Use:   "run -S [FILE:]KEY=VALUE[,VALUE...]...",
		Short: "Run a parameter sweep: one experiment per combination of -S values",
		Long: `exp run makes one experiment per combination of the -S values (their
cartesian product: -S a=1,2 -S b=3,4 makes four) and computes each as git
dds run would, up to N experiments at once (-j N), each in a temporary
worktree, removed after.

Each experiment is a commit whose parent is HEAD and whose tree is the
working tree's tracked files with the params values set; refs/dds/exp/NAME
points at it. NAME is KEY=VALUE for each -S, joined by commas (the key's
last part when that is unambiguous: lr=0.1,depth=5), after --name PREFIX-
when given. Running the same sweep again makes the experiments anew on
the current HEAD, under the same names.

-S KEY=VALUES sets KEY in the params file in which a stage declares it
(under params: in dds.yaml); -S FILE:KEY=VALUES names the file. Only the
value's bytes change in the file: comments, order and layout stay. A value
that reads as a number, true, false or null is written as one, any other as
a string. KEY must be in the file already.

Uncommitted changes to tracked files are in every experiment, as in
DVC's exp run: edited and deleted files, staged changes and staged new
files, as git commit -a would take them; your branch, git's index and
working tree stay as they were. A params file with uncommitted edits is
the base on which -S sets its key: its other edits stay. Untracked files
are left out, with a warning naming them (git add those an experiment
needs); ignored files are not mentioned. A file in a merge conflict is
refused.

Every experiment shares the repository's store and index: a stage whose
signature was computed anywhere (on a branch, by another experiment, by
a teammate on the remote) is reused or pulled, not executed, and two
experiments running a stage of the same signature at once execute it
once. A stage's output lines start with [NAME].

Ctrl-C (SIGINT) or SIGTERM stops the executing stages as git dds run
does; every temporary worktree is removed, and the experiments' refs
made so far stay (git dds exp rm drops them). A worktree a killed sweep
left is removed by the next one.

One line per experiment says what it computed; --json prints:

    [{"name", "ref", "commit", "params": [{"file", "key", "value"}],
      "result": {"stages": [...]}, "error"?}]

Exit status: 1 when a stage of an experiment failed; 2 for a bad -S, a
key no stage declares, or a merge conflict; 130 when interrupted by
Ctrl-C, 143 by SIGTERM.`,
		Example: `  # three learning rates
  git dds exp run -S train.lr=0.05,0.1,0.2

  # a grid of six, two experiments at once, named sweep1-...
  git dds exp run -S train.lr=0.05,0.1,0.2 -S model.depth=3,5 -j 2 --name sweep1

  # a key of a file no stage names for it
  git dds exp run -S params.yaml:seed=1,2,3`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runExpRun(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringArrayVarP(&opts.sets, "set-param", "S", nil, "a params key and the values to sweep it over: [FILE:]KEY=V1,V2...")
	cmd.Flags().IntVarP(&opts.jobs, "jobs", "j", 1, "compute up to N experiments at once")
	cmd.Flags().StringVar(&opts.name, "name", "", "start each experiment's name with PREFIX-")
	cmd.Flags().BoolVar(&opts.offline, "offline", false, "neither pull from the remote nor take leases there")
	g.addQuiet(cmd)
	return cmd
}

func runExpRun(ctx context.Context, g *globalOptions, opts *expRunOptions) error {
	if opts.jobs < 1 {
		return usageError{err: fmt.Errorf("-j takes a number of experiments of at least 1, got %d", opts.jobs)}
	}
	if len(opts.sets) == 0 {
		return usageError{err: errors.New("nothing to sweep: give at least one -S KEY=VALUE[,VALUE...]")}
	}
	var sets []experiment.Set
	for _, s := range opts.sets {
		set, err := experiment.ParseSet(s)
		if err != nil {
			return usageError{err: err}
		}
		sets = append(sets, set)
	}
	if opts.name != "" && strings.ContainsAny(opts.name, "/ ") {
		return usageError{err: fmt.Errorf("--name %q: a prefix holds no slash and no space", opts.name)}
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
	exps, err := experiment.Run(ctx, ws, experiment.Options{Sets: sets, Jobs: opts.jobs, Prefix: opts.name,
		Stderr: g.stderr, Verbose: g.progress() != nil})
	if exps == nil || interrupt.Of(ctx) != nil {
		return err
	}
	if g.json {
		if jerr := g.printJSON(exps); jerr != nil {
			return jerr
		}
	} else if !g.quiet {
		printExpRun(g.stdout, exps)
	}
	if errors.Is(err, experiment.ErrFailed) {
		return answerNo{}
	}
	return err
}

func printExpRun(w io.Writer, exps []*experiment.Experiment) {
	t := &table{header: []string{"experiment", "result"}}
	for _, e := range exps {
		t.add(e.Name, expSummary(e))
	}
	t.print(w, false, "")
	fmt.Fprintln(w, "\ngit dds exp show compares them; git dds exp branch NAME BRANCH keeps one")
}

// expSummary is run's summary line for one experiment.
func expSummary(e *experiment.Experiment) string {
	if e.Result == nil {
		if e.Err != nil {
			return "failed: " + e.Err.Error()
		}
		return "not run"
	}
	counts := map[workspace.Action]int{}
	var seconds float64
	for _, s := range e.Result.Stages {
		counts[s.Action]++
		seconds += s.Seconds
	}
	var b strings.Builder
	fmt.Fprintf(&b, "executed %d", counts[workspace.Executed])
	if counts[workspace.CutOff] > 0 {
		fmt.Fprintf(&b, ", cut off %d", counts[workspace.CutOff])
	}
	fmt.Fprintf(&b, ", reused %d", counts[workspace.Reused])
	if counts[workspace.Pulled] > 0 {
		fmt.Fprintf(&b, ", pulled %d", counts[workspace.Pulled])
	}
	if counts[workspace.Failed] > 0 {
		fmt.Fprintf(&b, ", failed %d", counts[workspace.Failed])
	}
	if counts[workspace.Skipped] > 0 {
		fmt.Fprintf(&b, ", not run %d", counts[workspace.Skipped])
	}
	fmt.Fprintf(&b, " (%s of compute)", ui.Seconds(seconds))
	return b.String()
}

func newExpShowCommand(g *globalOptions) *cobra.Command {
	opts := &compareOptions{}
	cmd := &cobra.Command{
		Use:   "show [NAME...]",
		Short: "Compare HEAD and the experiments in one table, as git dds compare does",
		Long: `exp show is git dds compare over HEAD and every experiment (or the ones
named): a row per experiment (dds/exp/NAME), a column per params key that
differs and per metric, and each one's state, read from the store without
a checkout. It takes compare's flags: --sort, --md, --json, --html, -o,
--open, --offline.`,
		Example: `  # every experiment, best first
  git dds exp show --sort -metrics.json:auc

  # two of them, as a Markdown table
  git dds exp show lr=0.1 lr=0.2 --md`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExpShow(cmd.Context(), g, opts, args)
		},
	}
	opts.addFlags(cmd, "")
	cmd.ValidArgsFunction = completeExpNames(g, -1)
	cmd.Flags().BoolVar(&opts.html, "html", false, "print a self-contained HTML page with the table, sortable by a click on a column")
	cmd.Flags().StringVarP(&opts.output, "output", "o", "", "write the HTML page to FILE")
	cmd.Flags().BoolVar(&opts.open, "open", false, "write the HTML page and open it in the browser, when there is one")
	cmd.Flags().StringVar(&opts.sort, "sort", "", "order the rows by this column (PATH:NAME or FILE:KEY), descending with a leading -")
	return cmd
}

func runExpShow(ctx context.Context, g *globalOptions, opts *compareOptions, names []string) error {
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return err
	}
	infos, err := experiment.Select(ctx, ws, names)
	if err != nil {
		return err
	}
	refs := []string{"HEAD"}
	if ref, _, err := ws.Repo.Head(); err == nil && strings.HasPrefix(ref, "refs/heads/") {
		refs[0] = strings.TrimPrefix(ref, "refs/heads/")
	}
	for _, in := range infos {
		refs = append(refs, experiment.Rev(in.Name))
	}
	return compareRefs(ctx, g, ws, opts, refs, len(names) == 0)
}

func newExpListCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the experiments, oldest first",
		Long: `exp list prints one line per experiment: its name, its commit, the commit
it was made on and its age. --json prints:

    [{"name", "ref", "commit", "parent", "time"}]`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ws, err := openWorkspace(cmd.Context(), g)
			if err != nil {
				return err
			}
			infos, err := experiment.List(cmd.Context(), ws.Repo)
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(infos)
			}
			return g.report(func(w io.Writer) {
				if len(infos) == 0 {
					fmt.Fprintln(w, "No experiment; git dds exp run -S KEY=VALUE,... makes some")
					return
				}
				t := &table{header: []string{"name", "commit", "on", "made"}}
				for _, in := range infos {
					t.add(in.Name, ui.ShortID(in.Commit), ui.ShortID(in.Parent), ui.Duration(time.Since(time.Unix(in.Time, 0)).Round(time.Second))+" ago")
				}
				t.print(w, false, "")
			})
		},
	}
}

func newExpBranchCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "branch NAME BRANCH",
		Short: "Make a branch of an experiment, to merge it",
		Long: `exp branch makes the branch BRANCH at the commit of the experiment NAME
(which must not exist yet). Merging it then promotes the experiment's
outputs, which are recorded under its signatures: nothing is computed
again (git dds merge-preview BRANCH says so first).`,
		Example: `  git dds exp branch lr=0.1 better-lr
  git merge better-lr`,
		ValidArgsFunction: completeExpNames(g, 1),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageError{err: fmt.Errorf("%s takes NAME and BRANCH, got %d arguments", cmd.CommandPath(), len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ws, err := openWorkspace(cmd.Context(), g)
			if err != nil {
				return err
			}
			in, err := experiment.Branch(cmd.Context(), ws.Repo, args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(g.summary(), "branch %s made at %s, experiment %s; git merge %s promotes it\n", args[1], ui.ShortID(in.Commit), in.Name, args[1])
			return nil
		},
	}
}

func newExpRmCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "rm NAME...",
		Short: "Remove experiments",
		Long: `exp rm deletes the refs of the experiments named. What only they held in
the store is then collected by the next git dds gc.`,
		Example:           `  git dds exp rm lr=0.05 lr=0.2 && git dds gc`,
		ValidArgsFunction: completeExpNames(g, -1),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{err: fmt.Errorf("%s takes the names of the experiments to remove", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ws, err := openWorkspace(cmd.Context(), g)
			if err != nil {
				return err
			}
			if err := experiment.Remove(cmd.Context(), ws.Repo, args); err != nil {
				return err
			}
			fmt.Fprintf(g.summary(), "removed %s\n", ui.Count(len(args), "experiment"))
			return nil
		},
	}
}

type expGCOptions struct {
	keep      []string
	olderThan time.Duration
}

func newExpGCCommand(g *globalOptions) *cobra.Command {
	opts := &expGCOptions{}
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Remove every experiment but those kept",
		Long: `exp gc removes every experiment except those named with --keep, and with
--older-than only those made longer ago than that. What only they held in
the store is then collected by the next git dds gc. --json prints the
experiments removed, as exp list does.`,
		Example: `  # keep one, drop the rest, free the space
  git dds exp gc --keep lr=0.1 && git dds gc

  # drop the experiments older than a week
  git dds exp gc --older-than 168h`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.olderThan < 0 {
				return usageError{err: fmt.Errorf("--older-than %s: a duration is not negative", opts.olderThan)}
			}
			ws, err := openWorkspace(cmd.Context(), g)
			if err != nil {
				return err
			}
			removed, err := experiment.GC(cmd.Context(), ws.Repo, opts.keep, opts.olderThan, time.Now())
			if g.json && err == nil {
				if removed == nil {
					removed = []experiment.Info{}
				}
				return g.printJSON(removed)
			}
			fmt.Fprintf(g.summary(), "removed %s\n", ui.Count(len(removed), "experiment"))
			return err
		},
	}
	cmd.Flags().StringArrayVar(&opts.keep, "keep", nil, "an experiment to keep (repeat for several)")
	_ = cmd.RegisterFlagCompletionFunc("keep", completeExpNames(g, -1))
	cmd.Flags().DurationVar(&opts.olderThan, "older-than", 0, "remove only experiments made longer ago than this (e.g. 168h)")
	g.addQuiet(cmd)
	return cmd
}

// expShareArgs splits [REMOTE] [NAME...]: the first word is the git remote
// when git knows a remote of that name, else origin is.
func expShareArgs(ctx context.Context, ws *workspace.Workspace, args []string) (string, []string, error) {
	remotes, err := ws.Repo.GitRemotes(ctx)
	if err != nil {
		return "", nil, err
	}
	if len(args) > 0 && slices.Contains(remotes, args[0]) {
		return args[0], args[1:], nil
	}
	if !slices.Contains(remotes, "origin") {
		return "", nil, usageError{err: errors.New("no git remote named origin; name the remote: git dds exp push REMOTE [NAME...]")}
	}
	return "origin", args, nil
}

func newExpPushCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "push [REMOTE] [NAME...]",
		Short: "Share experiments: their refs to the git remote, their artifacts to the dds remote",
		Long: `exp push uploads the artifacts of the experiments named (all when none is)
to the dds remote named like the git remote REMOTE (default origin), else
the default one, then pushes their refs, refs/dds/exp/NAME, to REMOTE,
replacing those of the same names there. A teammate's git dds exp pull
then brings both.`,
		Example: `  git dds exp push
  git dds exp push origin lr=0.1`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, g)
			if err != nil {
				return err
			}
			gitRemote, names, err := expShareArgs(ctx, ws, args)
			if err != nil {
				return err
			}
			infos, err := experiment.Select(ctx, ws, names)
			if err != nil {
				return err
			}
			r, err := ws.OpenRemote(ctx, remote.Request{GitRemote: gitRemote, Purpose: remote.IfConfigured, Push: true})
			if err != nil {
				return err
			}
			if r != nil {
				defer r.Close()
			}
			res, err := experiment.Push(ctx, ws, r, gitRemote, infos, g.progress())
			if err != nil {
				return err
			}
			return g.printExpShare(infos, res, fmt.Sprintf("pushed %s to %s", ui.Count(len(infos), "experiment"), gitRemote),
				workspace.Uploaded, workspace.Present)
		},
	}
}

func newExpPullCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "pull [REMOTE] [NAME...]",
		Short: "Fetch experiments: their refs from the git remote, their artifacts from the dds remote",
		Long: `exp pull fetches the refs of the experiments named (all when none is) from
the git remote REMOTE (default origin), replacing local ones of the same
names, then downloads their artifacts into the store from the dds remote
named like REMOTE, else the default one. The working tree is left alone:
git dds exp show compares them, git dds exp branch keeps one.`,
		Example: `  git dds exp pull
  git dds exp pull origin lr=0.1`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, g)
			if err != nil {
				return err
			}
			gitRemote, names, err := expShareArgs(ctx, ws, args)
			if err != nil {
				return err
			}
			r, err := ws.OpenRemote(ctx, remote.Request{GitRemote: gitRemote, Purpose: remote.IfConfigured})
			if err != nil {
				return err
			}
			if r != nil {
				defer r.Close()
			}
			infos, res, err := experiment.Pull(ctx, ws, r, gitRemote, names, g.progress())
			if err != nil {
				return err
			}
			return g.printExpShare(infos, res, fmt.Sprintf("pulled %s from %s", ui.Count(len(infos), "experiment"), gitRemote),
				workspace.Downloaded, workspace.Local)
		},
	}
}

// printExpShare reports an exp push or pull: the experiments and the
// artifacts' transfer as JSON, or summary and, when a dds remote took
// part, the count of each of actions.
func (g *globalOptions) printExpShare(infos []experiment.Info, res *workspace.TransferResult, summary string, actions ...workspace.Action) error {
	if g.json {
		return g.printJSON(map[string]any{"experiments": infos, "artifacts": res})
	}
	fmt.Fprint(g.summary(), summary)
	if res != nil {
		fmt.Fprint(g.summary(), ", artifacts:")
		for i, a := range actions {
			sep := " "
			if i > 0 {
				sep = ", "
			}
			fmt.Fprintf(g.summary(), "%s%d %s", sep, res.Count(a), a)
		}
	}
	fmt.Fprintln(g.summary())
	return nil
}
