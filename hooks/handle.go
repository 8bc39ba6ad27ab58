package hooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/git-dds/git-dds/namespace"
	"github.com/git-dds/git-dds/run"
	"github.com/git-dds/git-dds/sigindex"
)

// ErrRefused is a pre-push refusal: its message names every stage.
var ErrRefused = errors.New("push refused")

// Handler carries out what the installed hooks ask for. Every handler
// turns its own failure into a warning, except pre-push in verify mode,
// whose job is to refuse.
type Handler struct {
	WS     *run.Workspace
	Stderr io.Writer
}

// Handle runs the handler for hook name with git's arguments and stdin.
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
	return nil
}

// postCheckout: args are <previous HEAD> <new HEAD> <flag>; the flag is 0
// for a file checkout, which changes no branch.
func (h *Handler) postCheckout(ctx context.Context, args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("post-checkout takes <previous HEAD> <new HEAD> <flag>, got %q", args)
	}
	if args[2] != "1" || h.sequencing() {
		return nil
	}
	return h.afterMove(ctx, args[0], "restored")
}

// postRewrite: args are <amend|rebase>; stdin lists "<old> <new>" pairs.
// The namespace moves to the new HEAD as after a merge.
func (h *Handler) postRewrite(ctx context.Context, args []string, stdin io.Reader) error {
	rewrites, err := ParsePostRewrite(stdin)
	if err != nil {
		return err
	}
	previous := "ORIG_HEAD"
	if len(args) == 1 && args[0] == "amend" && len(rewrites) > 0 {
		previous = rewrites[0].OldSHA
	}
	return h.afterMove(ctx, previous, "promoted")
}

// postCommit binds the new commit's view to the branch.
func (h *Handler) postCommit(ctx context.Context) error {
	if h.sequencing() {
		return nil
	}
	ref, commit, err := h.WS.Repo.Head()
	if err != nil || ref == "" || commit == "" {
		return err
	}
	view, err := namespace.Load(ctx, h.WS.Repo, commit, h.WS.Env)
	if errors.Is(err, namespace.ErrNoPipeline) {
		return nil
	}
	if err != nil {
		return err
	}
	return h.bind(ctx, namespace.FromView(ref, view))
}

// afterMove brings the working tree to HEAD's view after git moved HEAD
// from previousRev, promotes what is already computed and binds the branch.
// verb says what bringing computed artifacts means to the user here.
func (h *Handler) afterMove(ctx context.Context, previousRev, verb string) error {
	repo := h.WS.Repo
	ref, commit, err := repo.Head()
	if err != nil || commit == "" {
		return err
	}
	loader := namespace.NewLoader(repo, h.WS.Env)
	view, err := loader.Load(ctx, commit)
	if errors.Is(err, namespace.ErrNoPipeline) {
		return nil
	}
	if err != nil {
		return err
	}
	previous := h.previousNamespace(ctx, loader, ref, previousRev)
	res, err := h.WS.Sync(ctx, view, previous)
	if err != nil {
		return err
	}
	if ref != "" {
		if err := h.bind(ctx, namespace.FromView(ref, view)); err != nil {
			return err
		}
	}
	h.report(ref, verb, res)
	return nil
}

// previousNamespace is the namespace of the commit HEAD left, or nil: the
// one bound to the branch when it still reflects that commit (the usual
// case, and no tree to evaluate), else one computed from the commit.
func (h *Handler) previousNamespace(ctx context.Context, loader *namespace.Loader, ref, rev string) *namespace.Namespace {
	if rev == "" || strings.Trim(rev, "0") == "" {
		return nil
	}
	commit, err := h.WS.Repo.Resolve(rev)
	if err != nil {
		return nil
	}
	if ref != "" {
		var saved *namespace.Namespace
		_ = h.WS.WithIndex(ctx, func(ix *sigindex.Index) error {
			ns, ok, err := namespace.Saved(ix, h.WS.Repo, ref)
			if ok && ns.Commit == commit {
				saved = ns
			}
			return err
		})
		if saved != nil {
			return saved
		}
	}
	view, err := loader.Load(ctx, commit)
	if err != nil {
		return nil
	}
	return namespace.FromView("", view)
}

func (h *Handler) bind(ctx context.Context, ns *namespace.Namespace) error {
	return h.WS.WithIndex(ctx, func(ix *sigindex.Index) error {
		return ix.Batch(func(b *sigindex.Batch) error { return namespace.Save(b, h.WS.Repo, ns) })
	})
}

// report prints one summary line, and nothing when nothing happened.
func (h *Handler) report(ref, verb string, res *run.SyncResult) {
	if len(res.Promoted) > 0 {
		fmt.Fprintf(h.Stderr, "git dds: %s %s (%s, %s of compute saved); %d to compute\n",
			verb, run.Count(len(res.Promoted), "artifact"), run.HumanBytes(res.PromotedBytes), run.HumanSeconds(res.SavedSeconds), len(res.Stale))
	} else if res.Restored > 0 {
		fmt.Fprintf(h.Stderr, "git dds: restored %s of %s from the store\n", run.Count(res.Restored, "output"), branchName(ref))
	}
	if len(res.Stale) > 0 {
		fmt.Fprintf(h.Stderr, "git dds: %s to compute (%s): run git dds run\n", run.Count(len(res.Stale), "stage"), strings.Join(res.Stale, ", "))
	}
	if len(res.Edited) > 0 {
		fmt.Fprintf(h.Stderr, "git dds: kept outputs edited by hand: %s (git dds checkout --force restores them)\n", strings.Join(res.Edited, ", "))
	}
}

// sequencing reports whether a rebase or a bisect is under way: git fires
// post-checkout (and post-commit) at every step then, and post-rewrite
// catches up once at the end.
func (h *Handler) sequencing() bool {
	for _, name := range []string{"rebase-merge", "rebase-apply", "BISECT_LOG"} {
		if _, err := os.Stat(filepath.Join(h.WS.Repo.GitDir, name)); err == nil {
			return true
		}
	}
	return false
}

func branchName(ref string) string {
	if ref == "" {
		return "the detached HEAD"
	}
	return strings.TrimPrefix(ref, "refs/heads/")
}

// Pre-push modes, from git config dds.prepush.
const (
	PrePushUpload = "upload" // the default: send what the remote lacks
	PrePushVerify = "verify" // refuse a tip with an artifact computed nowhere
	PrePushOff    = "off"
)

// prePush: args are <remote name> <remote url>; stdin lists the refs to
// update. In verify mode every artifact of every pushed tip must be
// computed; uploading to remotes belongs to git dds push.
func (h *Handler) prePush(ctx context.Context, args []string, stdin io.Reader) error {
	mode := h.WS.Repo.ConfigValue("dds", "prepush")
	switch mode {
	case "", PrePushUpload, PrePushOff:
		return nil
	case PrePushVerify:
	default:
		fmt.Fprintf(h.Stderr, "git dds: warning: git config dds.prepush is %q; it takes upload, verify or off\n", mode)
		return nil
	}
	pushed, err := ParsePrePush(stdin)
	if err != nil {
		return err
	}
	var missing []string
	for _, p := range pushed {
		if p.Delete {
			continue
		}
		view, err := namespace.Load(ctx, h.WS.Repo, p.LocalSHA, h.WS.Env)
		if errors.Is(err, namespace.ErrNoPipeline) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%w: cannot evaluate %s: %v", ErrRefused, p.LocalRef, err)
		}
		stale, err := h.WS.Uncomputed(ctx, view)
		if err != nil {
			return err
		}
		for _, s := range stale {
			missing = append(missing, fmt.Sprintf("  %s: stage %s (signature %.12s)", p.LocalRef, s.Stage.Name, s.Signature))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	remote := "the remote"
	if len(args) > 0 {
		remote = args[0]
	}
	return fmt.Errorf("%w: these stages of the pushed commits are computed nowhere, so %s would get code without its data:\n%s\nrun git dds run (on those commits), then push again; or push with git config dds.prepush upload",
		ErrRefused, remote, strings.Join(missing, "\n"))
}
