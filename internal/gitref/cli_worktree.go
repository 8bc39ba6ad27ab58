package gitref

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// AddWorktree checks commit out, detached, in a new linked working tree at
// dir, which must not exist. No hook runs: the tree is filled by git reset
// rather than by a checkout, so the hooks installed in the repository (git
// dds's own among them) never see a working tree that is not the user's.
func (r *Repo) AddWorktree(ctx context.Context, dir, commit string) error {
	if !isObjectID(commit) {
		return fmt.Errorf("adding a worktree at %s: %q is not a commit id", dir, commit)
	}
	err := r.withWorktreesLocked(ctx, func() error {
		_, err := r.Git(ctx, "worktree", "add", "--detach", "--no-checkout", "--quiet", dir, commit)
		return err
	})
	if err != nil {
		return fmt.Errorf("adding a worktree at %s: %w", dir, err)
	}
	if _, err := gitInWorktree(ctx, dir, "reset", "--hard", "--quiet", commit); err != nil {
		_ = r.RemoveWorktree(context.WithoutCancel(ctx), dir)
		return fmt.Errorf("filling the worktree at %s: %w", dir, err)
	}
	return nil
}

// RemoveWorktree removes the linked working tree at dir, its files and
// git's record of it, whatever it holds. A folder already gone leaves only
// the record, which PruneWorktrees removes.
func (r *Repo) RemoveWorktree(ctx context.Context, dir string) error {
	err := r.withWorktreesLocked(ctx, func() error {
		_, err := r.Git(ctx, "worktree", "remove", "--force", "--force", dir)
		return err
	})
	if err != nil {
		if _, statErr := os.Stat(dir); errors.Is(statErr, os.ErrNotExist) {
			return r.PruneWorktrees(ctx)
		}
		return fmt.Errorf("removing the worktree at %s: %w", dir, err)
	}
	return nil
}

// PruneWorktrees removes git's records of linked working trees whose folder
// is gone, as a process killed before it removed its own leaves them.
func (r *Repo) PruneWorktrees(ctx context.Context) error {
	err := r.withWorktreesLocked(ctx, func() error {
		_, err := r.Git(ctx, "worktree", "prune")
		return err
	})
	if err != nil {
		return fmt.Errorf("pruning worktrees: %w", err)
	}
	return nil
}

// withWorktreesLocked runs change, a git worktree command that changes
// git's records of linked worktrees, holding a lock every git dds process
// of the repository takes for it. git takes none: an add reads the
// records of all others and fails on one another add is still writing,
// and removing the last worktree removes the folder an add writes in.
// The kernel drops the lock with a holder that dies.
func (r *Repo) withWorktreesLocked(ctx context.Context, change func() error) error {
	lock := flock.New(filepath.Join(r.CommonDir, "dds-worktrees.lock"))
	if _, err := lock.TryLockContext(ctx, 20*time.Millisecond); err != nil {
		return fmt.Errorf("locking git's worktree records: %w", err)
	}
	defer lock.Close()
	return change()
}

// CommitFiles writes a commit whose parent is parent and whose tree is
// tree (parent's when tree is "") with the files of files (path -> content)
// replaced, each keeping its mode. Each path must be a file of that tree.
// Nothing of the working tree, git's index or any ref changes: the tree is
// built in a temporary index under scratch, a folder of the caller's. It
// gives the new commit's id.
func (r *Repo) CommitFiles(ctx context.Context, parent, tree string, files map[string][]byte, message, scratch string) (string, error) {
	if !isObjectID(parent) {
		return "", fmt.Errorf("committing on %q: not a commit id", parent)
	}
	base := parent
	if tree != "" {
		if !isObjectID(tree) {
			return "", fmt.Errorf("committing on %s: %q is not a tree id", parent, tree)
		}
		base = tree
	}
	written, err := r.withTempIndex(ctx, scratch, func(env []string) error {
		if _, err := r.runGitEnv(ctx, nil, env, "read-tree", base); err != nil {
			return err
		}
		for path, content := range files {
			listed, err := r.Git(ctx, "ls-tree", "-z", base, "--", path)
			if err != nil {
				return err
			}
			mode, _, ok := strings.Cut(string(listed), " ")
			if !ok || (mode != "100644" && mode != "100755") {
				return fmt.Errorf("%s is not a file of its tree", path)
			}
			blob, err := r.runGit(ctx, content, "hash-object", "-w", "--stdin")
			if err != nil {
				return fmt.Errorf("storing %s: %w", path, err)
			}
			info := mode + "," + strings.TrimSpace(string(blob)) + "," + path
			if _, err := r.runGitEnv(ctx, nil, env, "update-index", "--cacheinfo", info); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("committing on %s: %w", parent, err)
	}
	commit, err := r.runGit(ctx, []byte(message), "commit-tree", written, "-p", parent)
	if err != nil {
		return "", fmt.Errorf("committing on %s: %w", parent, err)
	}
	id := strings.TrimSpace(string(commit))
	if !isObjectID(id) {
		return "", fmt.Errorf("committing on %s: git commit-tree printed %q, not a commit id", parent, truncate(id, 80))
	}
	return id, nil
}

// ErrUnmerged is a working tree with a file in a merge conflict.
var ErrUnmerged = errors.New("has a merge conflict")

// WorkingTree is what the working tree holds beyond HEAD, as a tree.
type WorkingTree struct {
	// Tree is the id of a tree of the tracked files as the working tree
	// has them: git's index with every change to a tracked file (edited,
	// deleted, staged) added, as git commit -a would commit.
	Tree string
	// Changed lists the tracked files whose content differs from HEAD's.
	Changed []string
	// Untracked lists the files and folders (ending in /) that git status
	// shows as untracked, ignored ones left out: Tree holds none of them.
	Untracked []string
}

// SnapshotWorkingTree writes the tree of the working tree's tracked files
// (WorkingTree.Tree) without changing git's index or the working tree: it
// works on a copy of the index under scratch, a folder of the caller's. A
// file with a merge conflict is refused: its content is no one's choice.
func (r *Repo) SnapshotWorkingTree(ctx context.Context, scratch string) (WorkingTree, error) {
	var wt WorkingTree
	out, err := r.Git(ctx, "--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=normal", "--ignore-submodules=dirty")
	if err != nil {
		return wt, fmt.Errorf("listing uncommitted changes: %w", err)
	}
	records := strings.Split(string(out), "\x00")
	for i := 0; i < len(records); i++ {
		rec := records[i]
		if len(rec) < 4 {
			continue
		}
		switch code := rec[:2]; {
		case code == "??":
			wt.Untracked = append(wt.Untracked, rec[3:])
		case code == "DD" || code == "AA" || strings.Contains(code, "U"):
			return wt, fmt.Errorf("%s %w: an experiment takes the working tree's files; resolve it (git add it) or set it aside first", rec[3:], ErrUnmerged)
		default:
			wt.Changed = append(wt.Changed, rec[3:])
		}
		if rec[0] == 'R' || rec[0] == 'C' {
			i++ // the rename's source follows
		}
	}
	wt.Tree, err = r.withTempIndex(ctx, scratch, func(env []string) error {
		index, err := os.ReadFile(r.indexPath)
		switch {
		case errors.Is(err, os.ErrNotExist):
			// No index yet: HEAD's tree is what is staged.
			if _, err := r.runGitEnv(ctx, nil, env, "read-tree", "HEAD"); err != nil {
				return err
			}
		case err != nil:
			return fmt.Errorf("reading git's index: %w", err)
		default:
			if err := os.WriteFile(strings.TrimPrefix(env[0], "GIT_INDEX_FILE="), index, 0o600); err != nil {
				return fmt.Errorf("copying git's index: %w", err)
			}
		}
		if len(wt.Changed) == 0 {
			return nil
		}
		_, err = r.runGitEnv(ctx, nil, env, "add", "--update", "--", ":/")
		return err
	})
	if err != nil {
		return wt, fmt.Errorf("writing the working tree's tree: %w", err)
	}
	return wt, nil
}

// withTempIndex runs fill with the environment naming a new, empty index
// file under scratch (GIT_INDEX_FILE=..., env[0]), writes that index's
// tree and gives its id; the index file goes after.
func (r *Repo) withTempIndex(ctx context.Context, scratch string, fill func(env []string) error) (string, error) {
	tmp, err := os.MkdirTemp(scratch, "index-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	env := []string{"GIT_INDEX_FILE=" + filepath.Join(tmp, "index")}
	if err := fill(env); err != nil {
		return "", err
	}
	tree, err := r.runGitEnv(ctx, nil, env, "write-tree")
	if err != nil {
		return "", err
	}
	id := strings.TrimSpace(string(tree))
	if !isObjectID(id) {
		return "", fmt.Errorf("git write-tree printed %q, not a tree id", truncate(id, 80))
	}
	return id, nil
}

// SetRef points the ref name (refs/...) at commit. With old set, the ref
// must name old, or not exist when old is all zeros, or nothing changes.
func (r *Repo) SetRef(ctx context.Context, name, commit, old string) error {
	if !strings.HasPrefix(name, "refs/") || !isObjectID(commit) {
		return fmt.Errorf("setting ref %q to %q: not a full ref name and a commit id", name, commit)
	}
	args := []string{"update-ref", "--no-deref", name, commit}
	if old != "" {
		args = append(args, old)
	}
	if _, err := r.Git(ctx, args...); err != nil {
		return fmt.Errorf("setting ref %s: %w", name, err)
	}
	return nil
}

// DeleteRef deletes the ref name (refs/...).
func (r *Repo) DeleteRef(ctx context.Context, name string) error {
	if !strings.HasPrefix(name, "refs/") {
		return fmt.Errorf("deleting ref %q: not a full ref name", name)
	}
	if _, err := r.Git(ctx, "update-ref", "--no-deref", "-d", name); err != nil {
		return fmt.Errorf("deleting ref %s: %w", name, err)
	}
	return nil
}

// CheckRefName reports whether name is a ref name git accepts.
func (r *Repo) CheckRefName(ctx context.Context, name string) bool {
	_, err := r.Git(ctx, "check-ref-format", name)
	return err == nil
}

// Push pushes refspecs to the git remote remote, as git push does, with
// git's own credentials and transport; git's hooks run (pre-push).
func (r *Repo) Push(ctx context.Context, remote string, refspecs ...string) error {
	if strings.HasPrefix(remote, "-") {
		return fmt.Errorf("pushing to %q: a remote name does not start with -", remote)
	}
	args := append([]string{"push", "--quiet", remote}, refspecs...)
	if _, err := r.Git(ctx, args...); err != nil {
		return fmt.Errorf("pushing to %s: %w", remote, err)
	}
	return nil
}

// Fetch fetches refspecs from the git remote remote, as git fetch does.
func (r *Repo) Fetch(ctx context.Context, remote string, refspecs ...string) error {
	if strings.HasPrefix(remote, "-") {
		return fmt.Errorf("fetching from %q: a remote name does not start with -", remote)
	}
	args := append([]string{"fetch", "--quiet", remote}, refspecs...)
	if _, err := r.Git(ctx, args...); err != nil {
		return fmt.Errorf("fetching from %s: %w", remote, err)
	}
	return nil
}

// runGitEnv is runGit with env added to, and overriding, what it sets.
func (r *Repo) runGitEnv(ctx context.Context, stdin []byte, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = r.Root
	cmd.Env = append(append(os.Environ(),
		"GIT_DIR="+r.GitDir,
		"GIT_WORK_TREE="+r.Root,
		"GIT_INDEX_FILE="+r.indexPath,
	), env...)
	return runCmd(cmd, stdin, args)
}

// gitInWorktree runs git in the working tree at dir, finding its repository there
// rather than through the GIT_* variables a hook may have set for another.
func gitInWorktree(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	return runCmd(cmd, nil, args)
}

func runCmd(cmd *exec.Cmd, stdin []byte, args []string) ([]byte, error) {
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, errGitMissing(err)
		}
		return stdout.Bytes(), fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// GitRemotes lists the names of the repository's git remotes.
func (r *Repo) GitRemotes(ctx context.Context) ([]string, error) {
	out, err := r.Git(ctx, "remote")
	if err != nil {
		return nil, fmt.Errorf("listing git remotes: %w", err)
	}
	return strings.Fields(string(out)), nil
}
