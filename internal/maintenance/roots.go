package maintenance

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/git-dds/git-dds/internal/gitref"
)

// What gc keeps, as --keep names it.
const (
	// KeepAllRefs keeps the views of every local branch, tag,
	// remote-tracking branch, experiment, worktree HEAD and stash entry.
	KeepAllRefs = "all-refs"
	// KeepCurrent keeps the view of HEAD only.
	KeepCurrent = "current"
)

// root is a commit whose view gc keeps, with a name for it in messages.
type root struct {
	commit string
	name   string
}

// roots lists the commits to keep, each once: the tips keep selects and,
// when keepCommits > 0, the last keepCommits commits of each local branch
// (of HEAD with KeepCurrent).
func roots(ctx context.Context, repo *gitref.Repo, keep string, keepCommits int) ([]root, error) {
	var (
		tips     []root
		branches []string // where the last keepCommits commits are taken
		err      error
	)
	switch keep {
	case KeepCurrent:
		if head, err := repo.Resolve("HEAD"); err == nil {
			tips = append(tips, root{commit: head, name: "HEAD"})
			branches = append(branches, "HEAD")
		}
	case KeepAllRefs, "":
		if tips, branches, err = refTips(ctx, repo); err != nil {
			return nil, err
		}
		worktrees, err := worktreeHeads(ctx, repo)
		if err != nil {
			return nil, err
		}
		tips = append(tips, worktrees...)
		stashes, err := stashEntries(ctx, repo)
		if err != nil {
			return nil, err
		}
		tips = append(tips, stashes...)
	default:
		return nil, fmt.Errorf("--keep takes %s or %s, got %q", KeepAllRefs, KeepCurrent, keep)
	}
	if keepCommits > 0 {
		for _, b := range branches {
			history, err := lastCommits(ctx, repo, b, keepCommits)
			if err != nil {
				return nil, err
			}
			tips = append(tips, history...)
		}
	}
	return dedupe(tips), nil
}

func dedupe(roots []root) []root {
	seen := make(map[string]bool, len(roots))
	out := roots[:0]
	for _, r := range roots {
		if !seen[r.commit] {
			seen[r.commit] = true
			out = append(out, r)
		}
	}
	return out
}

// refTips gives the commit of every branch, tag, remote-tracking branch
// and experiment, and the names of the local branches. A tag of a tree or a blob
// has no view and is left out.
func refTips(ctx context.Context, repo *gitref.Repo) (tips []root, branches []string, err error) {
	// Experiments (refs/dds/exp) are kept while their ref exists: exp rm
	// or exp gc makes what only they hold collectable.
	refs, err := repo.Refs(ctx, "refs/heads", "refs/tags", "refs/remotes", "refs/dds/exp")
	if err != nil {
		return nil, nil, err
	}
	for _, ref := range refs {
		tips = append(tips, root{commit: ref.Commit, name: ref.Name})
		if strings.HasPrefix(ref.Name, "refs/heads/") {
			branches = append(branches, ref.Name)
		}
	}
	return tips, branches, nil
}

// worktreeHeads gives the HEAD of every working tree of the repository,
// linked ones included, detached or not.
func worktreeHeads(ctx context.Context, repo *gitref.Repo) ([]root, error) {
	worktrees, err := repo.WorktreeHeads(ctx)
	if err != nil {
		return nil, err
	}
	heads := make([]root, 0, len(worktrees))
	for _, w := range worktrees {
		heads = append(heads, root{commit: w.Commit, name: "HEAD of the worktree at " + w.Path})
	}
	return heads, nil
}

// stashEntries gives the commit of every stash entry, which records the
// working tree as it was stashed.
func stashEntries(ctx context.Context, repo *gitref.Repo) ([]root, error) {
	commits, err := repo.StashCommits(ctx)
	if err != nil {
		return nil, err
	}
	entries := make([]root, 0, len(commits))
	for n, id := range commits {
		entries = append(entries, root{commit: id, name: "stash@{" + strconv.Itoa(n) + "}"})
	}
	return entries, nil
}

// lastCommits gives the last n commits reachable from rev, rev first.
func lastCommits(ctx context.Context, repo *gitref.Repo, rev string, n int) ([]root, error) {
	commits, err := repo.RevList(ctx, rev, gitref.RevListOptions{Max: n})
	if err != nil {
		return nil, fmt.Errorf("listing the last %d commits of %s: %w", n, rev, err)
	}
	history := make([]root, 0, len(commits))
	for i, id := range commits {
		history = append(history, root{commit: id, name: fmt.Sprintf("%s~%d", rev, i)})
	}
	return history, nil
}
