package hooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/git-dds/git-dds/internal/config"
	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/remote"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/ui"
	"github.com/git-dds/git-dds/internal/workspace"
)

// ErrRefused is a pre-push refusal: its message names every stage.
var ErrRefused = errors.New("push refused")

// Handler carries out what the installed hooks ask for. Every handler
// turns its own failure into a warning, except pre-push in verify mode,
// whose job is to refuse.
type Handler struct {
	WS     *workspace.Workspace
	Stderr io.Writer
	// Progress, when set, shows transfers (a terminal).
	Progress io.Writer
}

// NeedsWorkspace reports whether the hook name, given git's arguments
// args, has anything to do with the repository. When it has not, Handle
// runs with a Handler without a workspace (WS nil): the caller neither
// opens the repository nor reads its settings, and the hook costs the
// start of the process alone. Only post-rewrite after git commit --amend
// is such a hook: post-commit, which git runs first, did the work.
func NeedsWorkspace(name string, args []string) bool {
	return name != PostRewrite || !amended(args)
}

// amended reports whether post-rewrite's arguments are those of an amend.
func amended(args []string) bool {
	return len(args) == 1 && args[0] == "amend"
}

// Handle runs the handler for hook name with git's arguments and stdin.
// WS may be nil only when NeedsWorkspace is false.
func (h *Handler) Handle(ctx context.Context, name string, args []string, stdin io.Reader) error {
	var err error
	switch name {
	case PostCheckout:
		err = h.postCheckout(ctx, args)
	case PostMerge:
		err = h.afterMove(ctx, "ORIG_HEAD", "promoted")
	case PostRewrite:
		err = h.postRewrite(ctx, args, stdin)
	case PostCommit:
		err = h.postCommit(ctx)
	case PrePush:
		return h.prePush(ctx, args, stdin)
	default:
		return fmt.Errorf("unknown hook %q; git dds handles %s", name, strings.Join(Names(), ", "))
	}
	if err != nil {
		// git has already done its work: a failure here must not look like
		// git's, and must not stop anything.
		fmt.Fprintf(h.Stderr, "git dds: warning: the %s hook could not finish: %v\n", name, err)
	}
	// A squash merge (flag 1) moved no branch: the commit that follows
	// is an ordinary one, and what to publish is not known yet.
	if name == PostMerge && (len(args) == 0 || args[0] != "1") {
		h.publishMerged(ctx)
	}
	return nil
}

// postCheckout: args are <previous HEAD> <new HEAD> <flag>; the flag is 0
// for a file checkout (git checkout -- PATH, git restore), which changes
// no branch but may change a dep or a param: it is synced too. A bisect
// step is a plain detached checkout, and is synced like any other.
func (h *Handler) postCheckout(ctx context.Context, args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("post-checkout takes <previous HEAD> <new HEAD> <flag>, got %q", args)
	}
	if h.sequencing() && !h.rebaseFastForwarding() {
		return nil
	}
	if args[2] != "1" {
		return h.afterMove(ctx, "", "restored")
	}
	return h.afterMove(ctx, args[0], "restored")
}

// postRewrite: args are <amend|rebase>; stdin lists "<old> <new>" pairs.
// After a rebase the working tree is synced as after a merge. An amend is
// post-commit's: git runs it first, for every commit --amend, and the
// sequencer fires post-rewrite amend at each squash or fixup of a rebase,
// where nothing may be said before the end.
func (h *Handler) postRewrite(ctx context.Context, args []string, stdin io.Reader) error {
	if _, err := ParsePostRewrite(stdin); err != nil {
		return err
	}
	if amended(args) {
		return nil
	}
	return h.afterMove(ctx, "ORIG_HEAD", "promoted")
}

// postCommit runs after every commit git makes outside a rebase: git
// commit (a squash merge or a conflicted merge concluded, an amend), git
// cherry-pick, git revert. Those changed the working tree before the
// commit, with no other hook: it is synced, and the branch bound to the
// new commit.
func (h *Handler) postCommit(ctx context.Context) error {
	if h.sequencing() {
		return nil
	}
	return h.afterMove(ctx, "", "restored")
}

// afterMove brings the working tree's outputs to the working tree's view
// after git moved HEAD from previousRev ("" when unknown), promotes what
// is already computed and binds the branch to HEAD's commit. The working
// tree, not the commit, decides the outputs: a switch that carries
// uncommitted params keeps the outputs computed for them. verb says what
// bringing computed artifacts means to the user here.
func (h *Handler) afterMove(ctx context.Context, previousRev, verb string) error {
	repo := h.WS.Repo
	ref, commit, err := repo.Head()
	if err != nil {
		return err
	}
	// The index opens while the working tree is evaluated, once for the
	// reads that follow; not across autopull's transfers.
	pull := h.autopullWanted()
	release := func() {}
	if !pull {
		release = h.WS.HoldIndexJournal(ctx)
	}
	defer func() { release() }()
	loader := namespace.NewLoader(repo, h.WS.Env)
	view, err := loader.Load(ctx, namespace.WorktreeRev)
	if errors.Is(err, namespace.ErrNoPipeline) {
		// Nothing declared: what git dds placed still has to go.
		view, err = nil, nil
	}
	if err != nil {
		return err
	}
	if pull && view != nil {
		h.autopull(ctx, view)
		release = h.WS.HoldIndexJournal(ctx)
	}
	saved := h.savedNamespace(ctx, ref)
	previous := h.previousNamespace(ctx, loader, saved, previousRev)
	var bind func(ix *index.Index) error
	if ref != "" && commit != "" {
		// The branch is bound to what its commit records, which differs
		// from the working tree's view only when an input is uncommitted.
		committed, err := loader.Committed(ctx, view, commit)
		if err == nil {
			if ns := namespace.FromView(ref, committed); saved == nil || !saved.Equal(ns) {
				bind = func(ix *index.Index) error { return h.save(ix, ns) }
			}
		}
	}
	res, err := h.WS.Sync(ctx, view, previous, bind)
	if err != nil {
		return err
	}
	release()
	h.report(ctx, ref, verb, res)
	return nil
}

// autopullWanted reports whether dds.autopull is true and there is a
// remote to pull from. A remote that cannot be chosen counts: autopull
// tells why, as a warning.
func (h *Handler) autopullWanted() bool {
	on := h.WS.Settings.AutoPull
	if on.Err != nil {
		fmt.Fprintf(h.Stderr, "git dds: warning: %v\n", on.Err)
	}
	if !on.Value {
		return false
	}
	name, err := remote.Choose(h.WS.Settings, remote.Request{Purpose: remote.IfConfigured})
	return name != "" || err != nil
}

// autopull fetches the artifacts of view that only the default remote has,
// so that the working tree gets them as it gets those of the local store.
// A failure is a warning: the outputs it could not bring stay to compute
// or to pull.
func (h *Handler) autopull(ctx context.Context, view *namespace.View) {
	r, err := h.WS.OpenRemote(ctx, remote.Request{Purpose: remote.IfConfigured})
	if err == nil && r != nil {
		defer r.Close()
		var res *workspace.TransferResult
		res, err = h.WS.Fetch(ctx, r, workspace.Computations(view), h.Progress)
		if n := res.Count(workspace.Downloaded); n > 0 {
			fmt.Fprintf(h.Stderr, "git dds: %s\n", ui.Transferred("pulled", n, "from "+r.Name, res.Bytes))
		}
	}
	if err != nil {
		fmt.Fprintf(h.Stderr, "git dds: warning: dds.autopull: %v\n", err)
	}
}

// savedNamespace is the namespace last bound to ref, or nil (for no ref,
// or on a failure to read it: it is derived data, rebuilt by the bind).
func (h *Handler) savedNamespace(ctx context.Context, ref string) *namespace.Namespace {
	if ref == "" {
		return nil
	}
	var saved *namespace.Namespace
	_ = h.WS.WithIndexRead(ctx, func(ix *index.Index) error {
		ns, ok, err := namespace.Saved(ix, h.WS.Repo, ref)
		if ok {
			saved = ns
		}
		return err
	})
	return saved
}

// previousNamespace is the namespace of the commit HEAD left, or nil: the
// one bound to the branch when it still reflects that commit (the usual
// case, and no tree to evaluate), else one computed from the commit.
func (h *Handler) previousNamespace(ctx context.Context, loader *namespace.Loader, saved *namespace.Namespace, rev string) *namespace.Namespace {
	if rev == "" || strings.Trim(rev, "0") == "" {
		return nil
	}
	commit, err := h.WS.Repo.Resolve(rev)
	if err != nil {
		return nil
	}
	if saved != nil && saved.Commit == commit {
		return saved
	}
	view, err := loader.Load(ctx, commit)
	if err != nil {
		return nil
	}
	return namespace.FromView("", view)
}

func (h *Handler) save(ix *index.Index, ns *namespace.Namespace) error {
	return ix.Batch(func(b *index.Batch) error { return namespace.Save(b, h.WS.Repo, ns) })
}

// report prints one summary line, and nothing when nothing happened. The
// stages the local store lacks are counted as git dds status counts them:
// those the default remote holds are not "to compute".
func (h *Handler) report(ctx context.Context, ref, verb string, res *workspace.SyncResult) {
	var missing missingStages
	if len(res.StaleRows) > 0 {
		missing = h.askRemote(ctx, res.StaleRows)
	}
	if len(res.Promoted) > 0 {
		tail := fmt.Sprintf("%d to compute", len(missing.toCompute))
		if missing.unknown {
			tail = fmt.Sprintf("%d not in the local store", len(missing.toCompute))
		}
		fmt.Fprintf(h.Stderr, "git dds: %s %s (%s, %s of compute saved); %s\n",
			verb, ui.Count(len(res.Promoted), "artifact"), ui.Bytes(res.PromotedBytes), ui.Seconds(res.SavedSeconds), tail)
	} else if res.Restored > 0 {
		fmt.Fprintf(h.Stderr, "git dds: restored %s of %s from the store\n", ui.Count(res.Restored, "output"), branchName(ref))
	}
	if p := res.Pins; p != nil && len(p.Missing) > 0 {
		fmt.Fprintf(h.Stderr, "git dds: %s of %s not in the local store (%s): git dds pull brings them\n",
			ui.Count(len(p.Missing), "pinned file"), branchName(ref), strings.Join(p.Missing, ", "))
	}
	switch {
	case missing.unknown:
		fmt.Fprintf(h.Stderr, "git dds: %s not in the local store (%s): git dds status says which the remote has\n",
			ui.Count(len(missing.toCompute), "stage"), strings.Join(missing.toCompute, ", "))
	default:
		if len(missing.inRemote) > 0 {
			fmt.Fprintf(h.Stderr, "git dds: %s in the remote (%s): git dds pull restores them\n",
				ui.Count(len(missing.inRemote), "stage"), strings.Join(missing.inRemote, ", "))
		}
		if len(missing.toCompute) > 0 {
			fmt.Fprintf(h.Stderr, "git dds: %s to compute (%s): run git dds run\n",
				ui.Count(len(missing.toCompute), "stage"), strings.Join(missing.toCompute, ", "))
		}
	}
	if len(res.Edited) > 0 {
		fmt.Fprintf(h.Stderr, "git dds: kept outputs edited by hand: %s (git dds checkout --force restores them)\n", strings.Join(res.Edited, ", "))
	}
	if len(res.Undeclared) > 0 {
		fmt.Fprintf(h.Stderr, "git dds: kept files edited by hand that dds.yaml no longer declares: %s (git-ignored while they are there; move or delete them)\n", strings.Join(res.Undeclared, ", "))
	}
}

// remoteWait bounds how long a hook asks the remote which stages it
// holds: a summary must not hold git up on an unreachable remote.
const remoteWait = 3 * time.Second

// missingStages sorts the stages the local store lacks.
type missingStages struct {
	inRemote  []string
	toCompute []string // all of them when unknown
	// unknown is set when the remote could not be asked.
	unknown bool
}

// askRemote asks the default remote, as git dds status does, which of
// the stale rows it holds. Without a remote, all are to compute.
func (h *Handler) askRemote(ctx context.Context, rows []workspace.StageStatus) missingStages {
	ctx, cancel := context.WithTimeout(ctx, remoteWait)
	defer cancel()
	closeRemote, err := h.WS.UseDefaultRemote(ctx, false)
	if err == nil && h.WS.Remote != nil {
		err = h.WS.MarkRemote(ctx, rows)
	}
	closeRemote()
	var m missingStages
	for _, row := range rows {
		if err == nil && row.State == workspace.Remote {
			m.inRemote = append(m.inRemote, row.Name)
		} else {
			m.toCompute = append(m.toCompute, row.Name)
		}
	}
	m.unknown = err != nil
	return m
}

// sequencing reports whether a rebase is under way: git fires
// post-checkout and post-commit at every step then, and post-rewrite
// catches up once at the end. (A bisect is not one: each of its steps is
// a checkout the user looks at.)
func (h *Handler) sequencing() bool {
	for _, name := range []string{"rebase-merge", "rebase-apply"} {
		if _, err := os.Stat(filepath.Join(h.WS.Repo.GitDir, name)); err == nil {
			return true
		}
	}
	return false
}

// rebaseFastForwarding reports whether the rebase under way has nothing
// left to replay: git then only checks out the new tip, firing
// post-checkout, and runs no post-rewrite after it. That checkout is the
// whole rebase, and is synced as such.
func (h *Handler) rebaseFastForwarding() bool {
	todo, err := os.ReadFile(filepath.Join(h.WS.Repo.GitDir, "rebase-merge", "git-rebase-todo"))
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(todo)) {
		line = strings.TrimSpace(line)
		if line != "" && line != "noop" && !strings.HasPrefix(line, "#") {
			return false
		}
	}
	return true
}

func branchName(ref string) string {
	if ref == "" {
		return "the detached HEAD"
	}
	return strings.TrimPrefix(ref, "refs/heads/")
}

// prePush: args are <remote name> <remote url>; stdin lists the refs to
// update, one "<local ref> <local sha> <remote ref> <remote sha>" a line.
// Every artifact of every pushed tip goes to the dds remote (the one named
// like the git remote, else the default) from the local store, so that the
// code arrives with its data. In verify mode a tip with an artifact
// computed nowhere is refused; in upload mode it is a warning. A failed
// upload refuses the push, as Git LFS does: git push --no-verify skips it.
func (h *Handler) prePush(ctx context.Context, args []string, stdin io.Reader) error {
	setting := h.WS.Settings.PrePush
	if setting.Err != nil {
		fmt.Fprintf(h.Stderr, "git dds: warning: %v\n", setting.Err)
		return nil
	}
	mode := setting.Value
	if mode == config.PrePushOff {
		return nil
	}
	gitRemote := "the remote"
	if len(args) > 0 {
		gitRemote = args[0]
	}
	pushed, err := ParsePrePush(stdin)
	if err != nil {
		return err
	}
	// The remote named like the git remote, else the default; none when
	// no remote is configured. Marks of what it holds are read before it
	// is opened: a push that brings no new data ends there.
	req := remote.Request{GitRemote: gitRemote, Purpose: remote.IfConfigured, Push: true}
	wanted, ok, err := h.WS.WantedRemote(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRefused, err)
	}
	if !ok && mode == config.PrePushUpload {
		return nil // nowhere to upload to
	}
	if ok && h.pushedBefore(wanted.HoldsTree, pushed) {
		return nil
	}
	var r *remote.Remote
	if ok {
		if r, err = h.WS.OpenRemote(ctx, req); err != nil {
			return fmt.Errorf("%w: %w", ErrRefused, err)
		}
		defer r.Close()
	}
	// One loader parses each version of dds.yaml once, for evaluating the
	// tips and for marking them.
	loader := namespace.NewLoader(h.WS.Repo, h.WS.Env)
	comps, unreadable, err := h.pushedComputations(ctx, loader, pushed)
	if err != nil {
		return err
	}
	if len(unreadable) > 0 && mode == config.PrePushVerify {
		var lines []string
		for _, u := range unreadable {
			lines = append(lines, fmt.Sprintf("  %s (%s): %v", u.name, ui.ShortID(u.sha), u.err))
		}
		return fmt.Errorf("%w: git dds cannot evaluate the dds.yaml of a pushed commit, so it cannot verify that the commit's data is computed:\n%s\nfix dds.yaml there, commit, and push again; or git push --no-verify pushes the code alone, without this check",
			ErrRefused, strings.Join(lines, "\n"))
	}
	for _, u := range unreadable {
		// The other tips still get their data: a pipeline git dds cannot
		// read should not hold up the rest of the push.
		fmt.Fprintf(h.Stderr, "git dds: warning: %s (%s) is pushed without its data, since git dds cannot evaluate its dds.yaml: %v\ngit dds: fix dds.yaml on %s and commit; the next push, or git dds push, uploads its artifacts\n",
			u.name, ui.ShortID(u.sha), u.err, u.name)
	}
	var missing []string
	if r != nil {
		res, err := h.WS.Push(ctx, r, comps, remote.PushOptions{Progress: h.Progress})
		if err != nil {
			return fmt.Errorf("%w: uploading the artifacts of the pushed commits to remote %s failed: %w\nrun git dds push to retry, then push again (git push --no-verify pushes the code alone)", ErrRefused, r.Name, err)
		}
		if n := res.Count(workspace.Uploaded); n > 0 {
			fmt.Fprintf(h.Stderr, "git dds: %s\n", ui.Transferred("uploaded", n, "to "+r.Name, res.Bytes))
		}
		var tips []string
		for _, p := range pushed {
			if !p.Delete {
				tips = append(tips, p.LocalSHA)
			}
		}
		t, err := h.WS.PushPinsAt(ctx, r, tips)
		if err != nil {
			return fmt.Errorf("%w: uploading the pinned files of the pushed commits to remote %s failed: %w\nrun git dds push to retry, then push again (git push --no-verify pushes the code alone)", ErrRefused, r.Name, err)
		}
		if t.Objects > 0 {
			fmt.Fprintf(h.Stderr, "git dds: uploaded %s to %s (%s)\n", ui.Count(t.Objects, "pinned file"), r.Name, ui.Bytes(t.Bytes))
		}
		for _, s := range res.Stages {
			if s.Action == workspace.Uncomputed {
				missing = append(missing, fmt.Sprintf("  stage %s (signature %s)", s.Name, ui.ShortID(s.Signature)))
			}
		}
	} else {
		missing, err = h.uncomputed(ctx, comps)
		if err != nil {
			return err
		}
	}
	if len(missing) == 0 {
		if r != nil {
			h.markPushed(r, loader, pushed)
		}
		return nil
	}
	if mode == config.PrePushUpload {
		fmt.Fprintf(h.Stderr, "git dds: warning: these stages of the pushed commits are computed nowhere, so %s gets code without their data:\n%s\ngit dds: run git dds run, then git dds push\n", gitRemote, strings.Join(missing, "\n"))
		return nil
	}
	return fmt.Errorf("%w: these stages of the pushed commits are computed nowhere, so %s would get code without its data:\n%s\nrun git dds run (on those commits), then push again; or push with git config dds.prepush upload",
		ErrRefused, gitRemote, strings.Join(missing, "\n"))
}

// pushedBefore reports whether a previous push left marks saying that the
// remote holds every artifact of every pushed tip's tree (holds reads
// them): then there is nothing to look up, evaluate or send.
func (h *Handler) pushedBefore(holds func(remote.Local, string) bool, pushed []PushedRef) bool {
	for _, p := range pushed {
		if p.Delete {
			continue
		}
		tree, err := h.WS.Repo.TreeID(p.LocalSHA)
		if err != nil || !holds(h.WS.Local(), tree) {
			return false
		}
	}
	return true
}

// markPushed notes, for the next push, that the remote holds every
// artifact of the pushed tips' trees. It is best effort: without a mark,
// the next push looks things up again.
func (h *Handler) markPushed(r *remote.Remote, loader *namespace.Loader, pushed []PushedRef) {
	for _, p := range pushed {
		if p.Delete {
			continue
		}
		id, err := h.WS.Repo.TreeID(p.LocalSHA)
		if err != nil {
			continue
		}
		tree, err := h.WS.Repo.CommitTree(p.LocalSHA)
		if err != nil {
			continue
		}
		pl, err := loader.Pipeline(tree, false)
		if err != nil && !errors.Is(err, namespace.ErrNoPipeline) {
			continue
		}
		// A stage that reads the environment may have another signature
		// at the next push, with the same tree.
		if pl != nil && slices.ContainsFunc(pl.Stages, func(st *pipeline.Stage) bool { return len(st.Env) > 0 }) {
			continue
		}
		_ = r.MarkTree(h.WS.Local(), id)
	}
}

// pushedComputations lists what the pushed tips need. A branch whose
// namespace was bound at the pushed commit (by post-commit or a checkout)
// gives it without evaluating its tree; any other tip is evaluated. A tip
// whose dds.yaml cannot be evaluated (it does not parse, names a dep the
// commit lacks...) is left out and named in unreadable, with why.
func (h *Handler) pushedComputations(ctx context.Context, loader *namespace.Loader, pushed []PushedRef) (comps []workspace.Computation, unreadable []unreadableTip, err error) {
	var views []*namespace.View
	for _, p := range pushed {
		if p.Delete {
			continue
		}
		var saved *namespace.Namespace
		if strings.HasPrefix(p.LocalRef, "refs/heads/") {
			err := h.WS.WithIndexRead(ctx, func(ix *index.Index) error {
				ns, ok, err := namespace.Saved(ix, h.WS.Repo, p.LocalRef)
				if ok && ns.Commit == p.LocalSHA {
					saved = ns
				}
				return err
			})
			if err != nil {
				return nil, nil, err
			}
		}
		if saved != nil {
			comps = append(comps, workspace.NamespaceComputations(saved)...)
			continue
		}
		view, err := loader.Load(ctx, p.LocalSHA)
		if errors.Is(err, namespace.ErrNoPipeline) {
			continue
		}
		if isInputError(err) {
			unreadable = append(unreadable, unreadableTip{name: refName(p.LocalRef), sha: p.LocalSHA, err: err})
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: cannot evaluate %s: %v", ErrRefused, p.LocalRef, err)
		}
		views = append(views, view)
	}
	return append(comps, workspace.Computations(views...)...), unreadable, nil
}

// unreadableTip is a pushed tip whose dds.yaml git dds cannot evaluate.
type unreadableTip struct {
	name, sha string
	err       error
}

// isInputError reports an error in what a commit holds (its dds.yaml, its
// params files), as opposed to one of the machine.
func isInputError(err error) bool {
	var yamlErr *pipeline.Error
	return errors.As(err, &yamlErr) || errors.Is(err, signature.ErrInput)
}

// refName is a pushed ref as a user names it.
func refName(ref string) string {
	for _, prefix := range []string{"refs/heads/", "refs/tags/"} {
		if name, ok := strings.CutPrefix(ref, prefix); ok {
			return name
		}
	}
	return ref
}

// uncomputed names the computations this clone does not hold, when there
// is no remote to ask.
func (h *Handler) uncomputed(ctx context.Context, comps []workspace.Computation) ([]string, error) {
	here, err := h.WS.Computed(ctx, comps)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, c := range comps {
		if here[c.Signature] == nil {
			missing = append(missing, fmt.Sprintf("  stage %s (signature %s)", c.Stage, ui.ShortID(c.Signature)))
		}
	}
	return missing, nil
}
