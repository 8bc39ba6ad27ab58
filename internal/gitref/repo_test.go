package gitref

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpen(t *testing.T) {
	tr := newTestRepo(t)
	tr.write("src/lib/a.txt", "a\n")
	tr.commitAll("first")
	gitDir := filepath.Join(tr.dir, ".git")

	worktree := filepath.Join(filepath.Dir(tr.dir), filepath.Base(tr.dir)+"-wt")
	tr.git("worktree", "add", "-q", worktree, "-b", "other")
	t.Cleanup(func() { os.RemoveAll(worktree) })

	tests := []struct {
		name                    string
		dir                     string
		env                     map[string]string
		wantRoot, wantGitDir    string
		wantCommonDir, wantHead string
	}{
		{name: "root", dir: tr.dir, wantRoot: tr.dir, wantGitDir: gitDir, wantCommonDir: gitDir, wantHead: "refs/heads/main"},
		{name: "subdirectory", dir: tr.path("src/lib"), wantRoot: tr.dir, wantGitDir: gitDir, wantCommonDir: gitDir, wantHead: "refs/heads/main"},
		{name: "linked worktree", dir: worktree, wantRoot: worktree,
			wantGitDir: filepath.Join(gitDir, "worktrees", filepath.Base(worktree)), wantCommonDir: gitDir, wantHead: "refs/heads/other"},
		{name: "GIT_DIR and GIT_WORK_TREE", dir: t.TempDir(), env: map[string]string{"GIT_DIR": gitDir, "GIT_WORK_TREE": tr.dir},
			wantRoot: tr.dir, wantGitDir: gitDir, wantCommonDir: gitDir, wantHead: "refs/heads/main"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			r, err := Open(context.Background(), tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			if r.Root != tt.wantRoot || r.GitDir != tt.wantGitDir || r.CommonDir != tt.wantCommonDir {
				t.Errorf("Open(%s) = root %s, git dir %s, common dir %s; want %s, %s, %s",
					tt.dir, r.Root, r.GitDir, r.CommonDir, tt.wantRoot, tt.wantGitDir, tt.wantCommonDir)
			}
			ref, commit, err := r.Head()
			if err != nil || ref != tt.wantHead || commit != tr.git("rev-parse", "HEAD") {
				t.Errorf("Head() = %q, %q, %v; want %q, %s", ref, commit, err, tt.wantHead, tr.git("rev-parse", "HEAD"))
			}
		})
	}
}

func TestOpenLinkedWorktreeIndex(t *testing.T) {
	tr := newTestRepo(t)
	tr.write("f.txt", "main\n")
	tr.commitAll("first")
	worktree := filepath.Join(filepath.Dir(tr.dir), filepath.Base(tr.dir)+"-wt2")
	tr.git("worktree", "add", "-q", worktree, "-b", "other")
	t.Cleanup(func() { os.RemoveAll(worktree) })
	if err := os.WriteFile(filepath.Join(worktree, "f.txt"), []byte("changed in the worktree\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn(t, worktree, "add", "f.txt")

	r, err := Open(context.Background(), worktree)
	if err != nil {
		t.Fatal(err)
	}
	o, err := r.Worktree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e, ok, err := o.Lookup("f.txt")
	want := strings.TrimSpace(gitIn(t, worktree, "rev-parse", ":f.txt"))
	if err != nil || !ok || e.ID != want {
		t.Errorf("Lookup(f.txt) in the linked worktree = %+v, %v, %v; want %s", e, ok, err, want)
	}
}

func TestOpenRefuses(t *testing.T) {
	hermetic(t)
	plain := t.TempDir()

	bare := newTestRepo(t, "--bare")
	sha256 := newTestRepo(t, "--object-format=sha256")
	normal := newTestRepo(t)

	tests := []struct {
		name    string
		dir     string
		wantErr error
		wantMsg string
	}{
		{"not a repository", plain, ErrNotRepository, "run git init"},
		{"missing folder", filepath.Join(plain, "nope"), nil, "nope"},
		{"bare", bare.dir, ErrBareRepository, "no working tree"},
		{"inside the git dir", filepath.Join(normal.dir, ".git"), ErrNotRepository, "working tree"},
		{"sha256", sha256.dir, ErrUnsupportedObjectFormat, "sha256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(context.Background(), tt.dir)
			if err == nil {
				t.Fatalf("Open(%s) succeeded", tt.dir)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Open(%s) = %v, want an error wrapping %v", tt.dir, err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Open(%s) = %q, want it to mention %q", tt.dir, err, tt.wantMsg)
			}
		})
	}
}

// git sets extensions.worktreeConfig for sparse checkouts; go-git alone
// refuses any extension it does not implement.
func TestOpenWithHarmlessExtensions(t *testing.T) {
	tr := newTestRepo(t)
	tr.write("f", "f\n")
	tr.commitAll("first")
	tr.git("config", "core.repositoryFormatVersion", "1")
	tr.git("config", "extensions.worktreeConfig", "true")
	tr.git("config", "extensions.objectFormat", "sha1")
	r := tr.open()
	if got, err := r.Resolve("HEAD"); err != nil || got != tr.git("rev-parse", "HEAD") {
		t.Errorf("Resolve(HEAD) = %s, %v", got, err)
	}
}

func TestHead(t *testing.T) {
	tr := newTestRepo(t)
	r := tr.open()
	if ref, commit, err := r.Head(); err != nil || ref != "refs/heads/main" || commit != "" {
		t.Errorf("Head() on an unborn branch = %q, %q, %v", ref, commit, err)
	}
	tr.write("f", "1\n")
	tr.commitAll("first")
	tr.write("f", "2\n")
	tr.commitAll("second")
	tr.git("checkout", "-q", "--detach", "HEAD~1")
	if ref, commit, err := r.Head(); err != nil || ref != "" || commit != tr.git("rev-parse", "HEAD") {
		t.Errorf("Head() detached = %q, %q, %v", ref, commit, err)
	}
}

func TestResolve(t *testing.T) {
	tr := newTestRepo(t)
	tr.write("f", "1\n")
	tr.commitAll("first")
	tr.git("tag", "light")
	tr.git("tag", "-a", "-m", "annotated", "v1")
	tr.write("f", "2\n")
	tr.commitAll("second")
	tr.git("branch", "feature", "HEAD~1")
	r := tr.open()

	for _, rev := range []string{
		"HEAD", "main", "refs/heads/main", "feature", "light", "v1", "HEAD~1", "HEAD^", "main~1",
		tr.git("rev-parse", "HEAD"), tr.git("rev-parse", "--short=7", "HEAD~1"),
		"v1^{}", "main@{0}", "HEAD^{commit}",
	} {
		t.Run(rev, func(t *testing.T) {
			got, err := r.Resolve(rev)
			want := tr.git("rev-parse", rev+"^{commit}")
			if err != nil || got != want {
				t.Errorf("Resolve(%q) = %q, %v; want %s", rev, got, err, want)
			}
		})
	}
	for _, rev := range []string{"nope", "HEAD~5", "", "--all", tr.git("rev-parse", "HEAD^{tree}")} {
		t.Run("unknown "+rev, func(t *testing.T) {
			_, err := r.Resolve(rev)
			if !errors.Is(err, ErrUnknownRevision) || !strings.Contains(err.Error(), "unknown revision") {
				t.Errorf("Resolve(%q) = %v, want ErrUnknownRevision", rev, err)
			}
		})
	}
}

func TestCommitTree(t *testing.T) {
	tr := newTestRepo(t)
	tr.writeFixture()
	tr.commitAll("first")
	tr.write("src/lib/util.py", "def g(): pass\n")
	tr.git("rm", "-q", "-r", "many")
	tr.commitAll("second")
	r := tr.open()

	for _, rev := range []string{"HEAD", "HEAD~1"} {
		t.Run(rev, func(t *testing.T) {
			commit, err := r.Resolve(rev)
			if err != nil {
				t.Fatal(err)
			}
			tree, err := r.CommitTree(commit)
			if err != nil {
				t.Fatal(err)
			}
			assertTreeMatches(t, tree, tr.treeListing(rev), []string{"many", "many/f000.txt", "nope", "src/nope/x", "README.md/x"})

			data, err := tree.ReadFile("src/lib/util.py")
			if want := gitIn(t, tr.dir, "cat-file", "blob", rev+":src/lib/util.py"); err != nil || string(data) != want {
				t.Errorf("ReadFile(src/lib/util.py) = %q, %v; want %q", data, err, want)
			}
			if data, err := tree.ReadFile("link"); err != nil || string(data) != "src/main.py" {
				t.Errorf("ReadFile(link) = %q, %v; want the symlink's target", data, err)
			}
			if _, err := tree.ReadFile("src"); err == nil {
				t.Error("ReadFile(src) of a folder succeeded")
			}
			if _, err := tree.ReadFile("nope"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("ReadFile(nope) = %v, want fs.ErrNotExist", err)
			}
		})
	}
	if _, err := r.CommitTree("HEAD"); err == nil {
		t.Error("CommitTree(HEAD) accepted a revision name; it takes a commit id")
	}
}

func TestMergeTree(t *testing.T) {
	tr := newTestRepo(t)
	tr.write("a", "a\n")
	tr.write("b", "b\n")
	tr.commitAll("base")
	tr.git("checkout", "-q", "-b", "feature")
	tr.write("a", "a from feature\n")
	tr.commitAll("feature a")
	tr.git("checkout", "-q", "-b", "conflicting", "main")
	tr.write("a", "a from conflicting\n")
	tr.commitAll("conflicting a")
	tr.git("checkout", "-q", "main")
	tr.write("b", "b from main\n")
	tr.commitAll("main b")
	r := tr.open()
	ctx := context.Background()

	t.Run("clean", func(t *testing.T) {
		treeID, conflicts, err := r.MergeTree(ctx, "main", "feature")
		if err != nil || len(conflicts) != 0 {
			t.Fatalf("MergeTree(main, feature) = %s, %v, %v", treeID, conflicts, err)
		}
		tr.git("merge", "-q", "--no-edit", "feature")
		if want := tr.git("rev-parse", "HEAD^{tree}"); treeID != want {
			t.Errorf("merged tree %s, git merge made %s", treeID, want)
		}
		tree, err := r.TreeByID(treeID)
		if err != nil {
			t.Fatal(err)
		}
		assertTreeMatches(t, tree, tr.treeListing("HEAD"), nil)
	})
	t.Run("conflict", func(t *testing.T) {
		treeID, conflicts, err := r.MergeTree(ctx, "feature", "conflicting")
		if err != nil || len(conflicts) != 1 || conflicts[0] != "a" {
			t.Fatalf("MergeTree(feature, conflicting) = %s, %v, %v; want a conflict on a", treeID, conflicts, err)
		}
		tree, err := r.TreeByID(treeID)
		if err != nil {
			t.Fatal(err)
		}
		if data, err := tree.ReadFile("a"); err != nil || !strings.Contains(string(data), "<<<<<<<") {
			t.Errorf("merged a = %q, %v; want conflict markers", data, err)
		}
	})
	t.Run("unknown branch", func(t *testing.T) {
		if _, _, err := r.MergeTree(ctx, "main", "nope"); err == nil || !strings.Contains(err.Error(), "nope") {
			t.Errorf("MergeTree(main, nope) = %v, want an error naming nope", err)
		}
	})
}

func TestGitHelper(t *testing.T) {
	tr := newTestRepo(t)
	r := tr.open()
	out, err := r.Git(context.Background(), "rev-parse", "--show-toplevel")
	if err != nil || strings.TrimSpace(string(out)) != tr.dir {
		t.Errorf("Git(rev-parse --show-toplevel) = %q, %v", out, err)
	}
	_, err = r.Git(context.Background(), "cat-file", "-p", "nope")
	if err == nil || !strings.Contains(err.Error(), "git cat-file -p nope") || !strings.Contains(err.Error(), "nope") {
		t.Errorf("a failing git command gave %v, want the command and git's message", err)
	}
}
