package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/remote"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/ui"
	"github.com/git-dds/git-dds/internal/workspace"
)

type statusOptions struct {
	rev      string
	exitCode bool
	verbose  bool
	offline  bool
	verify   bool
}

func newStatusCommand(g *globalOptions) *cobra.Command {
	opts := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each stage's state, signature and what changed",
		Long: `git dds status shows one row per stage: its state, its signature and
what changed since its last computation. Without --rev it evaluates the
working tree as the next commit would record it (git commit -a); with
--rev, any commit, branch or tag.

    fresh     computed, and the working tree holds exactly its outputs
    cached    computed and in the local store; git dds checkout restores it
    remote    computed, only in the remote; git dds pull restores it (and
              git dds run pulls it)
    stale     computed nowhere; git dds run executes it
    modified  computed, but an output was edited by hand, or replaced by a
              symbolic link; git dds checkout --force restores it
    missing   with --verify only: computed, but an external output is
              gone from the lake

"changed" names what differs from the last computation of the stage on
the current branch's history: the one made at the commit nearest HEAD
among its first-parent commits (the last 1,000); a branch visited since
does not count, nor does a commit a rebase or an amend rewrote. A stage
computed only on other branches is compared with the newest computation
anywhere. What changed is a dep path, a params key
(params.yaml:clean.impute), an environment variable (env:SEED), an
upstream stage's signature (stage:clean) or cmd.

-v says which computation it compared with ("against the computation at
COMMIT on this branch", or "against the newest computation, on another
branch"), and what changed, with old and new values: a file's git object
ids, a params key's values. The values of environment variables are
never kept nor shown (env:API_TOKEN changed, env:SEED: set -> unset).

A stale stage that git dds run may cut off rather than execute says so
after what changed: "(run cuts it off: same upstream bytes)" when its
upstream stages are recorded and wrote what they wrote for a computation
of it the store holds, "(run cuts it off: same upstream bytes, in the
remote)" when the upstream computations are recorded here or in the
default remote and wrote what they wrote for a computation of it that the
remote holds (run fetches that one), "(may cut off)" when only upstream
signatures changed since its last computation. It stays stale either
way, and --offline never asks the remote for it.

Untracked files under a dep folder are part of no signature: status lists
them, so that they are not forgotten.

As git does when it shows its own status, status refreshes git's index
on its way when it had to read many tracked files whose stat data no
longer matches the index though their content does (after a cp -a of the
repository, or a touch): it runs git update-index --refresh, which
changes only the stat data git keeps, so that the next status trusts it
instead of reading every dep again. It leaves the index alone when
another git command holds it (index.lock), when GIT_OPTIONAL_LOCKS=0 is
set, and for an index named by GIT_INDEX_FILE.

With core.fsmonitor naming a hook (git's protocol version 2, such as
the Watchman hook git ships in its templates), status asks it which
files changed since the last status, and trusts git's index for the
others, as git does with the same hook; it keeps the hook's token in dds-fsmonitor
beside git's index. A hook that fails or answers out of bounds, or an
index whose entries changed since, means a look at every file. git -c
core.fsmonitor= dds status does without it.

With a remote configured, status asks the default remote about the stages
it finds stale here; one the remote holds is remote. A remote that cannot
be asked (it does not answer, or refuses the credentials, or none are
found) does not stop status: it shows the local states with one warning on
stderr. --offline does not ask the remote at all.

Status answers for external outputs (those a stage writes to the lake)
from their records alone, without a request to the lake: an output
deleted from the lake behind git dds's back still shows fresh. --verify
also asks the lake, for each external output recorded for a stage it
shows, whether it is still there: one request each, a few at a time (a
HEAD of the pointer of a delta or iceberg table, else a listing of a few
keys under its prefix). An output gone, or left without an object, makes
its stage missing. The fix: git dds fsck --external --repair lists every
recorded output in full, compares digests and drops the records of those
gone or changed; git dds run then recomputes them. --verify does not
compare what is there with the record: one object left under a prefix
passes; fsck --external is the full check. An output recorded in another
lake than this clone's (git config dds.lake, else dds.yaml's lake:) is
not asked about: a warning says so. Local outputs need no --verify:
status always checks them in the working tree and the store.

--json prints:

    {"rev": COMMIT or "WORKTREE", "stages": [{"name", "signature",
      "state", "outputs", "changed", "cut_off"?, "edited"?, "damaged"?,
      "missing"?, "undeclared"?}]}

where cut_off is ready, remote or possible for a stale stage run may cut
off,
damaged names the outputs whose stored object was found changed in place
(dds.link = hardlink) and quarantined, missing the external outputs
(ext:NAME) --verify found gone, and undeclared what the last run --audit
of the stage read that it still does not declare.

Exit status: 0, whatever the states; 1 with --exit-code when a stage is
not fresh (a remote one included), and with --verify when an external
output is missing; 2 for a revision that names no commit.`,
		Example: `  # every stage, and why each stale one is stale, in words
  git dds status -v

  # in CI: fail when a stage is not fresh
  git dds status --exit-code --offline

  # the stages of another branch, as a script reads them
  git dds status --rev main --json

  # are the datasets on the lake still there? one request each
  git dds status --verify`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStatus(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.rev, "rev", "", "evaluate a commit, branch or tag instead of the working tree")
	cmd.Flags().BoolVar(&opts.exitCode, "exit-code", false, "exit 1 when a stage is not fresh")
	cmd.Flags().BoolVarP(&opts.verbose, "verbose", "v", false, "say in words what changed for each stale stage")
	cmd.Flags().BoolVar(&opts.offline, "offline", false, "do not ask the remote which stale stages it holds")
	cmd.Flags().BoolVar(&opts.verify, "verify", false, "ask the lake, one request per external output, whether each is still there")
	return cmd
}

type statusJSON struct {
	Rev    string                  `json:"rev"`
	Stages []workspace.StageStatus `json:"stages"`
}

func runStatus(ctx context.Context, g *globalOptions, opts *statusOptions) error {
	var untracked []string
	listUntracked := func(p *pipeline.Pipeline, overlay *gitref.Overlay) { untracked = untrackedUnderDeps(p, overlay) }
	if g.json {
		listUntracked = nil
	}
	ws, view, rows, err := stagesOf(ctx, g, opts.rev, opts.offline, listUntracked)
	if err != nil {
		return err
	}
	missing := false
	if opts.verify {
		elsewhere, err := ws.VerifyExternal(ctx, view, rows)
		if err != nil {
			return err
		}
		for _, e := range elsewhere {
			fmt.Fprintf(g.stderr, "git dds: warning: stage %s: %s not verified: %v; git dds status --verify asks only the lake of git config dds.lake, else of dds.yaml\n", e.Stage, e.Output, e.Err)
		}
		missing = slices.ContainsFunc(rows, func(r workspace.StageStatus) bool { return r.State == workspace.Missing })
	}
	if g.json {
		if err := g.printJSON(statusJSON{Rev: view.Rev, Stages: rows}); err != nil {
			return err
		}
	} else {
		if err := g.report(func(w io.Writer) { printStatus(w, ws, view, rows, untracked, opts.verbose) }); err != nil {
			return err
		}
	}
	if overlay, ok := view.Tree.(*gitref.Overlay); ok {
		// After the answer is out: git status too refreshes its index on
		// its way, so that the next one need not hash again. A refresh
		// rewrites the entries, which the monitor's state would no longer
		// match.
		if !overlay.RefreshGitIndex(ctx) {
			overlay.SaveWatch()
		}
	}
	if missing {
		// A verification that finds an output gone fails, as fsck and
		// pin --check do.
		return answerNo{}
	}
	if opts.exitCode {
		for _, r := range rows {
			if r.State != workspace.Fresh {
				return answerNo{}
			}
		}
	}
	return nil
}

// stagesOf evaluates rev ("" for the working tree) and reports its stages,
// as status and graph show them: a stale stage that the default remote
// holds is remote, unless offline. alongside, when not nil, runs on the
// working tree's pipeline while its signatures are computed and the index
// is read: each takes tens of milliseconds in a large repository, and
// mostly one core.
func stagesOf(ctx context.Context, g *globalOptions, rev string, offline bool, alongside func(*pipeline.Pipeline, *gitref.Overlay)) (*workspace.Workspace, *namespace.View, []workspace.StageStatus, error) {
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return nil, nil, nil, err
	}
	// core.fsmonitor's hook, when the user has one, says which files
	// changed since the last status: the others need no lstat.
	ws.Repo.UseFSMonitor = true
	releaseIndex := ws.HoldIndexRead(ctx)
	defer releaseIndex()
	var wg sync.WaitGroup
	defer wg.Wait()
	loader := namespace.NewLoader(ws.Repo, ws.Env)
	if alongside != nil {
		loader.WorktreeChecked = func(p *pipeline.Pipeline, overlay *gitref.Overlay) {
			wg.Go(func() { alongside(p, overlay) })
		}
	}
	view, err := loader.Load(ctx, rev)
	if err != nil {
		return nil, nil, nil, err
	}
	rows, err := ws.Status(ctx, view)
	releaseIndex() // not held across the remote's answers below
	wg.Wait()
	if err != nil {
		return nil, nil, nil, err
	}
	if offline || !slices.ContainsFunc(rows, func(r workspace.StageStatus) bool { return r.State == workspace.Stale }) {
		return ws, view, rows, nil
	}
	closeRemote, err := ws.UseDefaultRemote(ctx, false)
	if err == nil {
		defer closeRemote()
		err = ws.MarkRemoteCutOffs(ctx, view, rows)
	}
	if err != nil {
		// The local states are right without the remote, which only
		// tells stale stages from remote ones: a remote that cannot be
		// asked is a warning, not a failure of the whole answer.
		if !remoteUnavailable(err) || ctx.Err() != nil {
			return nil, nil, nil, err
		}
		fmt.Fprintf(g.stderr, "git dds: warning: %v; showing local states only\n", err)
	}
	return ws, view, rows, nil
}

// remoteUnavailable reports a remote that could not be asked (down,
// unreachable, refusing the credentials), as opposed to one configured
// wrong.
func remoteUnavailable(err error) bool {
	var unreachable *remote.Error
	var refused *remote.CredentialsError
	return errors.As(err, &unreachable) || errors.As(err, &refused)
}

func printStatus(w io.Writer, ws *workspace.Workspace, view *namespace.View, rows []workspace.StageStatus, untracked []string, verbose bool) {
	ref, _, _ := ws.Repo.Head()
	where := "the working tree"
	if view.Rev != namespace.WorktreeRev {
		where = "commit " + ui.ShortID(view.Commit)
	} else if ref != "" {
		where = "the working tree of " + strings.TrimPrefix(ref, "refs/heads/")
	}
	fmt.Fprintf(w, "Stages of %s:\n", where)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, r := range rows {
		why := ""
		switch r.State {
		case workspace.Stale:
			if len(r.Changed) > 0 {
				why = "changed: " + strings.Join(r.Changed, ", ")
			} else {
				why = "never computed"
			}
			switch r.CutOff {
			case workspace.CutOffReady:
				why += " (run cuts it off: same upstream bytes)"
			case workspace.CutOffRemote:
				why += " (run cuts it off: same upstream bytes, in the remote)"
			case workspace.CutOffPossible:
				why += " (may cut off)"
			}
		case workspace.Cached:
			why = "git dds checkout restores it"
		case workspace.Remote:
			why = "in the remote: git dds pull restores it"
		case workspace.Modified:
			why = "edited by hand: " + strings.Join(r.Edited, ", ")
		case workspace.Missing:
			why = "gone from the lake: " + strings.Join(r.Missing, ", ") + "; git dds fsck --external --repair drops its record, then git dds run recomputes it"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.Name, r.State, ui.ShortID(r.Signature), why)
		if verbose && r.State == workspace.Stale && r.Last != nil {
			switch {
			case r.LastOnBranch && r.LastCommit == "":
				fmt.Fprintf(tw, "  \t\t\t  against the computation made before the first commit\n")
			case r.LastOnBranch:
				fmt.Fprintf(tw, "  \t\t\t  against the computation at %s on this branch\n", ui.ShortID(r.LastCommit))
			default:
				fmt.Fprintf(tw, "  \t\t\t  against the newest computation, on another branch\n")
			}
		}
		if verbose {
			for _, line := range r.Why {
				fmt.Fprintf(tw, "  \t\t\t  %s\n", line)
			}
			for _, u := range r.Undeclared {
				fmt.Fprintf(tw, "  \t\t\t  %s\n", undeclaredLine(u))
			}
		}
	}
	tw.Flush()
	if len(untracked) > 0 {
		fmt.Fprintf(w, "Untracked files under deps are not part of any signature (git add them to count):\n")
		for _, f := range untracked {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
}

// undeclaredLine says what the last audited run read that the signature
// does not cover.
func undeclaredLine(u signature.Undeclared) string {
	return "the last audited run " + undeclaredRead(u)
}

// undeclaredRead says what an audited run read that the signature did not
// cover.
func undeclaredRead(u signature.Undeclared) string {
	switch u.Kind {
	case signature.UndeclaredOutput:
		return fmt.Sprintf("read %s, an output of stage %s, which is not declared", u.Path, u.Stage)
	case signature.UndeclaredUntracked:
		return fmt.Sprintf("read %s, which git does not track", u.Path)
	}
	return fmt.Sprintf("read %s, which is not declared", u.Path)
}

// untrackedUnderDeps lists the files under the working tree's dep folders
// that no signature sees; nothing on a failure to look (the listing is
// advice).
func untrackedUnderDeps(p *pipeline.Pipeline, overlay *gitref.Overlay) []string {
	var dirs []string
	for _, st := range p.Stages {
		for _, d := range p.TrackedDeps(st) {
			if overlay.TrackedDir(d) {
				dirs = append(dirs, d)
			}
		}
	}
	if len(dirs) == 0 {
		return nil
	}
	files, err := overlay.Untracked(dirs)
	if err != nil {
		return nil
	}
	return files
}
