package gitref

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// copiedRepo commits files data/f<i> and returns a cp -a copy of the
// repository whose index git has not refreshed: every file has a new inode
// and ctime there, and the same content.
func copiedRepo(t *testing.T, files int) *testRepo {
	t.Helper()
	tr := newTestRepo(t)
	past := time.Now().Add(-time.Hour) // not racily clean: only the copy is stale
	for i := range files {
		p := fmt.Sprintf("data/f%03d", i)
		tr.write(p, fmt.Sprintf("file %d\n", i))
		if err := os.Chtimes(tr.path(p), past, past); err != nil {
			t.Fatal(err)
		}
	}
	tr.commitAll("data")
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", tr.dir+"/.", dir).CombinedOutput(); err != nil {
		t.Fatalf("cp -a: %v\n%s", err, out)
	}
	return &testRepo{t: t, dir: dir}
}

// staleAfterLookup looks up the whole tree in a new overlay and returns
// how many files it hashed in vain, and the overlay.
func staleAfterLookup(t *testing.T, tr *testRepo) (int, *Overlay) {
	t.Helper()
	o, err := tr.open().Worktree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := o.Lookup("data"); err != nil {
		t.Fatal(err)
	}
	return o.StaleStat(), o
}

func TestRefreshGitIndexAfterCopy(t *testing.T) {
	tr := copiedRepo(t, 200)
	if dirty := tr.git("diff-files", "--name-only"); dirty == "" {
		t.Fatal("git diff-files finds the copy's index fresh: the test copies nothing stale")
	}
	stale, o := staleAfterLookup(t, tr)
	if stale != 200 {
		t.Fatalf("the overlay hashed %d files in vain, want 200", stale)
	}
	if !o.RefreshGitIndex(context.Background()) {
		t.Fatal("RefreshGitIndex did not ask git to refresh 200 stale files")
	}
	if dirty := tr.git("diff-files", "--name-only"); dirty != "" {
		t.Fatalf("git's index still has stale stat data after the refresh:\n%s", dirty)
	}
	if stale, _ := staleAfterLookup(t, tr); stale != 0 {
		t.Fatalf("the next overlay hashed %d files again, want 0", stale)
	}
	if status := tr.git("status", "--porcelain"); status != "" {
		t.Fatalf("the refresh changed what git status reports:\n%s", status)
	}
}

func TestRefreshGitIndexSkips(t *testing.T) {
	t.Run("few stale files", func(t *testing.T) {
		tr := copiedRepo(t, staleFilesMin-1)
		if _, o := staleAfterLookup(t, tr); o.RefreshGitIndex(context.Background()) {
			t.Fatal("RefreshGitIndex asked git for fewer files than staleFilesMin")
		}
	})
	t.Run("index locked", func(t *testing.T) {
		tr := copiedRepo(t, 100)
		lock := filepath.Join(tr.dir, ".git", "index.lock")
		if err := os.WriteFile(lock, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		_, o := staleAfterLookup(t, tr)
		o.RefreshGitIndex(context.Background()) // fails in git, silently
		if _, err := os.Stat(lock); err != nil {
			t.Fatalf("the lock of another git process is gone: %v", err)
		}
	})
	t.Run("GIT_OPTIONAL_LOCKS=0", func(t *testing.T) {
		tr := copiedRepo(t, 100)
		t.Setenv("GIT_OPTIONAL_LOCKS", "0")
		if _, o := staleAfterLookup(t, tr); o.RefreshGitIndex(context.Background()) {
			t.Fatal("RefreshGitIndex asked git despite GIT_OPTIONAL_LOCKS=0")
		}
	})
	t.Run("index changed since read", func(t *testing.T) {
		tr := copiedRepo(t, 100)
		_, o := staleAfterLookup(t, tr)
		tr.git("update-index", "-q", "--refresh")
		if o.RefreshGitIndex(context.Background()) {
			t.Fatal("RefreshGitIndex asked git though the index changed since the overlay read it")
		}
	})
	t.Run("a temporary index", func(t *testing.T) {
		tr := copiedRepo(t, 100)
		temp := filepath.Join(tr.dir, ".git", "next-index.lock")
		data, err := os.ReadFile(filepath.Join(tr.dir, ".git", "index"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(temp, data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv("GIT_INDEX_FILE", temp)
		if _, o := staleAfterLookup(t, tr); o.RefreshGitIndex(context.Background()) {
			t.Fatal("RefreshGitIndex asked git to rewrite a hook's temporary index")
		}
	})
	t.Run("nanoseconds only", func(t *testing.T) {
		// git compares whole seconds: a refresh would change nothing, and
		// every status would ask again. ctime is left out: Chtimes sets it
		// to now, whose second differs from the commit's whenever a second
		// ends between them, and then git too sees the file stale.
		tr := newTestRepo(t)
		tr.git("config", "core.trustctime", "false")
		second := time.Now().Add(-time.Hour).Truncate(time.Second)
		for i := range 100 {
			p := fmt.Sprintf("data/f%03d", i)
			tr.write(p, "same\n")
			if err := os.Chtimes(tr.path(p), second, second.Add(100*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
		}
		tr.commitAll("data")
		for i := range 100 {
			if err := os.Chtimes(tr.path(fmt.Sprintf("data/f%03d", i)), second, second.Add(200*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
		}
		if stale, o := staleAfterLookup(t, tr); stale != 0 || o.RefreshGitIndex(context.Background()) {
			t.Fatalf("%d files that differ only in nanoseconds counted as stale for git", stale)
		}
	})
}

// A path named many times in one sweep (a params file, once per stage) is
// examined and hashed once.
func TestPrefetchTakesARepeatedPathOnce(t *testing.T) {
	tr := copiedRepo(t, 2)
	o, err := tr.open().Worktree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"data/f000", "data/f000", "data", "data/f001", "data/f000"}
	if err := o.Prefetch(paths); err != nil {
		t.Fatal(err)
	}
	if stale := o.StaleStat(); stale != 2 {
		t.Fatalf("the overlay hashed %d files for 2 stale ones named 5 times, want 2", stale)
	}
}
