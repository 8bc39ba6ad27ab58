package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/maintenance"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/remote"
	"github.com/git-dds/git-dds/internal/ui"
	"github.com/git-dds/git-dds/internal/workspace"
)

type gcOptions struct {
	dryRun      bool
	keep        string
	keepCommits int
	remote      string
	lake        bool
	force       bool
	grace       time.Duration
}

func newGCCommand(g *globalOptions) *cobra.Command {
	opts := &gcOptions{}
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Drop the records and objects no kept ref needs, and say the bytes freed",
		Long: `git dds gc drops every record, and then every object, that nothing kept
needs, and says how many bytes that freed. Kept:

- the view (every stage's signature) of the tip of every local branch,
  tag, remote-tracking branch, experiment (git dds exp list), worktree
  HEAD (linked worktrees included) and stash entry; with --keep current,
  of HEAD only;
- with --keep-commits N, the views of the last N commits of each local
  branch (of HEAD with --keep current);
- the view of the working tree, as git dds status sees it: what run
  computed before the next commit survives;
- whatever git dds placed in any working tree, so that nothing in place
  disappears from under its user;
- the files pinned with git dds add in the working tree and in every
  kept commit (here and, with --remote, in the remote);
- for each kept record, its objects: for a folder output, the manifest
  and every file it lists.

A commit without dds.yaml keeps nothing; one whose dds.yaml is invalid is
skipped with a warning naming it. Views are computed in gc's environment:
a stage that declares env: [SEED] is kept for the value of SEED gc sees.
--dry-run prints the same figures and deletes nothing.

gc is safe beside any other git dds command: it decides and deletes while
holding the index, records before objects, and keeps every unneeded
object that changed in the second before it started or since, for a run
beside it may be about to record it. With a store shared by several
clones (dds.dir), gc cannot see the other clones' refs: it also keeps
every branch namespace their hooks saved, and says so.

--remote NAME collects that remote instead of the local store, keeping
what the refs this clone knows need (the same --keep and --keep-commits):
every other record goes, then every object no kept record needs, except
objects written less than --grace ago (default 1h), which a push may be
about to record. It needs --force or --dry-run: other clones' unpushed
branches lose their artifacts. It forgets what this clone remembered of
the remote.

--json prints:

    {"dry_run", "keep", "commits", "skipped": [{"commit", "ref",
      "reason"}], "kept_records", "kept_objects", "kept_bytes",
      "dropped_records": [{"stage", "signature"}], "removed_objects",
      "freed_bytes", "recent_objects", "temp_removed", "warnings"}

and with --remote:

    {"remote", "kept_records", "dropped_records": [SIGNATURE],
      "kept_objects", "removed_objects", "freed_bytes", "recent_objects"}

--lake collects the lake instead (dds.lake, else the working tree's
dds.yaml), with the same keep rules: the records of external outputs no
kept commit needs go first, then their prefixes, then every attempt no
record names (a failed or killed run's) older than --grace and whose
signature no run holds: neither a run on this machine (its lock) nor a
run anywhere that holds its lease in the default remote, the one runs
wait on each other through. When that remote does not answer, gc --lake
stops before deleting anything. Only keys of the shape
<sig[:2]>/<sig>/<attempt>/<name>/... are ever deleted: views and
anything else in the bucket stay. It needs --force or --dry-run, as
--remote does; the dry run says how many bytes it would free.

--json with --lake prints:

    {"dry_run", "lake", "kept_prefixes", "kept_bytes", "dropped_records":
      [{"stage", "signature"}], "removed": [URI], "removed_objects",
      "freed_bytes", "recent_prefixes", "leased_prefixes"}

Exit status: 2 for --remote or --lake without --force or --dry-run, or
a bad --keep or --keep-commits.`,
		Example: `  # what would go, deleting nothing
  git dds gc -n

  # keep only what HEAD and the working tree need
  git dds gc --keep current

  # keep the last 10 commits of each branch too
  git dds gc --keep-commits 10

  # shrink the team's remote, knowing what other clones may lose
  git dds gc --remote origin --dry-run
  git dds gc --remote origin --force

  # drop the lake's outputs no ref needs, and failed attempts at once
  git dds gc --lake --dry-run
  git dds gc --lake --force --grace 0s`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGC(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.dryRun, "dry-run", "n", false, "say what would go, and delete nothing")
	cmd.Flags().StringVar(&opts.keep, "keep", maintenance.KeepAllRefs, "which tips to keep: all-refs or current (HEAD only)")
	cmd.Flags().IntVar(&opts.keepCommits, "keep-commits", 0, "also keep the last N commits of each local branch")
	cmd.Flags().StringVar(&opts.remote, "remote", "", "collect the remote NAME instead of the local store (with --force)")
	cmd.Flags().BoolVar(&opts.lake, "lake", false, "collect the lake's external outputs instead of the local store (with --force)")
	cmd.Flags().BoolVar(&opts.force, "force", false, "with --remote or --lake: delete, knowing what other clones may lose")
	cmd.Flags().DurationVar(&opts.grace, "grace", maintenance.RemoteGrace, "with --remote or --lake: keep unneeded objects (attempts) written less than this long ago, which a push (a run) may be about to record")
	return cmd
}

func runGC(ctx context.Context, g *globalOptions, opts *gcOptions) error {
	if opts.keep != maintenance.KeepAllRefs && opts.keep != maintenance.KeepCurrent {
		return usageError{err: fmt.Errorf("--keep takes %s or %s, got %q", maintenance.KeepAllRefs, maintenance.KeepCurrent, opts.keep)}
	}
	if opts.keepCommits < 0 {
		return usageError{err: fmt.Errorf("--keep-commits takes a number of commits of at least 0, got %d", opts.keepCommits)}
	}
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return err
	}
	if opts.remote != "" {
		return runGCRemote(ctx, g, ws, opts)
	}
	if opts.lake {
		return runGCLake(ctx, g, ws, opts)
	}
	rep, err := maintenance.GC(ctx, ws, maintenance.GCOptions{DryRun: opts.dryRun, Keep: opts.keep, KeepCommits: opts.keepCommits})
	if err != nil {
		return err
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(g.stderr, "git dds: warning: %s\n", w)
	}
	printSkipped(g, rep.Skipped)
	if g.json {
		return g.printJSON(rep)
	}
	fmt.Fprintf(g.stdout, "kept %s and %s (%s) for %s and the working tree\n",
		ui.Count(rep.KeptRecords, "record"), ui.Count(rep.KeptObjects, "object"), ui.Bytes(rep.KeptBytes),
		ui.Count(rep.Commits, "commit"))
	verb, freed := "removed", "freed"
	if rep.DryRun {
		verb, freed = "would remove", "would free"
	}
	fmt.Fprintf(g.stdout, "%s %s and %s: %s %s\n", verb, ui.Count(len(rep.DroppedRecords), "record"),
		ui.Count(rep.RemovedObjects, "object"), freed, ui.Bytes(rep.FreedBytes))
	if rep.RecentObjects > 0 {
		fmt.Fprintf(g.stdout, "kept %s that changed as gc started (another git dds may be about to record them); the next gc takes them\n",
			ui.Count(rep.RecentObjects, "unneeded object"))
	}
	if rep.TempRemoved > 0 {
		fmt.Fprintf(g.stdout, "removed %s left by interrupted runs\n", ui.Count(rep.TempRemoved, "temporary or idle lock file"))
	}
	if rep.DryRun {
		fmt.Fprintln(g.stdout, "dry run: nothing was deleted")
	}
	return nil
}

func printSkipped(g *globalOptions, skipped []maintenance.SkippedCommit) {
	for _, s := range skipped {
		what := fmt.Sprintf("%s (%s)", s.Ref, ui.ShortID(s.Commit))
		if s.Commit == namespace.WorktreeRev {
			what = s.Ref
		}
		fmt.Fprintf(g.stderr, "git dds: warning: %s skipped, nothing is kept for it: %s\n", what, s.Reason)
	}
}

// lakeGCDanger is why gc --lake wants --force.
const lakeGCDanger = `a lake is shared: gc --lake keeps only the external outputs the refs of this clone need, so ` +
	`those of branches other clones computed go too, and their owners must compute them again; and a run elsewhere ` +
	`may be writing an attempt (attempts written within --grace, an hour by default, are kept to narrow that)`

func runGCLake(ctx context.Context, g *globalOptions, ws *workspace.Workspace, opts *gcOptions) error {
	if !opts.force && !opts.dryRun {
		return usageError{err: fmt.Errorf("gc --lake deletes for everyone: %s; see what would go with --dry-run, then add --force", lakeGCDanger)}
	}
	if opts.grace < 0 {
		return usageError{err: fmt.Errorf("--grace takes a duration of 0 or more, got %s", opts.grace)}
	}
	// The remote runs share holds their leases: an attempt whose writer
	// holds one is being written, on whatever machine.
	closeRemote, err := ws.UseDefaultRemote(ctx, false)
	if err != nil {
		return err
	}
	defer closeRemote()
	rep, err := maintenance.GCLake(ctx, ws, maintenance.GCOptions{DryRun: opts.dryRun, Keep: opts.keep, KeepCommits: opts.keepCommits}, opts.grace)
	if err != nil {
		return err
	}
	if g.json {
		return g.printJSON(rep)
	}
	verb, freed := "removed", "freed"
	if opts.dryRun {
		verb, freed = "would remove", "would free"
	}
	fmt.Fprintf(g.stdout, "lake %s: kept %s (%s)\n", rep.Lake, ui.Count(rep.KeptPrefixes, "output attempt"), ui.Bytes(rep.KeptBytes))
	fmt.Fprintf(g.stdout, "%s %s and %s: %s %s\n", verb, ui.Count(len(rep.DroppedRecords), "record"),
		ui.Count(len(rep.Removed), "output attempt"), freed, ui.Bytes(rep.FreedBytes))
	if rep.RecentPrefixes > 0 {
		fmt.Fprintf(g.stdout, "kept %s no record names, written in the last %s or being written\n", ui.Count(rep.RecentPrefixes, "output attempt"), opts.grace)
	}
	if rep.LeasedPrefixes > 0 {
		fmt.Fprintf(g.stdout, "kept %s no record names whose writer holds a lease in the remote: a run elsewhere is writing them\n", ui.Count(rep.LeasedPrefixes, "output attempt"))
	}
	if opts.dryRun {
		fmt.Fprintln(g.stdout, "dry run: nothing was deleted")
	}
	return nil
}

// remoteGCDanger is why gc --remote wants --force.
const remoteGCDanger = `a remote is shared: gc --remote keeps only what the refs of this clone need, so ` +
	`the artifacts of branches other clones have not pushed, and of commits this clone never fetched, go too, ` +
	`and their owners must compute them again; and a push running meanwhile may record an object just as it goes ` +
	`(objects written within --grace, an hour by default, are kept to narrow that)`

func runGCRemote(ctx context.Context, g *globalOptions, ws *workspace.Workspace, opts *gcOptions) error {
	if !opts.force && !opts.dryRun {
		return usageError{err: fmt.Errorf("gc --remote %s deletes for everyone: %s; see what would go with --dry-run, then add --force", opts.remote, remoteGCDanger)}
	}
	r, err := ws.OpenRemote(ctx, remote.Request{Name: opts.remote, Purpose: remote.Required})
	if err != nil {
		return err
	}
	defer r.Close()
	if opts.grace < 0 {
		return usageError{err: fmt.Errorf("--grace takes a duration of 0 or more, got %s", opts.grace)}
	}
	col, rep, err := maintenance.GCRemote(ctx, ws, r, maintenance.GCOptions{DryRun: opts.dryRun, Keep: opts.keep, KeepCommits: opts.keepCommits}, opts.grace)
	if err != nil {
		return err
	}
	printSkipped(g, rep.Skipped)
	if g.json {
		return g.printJSON(col)
	}
	verb, freed := "removed", "freed"
	if opts.dryRun {
		verb, freed = "would remove", "would free"
	}
	fmt.Fprintf(g.stdout, "remote %s: kept %s and %s for %s and the working tree\n", r.Name,
		ui.Count(col.KeptRecords, "record"), ui.Count(col.KeptObjects, "object"), ui.Count(rep.Commits, "commit"))
	fmt.Fprintf(g.stdout, "%s %s and %s: %s %s\n", verb, ui.Count(len(col.DroppedRecords), "record"),
		ui.Count(col.RemovedObjects, "object"), freed, ui.Bytes(col.FreedBytes))
	if col.RecentObjects > 0 {
		fmt.Fprintf(g.stdout, "kept %s written in the last %s (a push may be about to record them)\n", ui.Count(col.RecentObjects, "unneeded object"), opts.grace)
	}
	if opts.dryRun {
		fmt.Fprintln(g.stdout, "dry run: nothing was deleted")
	}
	return nil
}
