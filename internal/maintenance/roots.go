package maintenance

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/git-dds/git-dds/internal/gitref"
)

// What gc keeps, as --keep names it.
const (
	// KeepAllRefs keeps the views of every local branch, tag,
	// remote-tracking branch, worktree HEAD and stash entry.
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
		if head, ok := resolveCommit(ctx, repo, "HEAD"); ok {
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

// refTips gives the commit of every branch, tag and remote-tracking
// branch, and the names of the local branches. A tag of a tree or a blob
// has no view and is left out.
func refTips(ctx context.Context, repo *gitref.Repo) (tips []root, branches []string, err error) {
	out, err := repo.Git(ctx, "for-each-ref",
		"--format=%(objecttype) %(objectname) %(*objecttype) %(*objectname) %(refname)",
		"refs/heads", "refs/tags", "refs/remotes")
	if err != nil {
		return nil, nil, fmt.Errorf("listing refs: %w", err)
	}
	for line := range strings.Lines(string(out)) {
		fields := strings.SplitN(strings.TrimSuffix(line, "\n"), " ", 5)
		if len(fields) != 5 {
			continue
		}
		kind, id, peeledKind, peeled, name := fields[0], fields[1], fields[2], fields[3], fields[4]
		switch {
		case kind == "commit":
		case kind == "tag" && peeledKind == "commit":
			id = peeled
		case kind == "tag" && peeledKind == "tag":
			// A tag of a tag: rare enough to ask git once for each.
			var ok bool
			if id, ok = resolveCommit(ctx, repo, name); !ok {
				continue
			}
		default:
			continue
		}
		tips = append(tips, root{commit: id, name: name})
		if strings.HasPrefix(name, "refs/heads/") {
			branches = append(branches, name)
		}
	}
	return tips, branches, nil
}

// worktreeHeads gives the HEAD of every working tree of the repository,
// linked ones included, detached or not.
func worktreeHeads(ctx context.Context, repo *gitref.Repo) ([]root, error) {
	out, err := repo.Git(ctx, "worktree", "list", "--porcelain")
	if err != nil {
		return nil, fmt.Errorf("listing worktrees: %w", err)
	}
	return parseWorktreeList(out), nil
}

// parseWorktreeList reads `git worktree list --porcelain`: blocks of
// "worktree PATH", "HEAD ID" and more lines, separated by blank lines.
// A worktree on a branch with no commit yet has an all-zero HEAD.
func parseWorktreeList(out []byte) []root {
	var heads []root
	path := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), " ")
		switch key {
		case "worktree":
			path = value
		case "HEAD":
			if len(value) == 40 && strings.Trim(value, "0") != "" {
				heads = append(heads, root{commit: value, name: "HEAD of the worktree at " + path})
			}
		}
	}
	return heads
}

// stashEntries gives the commit of every stash entry, which records the
// working tree as it was stashed.
func stashEntries(ctx context.Context, repo *gitref.Repo) ([]root, error) {
	if _, ok := resolveCommit(ctx, repo, "refs/stash"); !ok {
		return nil, nil
	}
	out, err := repo.Git(ctx, "log", "--walk-reflogs", "--format=%H", "refs/stash", "--")
	if err != nil {
		return nil, fmt.Errorf("listing stash entries: %w", err)
	}
	var entries []root
	n := 0
	for line := range strings.Lines(string(out)) {
		if id := strings.TrimSpace(line); id != "" {
			entries = append(entries, root{commit: id, name: "stash@{" + strconv.Itoa(n) + "}"})
			n++
		}
	}
	return entries, nil
}

// lastCommits gives the last n commits reachable from rev, rev first.
func lastCommits(ctx context.Context, repo *gitref.Repo, rev string, n int) ([]root, error) {
	out, err := repo.Git(ctx, "rev-list", "--max-count="+strconv.Itoa(n), rev, "--")
	if err != nil {
		return nil, fmt.Errorf("listing the last %d commits of %s: %w", n, rev, err)
	}
	var history []root
	i := 0
	for line := range strings.Lines(string(out)) {
		if id := strings.TrimSpace(line); id != "" {
			history = append(history, root{commit: id, name: fmt.Sprintf("%s~%d", rev, i)})
			i++
		}
	}
	return history, nil
}

// resolveCommit gives the commit rev names, if it names one.
func resolveCommit(ctx context.Context, repo *gitref.Repo, rev string) (string, bool) {
	out, err := repo.Git(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	id := strings.TrimSpace(string(out))
	return id, err == nil && len(id) == 40
}
