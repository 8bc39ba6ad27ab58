package gitref

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestCommitFilesTouchesNothing: a commit of a parent's tree with one file
// replaced keeps every other entry and the file's mode, and changes no
// ref, nothing of git's index and nothing of the working tree.
func TestCommitFilesTouchesNothing(t *testing.T) {
	ctx := context.Background()
	tr := newTestRepo(t)
	tr.write("params.yaml", "lr: 0.1\n")
	tr.write("src/run.sh", "echo run\n")
	if err := os.Chmod(tr.path("src/run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	tr.commitAll("base")
	tr.write("notes.txt", "untracked\n")
	head := tr.git("rev-parse", "HEAD")
	indexBefore := tr.git("ls-files", "-s", "--debug")
	statusBefore := tr.git("status", "--porcelain")
	r := tr.open()

	commit, err := r.CommitFiles(ctx, head, "", map[string][]byte{"params.yaml": []byte("lr: 0.2\n"), "src/run.sh": []byte("echo fast\n")}, "exp\n", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.git("rev-parse", commit+"^"); got != head {
		t.Errorf("parent %s, want %s", got, head)
	}
	if got := tr.git("show", commit+":params.yaml"); got != "lr: 0.2" {
		t.Errorf("params.yaml in the commit: %q", got)
	}
	if got := tr.git("ls-tree", commit, "src/run.sh"); !strings.HasPrefix(got, "100755 ") {
		t.Errorf("src/run.sh lost its mode: %s", got)
	}
	if tr.git("rev-parse", "HEAD") != head || tr.git("ls-files", "-s", "--debug") != indexBefore || tr.git("status", "--porcelain") != statusBefore {
		t.Error("CommitFiles changed HEAD, git's index or the working tree")
	}
	if _, err := r.CommitFiles(ctx, head, "", map[string][]byte{"missing.yaml": nil}, "exp\n", t.TempDir()); err == nil {
		t.Error("a file the parent does not have was committed")
	}

	if err := r.SetRef(ctx, "refs/dds/exp/a", commit, ""); err != nil {
		t.Fatal(err)
	}
	infos, err := r.RefsInfo(ctx, "refs/dds/exp")
	if err != nil || len(infos) != 1 || infos[0].Commit != commit || infos[0].Parent != head || infos[0].Time == 0 {
		t.Fatalf("RefsInfo: %+v, %v", infos, err)
	}
	if err := r.DeleteRef(ctx, "refs/dds/exp/a"); err != nil {
		t.Fatal(err)
	}
	if infos, _ := r.RefsInfo(ctx, "refs/dds/exp"); len(infos) != 0 {
		t.Errorf("ref left after DeleteRef: %+v", infos)
	}
}

// TestWorktreeAddRemove: a worktree holds the commit's files, and leaves
// no trace once removed, nor once pruned after its folder went away.
func TestWorktreeAddRemove(t *testing.T) {
	ctx := context.Background()
	tr := newTestRepo(t)
	tr.write("a.txt", "a\n")
	head := tr.commitAll("base")
	r := tr.open()

	dir := filepath.Join(t.TempDir(), "wt")
	if err := r.AddWorktree(ctx, dir, head); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "a.txt")); err != nil || string(data) != "a\n" {
		t.Fatalf("a.txt in the worktree: %q, %v", data, err)
	}
	if got := gitIn(t, dir, "status", "--porcelain"); got != "" {
		t.Errorf("the new worktree is not clean: %s", got)
	}
	if err := r.RemoveWorktree(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(tr.git("worktree", "list"), "\n"); got != 0 {
		t.Errorf("worktrees left: %s", tr.git("worktree", "list"))
	}

	// A killed process's: the folder gone, git's record left until pruned.
	if err := r.AddWorktree(ctx, dir, head); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := r.PruneWorktrees(ctx); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(tr.git("worktree", "list"), "\n"); got != 0 {
		t.Errorf("worktrees left after a prune: %s", tr.git("worktree", "list"))
	}
}

// TestSnapshotWorkingTree: the tree holds every change to a tracked file
// (edited, deleted, staged, a staged new file), no untracked file, and git's
// index file and the working tree stay byte for byte as they were.
func TestSnapshotWorkingTree(t *testing.T) {
	ctx := context.Background()
	tr := newTestRepo(t)
	tr.write("a.txt", "a\n")
	tr.write("b.txt", "b\n")
	tr.write("c.txt", "c\n")
	tr.commitAll("base")
	r := tr.open()
	clean, err := r.SnapshotWorkingTree(ctx, t.TempDir())
	if err != nil || clean.Tree != tr.git("rev-parse", "HEAD^{tree}") || len(clean.Changed)+len(clean.Untracked) != 0 {
		t.Fatalf("a clean tree: %+v, %v", clean, err)
	}

	tr.write("a.txt", "edited\n")
	if err := os.Remove(tr.path("b.txt")); err != nil {
		t.Fatal(err)
	}
	tr.write("c.txt", "staged\n")
	tr.git("add", "c.txt")
	tr.write("c.txt", "staged, then edited\n")
	tr.write("new.txt", "new\n")
	tr.git("add", "new.txt")
	tr.write("notes/u.txt", "untracked\n")
	// git status refreshes the index first, so that its bytes stay after.
	statusBefore := tr.git("status", "--porcelain")
	diffBefore := tr.git("diff") + tr.git("diff", "--cached")
	indexBefore, err := os.ReadFile(tr.path(".git/index"))
	if err != nil {
		t.Fatal(err)
	}

	got, err := r.SnapshotWorkingTree(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.git("ls-tree", "-r", "--name-only", got.Tree); got != "a.txt\nc.txt\nnew.txt" {
		t.Errorf("files of the tree: %q", got)
	}
	for path, want := range map[string]string{"a.txt": "edited", "c.txt": "staged, then edited", "new.txt": "new"} {
		if content := tr.git("cat-file", "blob", got.Tree+":"+path); content != want {
			t.Errorf("%s in the tree: %q, want %q", path, content, want)
		}
	}
	slices.Sort(got.Changed)
	if strings.Join(got.Changed, " ") != "a.txt b.txt c.txt new.txt" || strings.Join(got.Untracked, " ") != "notes/" {
		t.Errorf("changed %q, untracked %q", got.Changed, got.Untracked)
	}
	indexAfter, err := os.ReadFile(tr.path(".git/index"))
	if err != nil {
		t.Fatal(err)
	}
	if string(indexAfter) != string(indexBefore) || tr.git("status", "--porcelain") != statusBefore || tr.git("diff")+tr.git("diff", "--cached") != diffBefore {
		t.Error("SnapshotWorkingTree changed git's index or the working tree")
	}
}

// TestWorktreesAddedAtOnce: worktrees added and removed at once, as a sweep
// of experiments does, all succeed. git worktree add reads every other
// worktree's record and fails on one another git is still writing.
func TestWorktreesAddedAtOnce(t *testing.T) {
	ctx := context.Background()
	tr := newTestRepo(t)
	tr.write("a.txt", "a\n")
	head := tr.commitAll("base")
	r := tr.open()

	base := t.TempDir()
	const n = 6
	errs := make(chan error, n)
	for i := range n {
		go func() {
			dir := filepath.Join(base, "wt-"+strconv.Itoa(i))
			for range 4 {
				if err := r.AddWorktree(ctx, dir, head); err != nil {
					errs <- err
					return
				}
				if err := r.RemoveWorktree(ctx, dir); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := strings.Count(tr.git("worktree", "list"), "\n"); got != 0 {
		t.Errorf("worktrees left: %s", tr.git("worktree", "list"))
	}
}
