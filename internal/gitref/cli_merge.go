package gitref

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sort"
)

// MergeTree merges two commits the way git merge would, without touching
// the index, the working tree or any ref (git merge-tree --write-tree, git
// 2.38 or newer). It returns the merged tree's id, which TreeByID reads,
// and the paths left conflicted, sorted; with conflicts the tree holds
// them with conflict markers, as git merge leaves them.
func (r *Repo) MergeTree(ctx context.Context, ours, theirs string) (treeID string, conflicts []string, err error) {
	out, err := r.runGit(ctx, nil, "merge-tree", "--write-tree", "--name-only", "-z", "--no-messages", "--end-of-options", ours, theirs)
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		// Exit 1 is git's "merged, with conflicts": the tree is still there.
	case errors.As(err, &exit) && exit.ExitCode() == 129:
		return "", nil, fmt.Errorf("merging %s into %s: this git is too old for merge-tree --write-tree; install git 2.38 or newer: %w", theirs, ours, err)
	default:
		if r.isShallow(ctx) {
			// git finds no merge base when the history it needs was not
			// fetched; its "unrelated histories" would mislead.
			return "", nil, fmt.Errorf("%w: its history stops before the commit both sides share; deepen it with git fetch --unshallow (or git fetch --deepen=N, N commits more) and run git dds merge-preview again", ErrShallow)
		}
		return "", nil, fmt.Errorf("merging %s into %s: %w", theirs, ours, err)
	}
	treeID, conflicts, parseErr := parseMergeTree(out)
	if parseErr != nil {
		return "", nil, fmt.Errorf("merging %s into %s: %w", theirs, ours, parseErr)
	}
	return treeID, conflicts, nil
}

// ErrShallow is a merge that needs history a shallow clone does not have.
var ErrShallow = errors.New("this is a shallow clone")

// isShallow reports whether the repository is a shallow clone. An error
// asking counts as not shallow: the caller then reports git's own error.
func (r *Repo) isShallow(ctx context.Context) bool {
	out, err := r.runGit(ctx, nil, "rev-parse", "--is-shallow-repository")
	return err == nil && bytes.Equal(bytes.TrimSpace(out), []byte("true"))
}

// parseMergeTree reads the -z --name-only --no-messages output of git
// merge-tree: the tree id, then each conflicted path, each ended by NUL.
// An empty field ends the list (it would start the messages section).
func parseMergeTree(out []byte) (string, []string, error) {
	fields := bytes.Split(out, []byte{0})
	tree := string(fields[0])
	if !isObjectID(tree) {
		return "", nil, fmt.Errorf("git merge-tree printed %q where a tree id was expected", truncate(tree, 80))
	}
	seen := make(map[string]bool)
	var conflicts []string
	for _, f := range fields[1:] {
		if len(f) == 0 {
			break
		}
		if p := string(f); !seen[p] {
			seen[p] = true
			conflicts = append(conflicts, p)
		}
	}
	sort.Strings(conflicts)
	return tree, conflicts, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
