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
	"github.com/git-dds/git-dds/internal/ui"
	"github.com/git-dds/git-dds/internal/workspace"
)

type statusOptions struct {
	rev      string
	exitCode bool
	verbose  bool
	offline  bool
}

func newStatusCommand(g *globalOptions) *cobra.Command {
	opts := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each stage's state, signature and what changed",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStatus(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.rev, "rev", "", "evaluate a commit, branch or tag instead of the working tree")
	cmd.Flags().BoolVar(&opts.exitCode, "exit-code", false, "exit 1 when a stage is not fresh")
	cmd.Flags().BoolVarP(&opts.verbose, "verbose", "v", false, "say in words what changed for each stale stage")
	cmd.Flags().BoolVar(&opts.offline, "offline", false, "do not ask the remote which stale stages it holds")
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
	if g.json {
		if err := g.printJSON(statusJSON{Rev: view.Rev, Stages: rows}); err != nil {
			return err
		}
	} else {
		if err := g.report(func(w io.Writer) { printStatus(w, ws, view, rows, untracked, opts.verbose) }); err != nil {
			return err
		}
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
		err = ws.MarkRemote(ctx, rows)
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
			case workspace.CutOffPossible:
				why += " (may cut off)"
			}
		case workspace.Cached:
			why = "git dds checkout restores it"
		case workspace.Remote:
			why = "in the remote: git dds pull restores it"
		case workspace.Modified:
			why = "edited by hand: " + strings.Join(r.Edited, ", ")
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
