package gitref

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOverlayClean(t *testing.T) {
	tr := newTestRepo(t)
	tr.writeFixture()
	tr.commitAll("first")
	o, err := tr.open().Worktree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	assertTreeMatches(t, o, tr.treeListing("HEAD"), []string{"nope", "src/nope", "src/main.py/x"})
}

// overlayScenario changes a committed fixture; the overlay must then give
// the ids git add -u and git write-tree give, that is, the ids of the
// commit git commit -a would make.
type overlayScenario struct {
	name   string
	change func(tr *testRepo)
	// config is set before the change.
	config [][2]string
}

func overlayScenarios() []overlayScenario {
	return []overlayScenario{
		{name: "unchanged", change: func(*testRepo) {}},
		{name: "modified file", change: func(tr *testRepo) { tr.write("src/lib/util.py", "def g(): return 2\n") }},
		{name: "modified file in a large folder", change: func(tr *testRepo) { tr.write("many/f050.txt", "changed\n") }},
		{name: "executable bit added", change: func(tr *testRepo) { chmod(tr, "src/main.py", 0o755) }},
		{name: "executable bit removed", change: func(tr *testRepo) { chmod(tr, "bin/run.sh", 0o644) }},
		{name: "executable bit ignored with core.fileMode false", config: [][2]string{{"core.fileMode", "false"}},
			change: func(tr *testRepo) { chmod(tr, "src/main.py", 0o755); chmod(tr, "bin/run.sh", 0o644) }},
		{name: "deleted file", change: func(tr *testRepo) { remove(tr, "src/a.b") }},
		{name: "deleted folder", change: func(tr *testRepo) { remove(tr, "src/lib") }},
		{name: "every file of a folder deleted", change: func(tr *testRepo) { remove(tr, "src/a/c") }},
		{name: "file became a symlink", change: func(tr *testRepo) {
			remove(tr, "data/raw.csv")
			symlink(tr, "../README.md", "data/raw.csv")
		}},
		{name: "symlink retargeted", change: func(tr *testRepo) {
			remove(tr, "link")
			symlink(tr, "src/a0", "link")
		}},
		{name: "symlink became a file", change: func(tr *testRepo) {
			remove(tr, "link")
			tr.write("link", "now a file\n")
		}},
		{name: "file became a folder", change: func(tr *testRepo) {
			remove(tr, "src/a0")
			tr.write("src/a0/inside", "untracked\n")
		}},
		{name: "folder became a symlink", change: func(tr *testRepo) {
			remove(tr, "src/lib")
			symlink(tr, "a", "src/lib")
		}},
		{name: "empty file written", change: func(tr *testRepo) { tr.write("empty", "no longer empty\n") }},
		{name: "file emptied", change: func(tr *testRepo) { tr.write("README.md", "") }},
		{name: "untracked files ignored", change: func(tr *testRepo) {
			tr.write("src/lib/new.py", "new\n")
			tr.write("fresh/file", "new\n")
		}},
		{name: "intent to add", change: func(tr *testRepo) {
			tr.write("src/lib/planned.py", "planned\n")
			tr.git("add", "-N", "src/lib/planned.py")
		}},
		{name: "skip-worktree entry changed on disk", change: func(tr *testRepo) {
			tr.git("update-index", "--skip-worktree", "src/main.py")
			tr.write("src/main.py", "hidden change\n")
		}},
		{name: "staged then changed again", change: func(tr *testRepo) {
			tr.write("src/main.py", "staged\n")
			tr.git("add", "src/main.py")
			tr.write("src/main.py", "changed after staging\n")
		}},
		{name: "staged deletion", change: func(tr *testRepo) { tr.git("rm", "-q", "--cached", "data/raw.csv") }},
		{name: "submodule entry", change: func(tr *testRepo) {
			tr.git("update-index", "--add", "--cacheinfo", "160000,"+tr.git("rev-parse", "HEAD")+",src/vendor")
			if err := os.MkdirAll(tr.path("src/vendor"), 0o755); err != nil {
				tr.t.Fatal(err)
			}
		}},
		{name: "merge conflict resolved on disk", change: func(tr *testRepo) {
			tr.git("checkout", "-q", "-b", "side")
			tr.write("src/a.b", "side\n")
			tr.commitAll("side")
			tr.git("checkout", "-q", "main")
			tr.write("src/a.b", "main\n")
			tr.commitAll("main")
			if err := exec.Command("git", "-C", tr.dir, "merge", "-q", "side").Run(); err == nil {
				tr.t.Fatal("the merge did not conflict")
			}
			tr.write("src/a.b", "resolved\n")
		}},
	}
}

func TestOverlayMatchesCommitAll(t *testing.T) {
	template := fixtureTemplate(t)
	paths := keys(template.treeListing("HEAD"))
	for _, sc := range overlayScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			tr := copyRepo(t, template)
			for _, kv := range sc.config {
				tr.git("config", kv[0], kv[1])
			}
			sc.change(tr)
			checkOverlayAgainstGit(t, tr, paths)
		})
	}
}

// checkOverlayAgainstGit builds an overlay and looks up paths (those of
// the commit changed), then stages the tracked files with git and compares
// every path of the tree git writes, and of paths, which the overlay must
// lack when git does.
func checkOverlayAgainstGit(t *testing.T, tr *testRepo, paths []string) {
	t.Helper()
	o, err := tr.open().Worktree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Look up before git touches the index, in map order: files and
	// folders mixed, some folders after their files, some before.
	for _, p := range paths {
		if _, _, err := o.Lookup(p); err != nil {
			t.Fatalf("Lookup(%q): %v", p, err)
		}
	}
	tr.git("add", "-u")
	want := tr.treeListing(tr.git("write-tree"))
	assertTreeMatches(t, o, want, paths)

	// A fresh overlay over the index git just wrote must agree too.
	fresh, err := tr.open().Worktree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	assertTreeMatches(t, fresh, want, paths)
}

// A file changed within the timestamp tick in which the index was written
// has the stat data the index records, and must still be hashed.
func TestOverlayRacilyClean(t *testing.T) {
	tr := newTestRepo(t)
	// Without ctime the stat data of the changed file matches entirely:
	// only the racy rule can catch it.
	tr.git("config", "core.trustCtime", "false")
	tick := time.Now().Add(-time.Hour).Truncate(time.Second)
	tr.write("f.txt", "aaaa\n")
	setMtime(tr, "f.txt", tick)
	tr.commitAll("first")
	setMtime(tr, ".git/index", tick)

	tr.write("f.txt", "bbbb\n")
	setMtime(tr, "f.txt", tick)

	o, err := tr.open().Worktree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e, ok, err := o.Lookup("f.txt")
	tr.git("add", "-u")
	want := tr.git("rev-parse", ":f.txt")
	if want != tr.git("hash-object", "f.txt") {
		t.Fatalf("git itself did not see the change; the test setup is wrong")
	}
	if err != nil || !ok || e.ID != want {
		t.Errorf("Lookup(f.txt) = %+v, %v, %v; want the changed content's id %s", e, ok, err, want)
	}
}

// decodeIndex leaves a split index to git: the overlay must read it
// through git, stat data included.
func TestOverlayIndexFallback(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(tr *testRepo)
	}{
		{name: "split index", prepare: func(tr *testRepo) {
			tr.git("update-index", "--split-index")
			tr.write("src/main.py", "after the split\n")
			tr.git("add", "src/main.py")
		}},
	}
	template := fixtureTemplate(t)
	paths := keys(template.treeListing("HEAD"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := copyRepo(t, template)
			tr.prepareAndCheckDecodeFails(tt.prepare)
			tr.write("src/lib/util.py", "changed after\n")
			chmod(tr, "src/a0", 0o755)
			remove(tr, "src/a-b")
			checkOverlayAgainstGit(t, tr, paths)
		})
	}
}

func (tr *testRepo) prepareAndCheckDecodeFails(prepare func(*testRepo)) {
	tr.t.Helper()
	prepare(tr)
	data, err := os.ReadFile(tr.path(".git/index"))
	if err != nil {
		tr.t.Fatal(err)
	}
	if _, err := decodeIndex(data, time.Now()); err == nil {
		tr.t.Fatal("decodeIndex decoded the index: the fallback is not exercised")
	}
	r := tr.open()
	snap, err := r.readIndexWithGit(context.Background(), time.Now())
	if err != nil {
		tr.t.Fatal(err)
	}
	for slot, p := range snap.allPaths() {
		if e := &snap.entries[slot]; !e.hasStat {
			tr.t.Fatalf("no stat data read for %s", p)
		}
	}
}

// zeroIndexChecksum writes the null trailer index.skipHash writes, for a
// git too old to honour the setting; git then reads the index unchecked.
func zeroIndexChecksum(tr *testRepo) {
	tr.t.Helper()
	p := tr.path(".git/index")
	data, err := os.ReadFile(p)
	if err != nil {
		tr.t.Fatal(err)
	}
	clear(data[len(data)-20:])
	if err := os.WriteFile(p, data, 0o644); err != nil {
		tr.t.Fatal(err)
	}
}

// With attributes, git filters content on its way into a blob; the overlay
// must hash those files as git does.
func TestOverlayAttributes(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(tr *testRepo)
		change func(tr *testRepo)
	}{
		{name: "eol=crlf", setup: func(tr *testRepo) {
			tr.write(".gitattributes", "*.txt text eol=crlf\n")
		}, change: func(tr *testRepo) {
			tr.write("notes.txt", "one\r\ntwo\r\n")
			tr.write("odd\nname.txt", "odd\r\n")
		}},
		{name: "clean filter", setup: func(tr *testRepo) {
			tr.git("config", "filter.upper.clean", "tr a-z A-Z")
			tr.git("config", "filter.upper.smudge", "cat")
			tr.write(".gitattributes", "*.up filter=upper\n")
		}, change: func(tr *testRepo) {
			tr.write("shout.up", "quiet words\n")
		}},
		{name: "untracked .gitattributes in a folder", setup: func(tr *testRepo) {
			tr.git("config", "filter.upper.clean", "tr a-z A-Z")
			tr.git("config", "filter.upper.smudge", "cat")
		}, change: func(tr *testRepo) {
			tr.write("sub/.gitattributes", "*.up filter=upper\n")
			tr.write("sub/shout.up", "quiet words\n")
		}},
		{name: "core.autocrlf", setup: func(tr *testRepo) {
			tr.git("config", "core.autocrlf", "input")
		}, change: func(tr *testRepo) {
			tr.write("notes.txt", "one\r\ntwo\r\n")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTestRepo(t)
			tt.setup(tr)
			tr.write("notes.txt", "one\ntwo\n")
			tr.write("odd\nname.txt", "odd\n")
			tr.write("shout.up", "LOUD\n")
			tr.write("sub/shout.up", "LOUD\n")
			tr.commitAll("first")
			paths := keys(tr.treeListing("HEAD"))
			tt.change(tr)
			checkOverlayAgainstGit(t, tr, paths)
		})
	}
}

func TestOverlayReadFileAndTracked(t *testing.T) {
	tr := newTestRepo(t)
	tr.writeFixture()
	tr.commitAll("first")
	tr.write("src/main.py", "on disk\n")
	tr.write("dds.yaml", "stages: {}\n")
	tr.write("untracked.txt", "u\n")
	o, err := tr.open().Worktree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path    string
		want    string
		wantErr error
	}{
		{path: "src/main.py", want: "on disk\n"},
		{path: "link", want: "src/main.py"},
		{path: "dds.yaml", want: "stages: {}\n"},
		{path: "untracked.txt", wantErr: fs.ErrNotExist},
		{path: "../outside", wantErr: errAny},
		{path: "src", wantErr: errAny},
	}
	for _, tt := range tests {
		data, err := o.ReadFile(tt.path)
		switch {
		case tt.wantErr == nil && (err != nil || string(data) != tt.want):
			t.Errorf("ReadFile(%q) = %q, %v; want %q", tt.path, data, err, tt.want)
		case tt.wantErr == errAny && err == nil, tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
			t.Errorf("ReadFile(%q) = %v, want error %v", tt.path, err, tt.wantErr)
		}
	}
	tr.git("update-index", "--skip-worktree", "data/raw.csv")
	remove(tr, "data/raw.csv")
	sparse, err := tr.open().Worktree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if data, err := sparse.ReadFile("data/raw.csv"); err != nil || string(data) != "id,value\n1,2\n" {
		t.Errorf("ReadFile of a skip-worktree file = %q, %v; want the index's content", data, err)
	}

	remove(tr, "README.md")
	if _, err := o.ReadFile("README.md"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile of a deleted tracked file = %v, want fs.ErrNotExist", err)
	}

	for path, want := range map[string]bool{
		"": true, "src": true, "src/lib/": true, "src/main.py": true, "README.md": true,
		"untracked.txt": false, "dds.yaml": false, "src/nope": false, "..": false,
	} {
		if got := o.Tracked(path); got != want {
			t.Errorf("Tracked(%q) = %v, want %v", path, got, want)
		}
	}
}

var errAny = errors.New("any error")

// Hooks run git with GIT_INDEX_FILE set (a temporary index during git
// commit); the overlay must read that index, relative paths included.
func TestWorktreeHonoursGitIndexFile(t *testing.T) {
	tr := newTestRepo(t)
	tr.write("old.txt", "old\n")
	tr.commitAll("first")
	tr.write("new.txt", "new\n")
	tr.git("add", "new.txt")
	tr.git("commit", "-q", "-m", "second")
	t.Setenv("GIT_INDEX_FILE", "alt-index")
	tr.git("read-tree", "HEAD~1")

	o, err := tr.open().Worktree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := o.Lookup("new.txt"); ok || err != nil {
		t.Errorf("Lookup(new.txt) = %v, %v; the alternate index does not track it", ok, err)
	}
	if _, ok, err := o.Lookup("old.txt"); !ok || err != nil {
		t.Errorf("Lookup(old.txt) = %v, %v; the alternate index tracks it", ok, err)
	}
}

func TestOverlayUntracked(t *testing.T) {
	tr := newTestRepo(t)
	tr.write(".gitignore", "*.log\n/build/\n")
	tr.write("src/tracked.py", "t\n")
	tr.write("src/sub/.gitignore", "local/\n!keep.log\n")
	tr.write("src/sub/tracked.py", "t\n")
	tr.write("src/ignored-dir/tracked.py", "t\n")
	tr.write("other/tracked.py", "t\n")
	tr.commitAll("first")
	tr.write(".gitignore", "*.log\n/build/\nsrc/ignored-dir/\n")
	tr.write(".git/info/exclude", "*.tmp\n")

	for p := range map[string]bool{
		"a-new.txt": true, "src/new.py": true, "src/sub/y.py": true, "src/sub/keep.log": true, "src/sub/deeper/z.py": true,
		"src/debug.log": false, "src/sub/local/x": false, "src/scratch.tmp": false,
		"src/ignored-dir/new.py": false, "other/new.py": false, "build/out.bin": false,
		"src/nested/.git/HEAD": false, "src/nested/file": false,
	} {
		tr.write(p, "x\n")
	}
	o, err := tr.open().Worktree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dirs []string
		want []string
	}{
		{dirs: []string{"src"}, want: []string{"src/new.py", "src/sub/deeper/z.py", "src/sub/keep.log", "src/sub/y.py"}},
		{dirs: []string{"src/sub", "src/sub/deeper"}, want: []string{"src/sub/deeper/z.py", "src/sub/keep.log", "src/sub/y.py"}},
		{dirs: []string{"src/ignored-dir"}, want: []string{}},
		{dirs: []string{"build", "nope", "src/tracked.py"}, want: []string{}},
		{dirs: []string{""}, want: []string{"a-new.txt", "other/new.py", "src/new.py", "src/sub/deeper/z.py", "src/sub/keep.log", "src/sub/y.py"}},
		// A walk lists folders into the room of those listed before: the
		// paths found must not share it.
		{dirs: []string{"", "src", "other"}, want: []string{"a-new.txt", "other/new.py", "src/new.py", "src/sub/deeper/z.py", "src/sub/keep.log", "src/sub/y.py"}},
	}
	for _, tt := range tests {
		got, err := o.Untracked(tt.dirs)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Untracked(%q) = %q, %v; want %q", tt.dirs, got, err, tt.want)
		}
	}
}

// TestPrefetchOverlappingPaths prefetches a folder that thousands of
// stages read, with files under it named too: every file is looked at
// once, and the sweep's list of files is the folder's size, not the sum
// of the paths' sizes (2,000 times the folder's 500 files took 8 MB).
func TestPrefetchOverlappingPaths(t *testing.T) {
	tr := newTestRepo(t)
	for i := range 500 {
		tr.write(fmt.Sprintf("data/f%03d.csv", i), fmt.Sprintf("%d\n", i))
	}
	tr.write("other.txt", "x\n")
	tr.commitAll("first")
	tr.write("data/f007.csv", "changed\n")
	o, err := tr.open().Worktree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for range 2000 {
		paths = append(paths, "data", "data/f007.csv", "data/f499.csv")
	}
	paths = append(paths, "other.txt", "missing", "data")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := o.Prefetch(paths); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 1<<20 {
		t.Errorf("Prefetch allocated %d bytes for 501 files", allocated)
	}
	for slot := range o.index.len() {
		if !o.resolved(slot) {
			t.Errorf("%s was not looked at", o.index.path(slot))
		}
	}
	want := tr.git("hash-object", "data/f007.csv")
	if e, ok, err := o.Lookup("data/f007.csv"); err != nil || !ok || e.ID != strings.TrimSpace(want) {
		t.Errorf("Lookup(data/f007.csv) = %v, %v, %v; want %s", e, ok, err, want)
	}
}

func TestOverlayConcurrentLookups(t *testing.T) {
	tr := newTestRepo(t)
	tr.writeFixture()
	tr.commitAll("first")
	tr.write("many/f001.txt", "changed\n")
	want := tr.treeListing("HEAD")
	o, err := tr.open().Worktree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Go(func() {
			for p := range want {
				if _, _, err := o.Lookup(p); err != nil {
					errs <- fmt.Errorf("worker %d: Lookup(%q): %w", w, p, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	tr.git("add", "-u")
	assertTreeMatches(t, o, tr.treeListing(tr.git("write-tree")), nil)
}

func TestOverlayCancelled(t *testing.T) {
	tr := newTestRepo(t)
	tr.writeFixture()
	tr.commitAll("first")
	ctx, cancel := context.WithCancel(context.Background())
	o, err := tr.open().Worktree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, _, err := o.Lookup(""); !errors.Is(err, context.Canceled) {
		t.Errorf("Lookup after cancel = %v, want context.Canceled", err)
	}
}

func chmod(tr *testRepo, p string, mode os.FileMode) {
	tr.t.Helper()
	if err := os.Chmod(tr.path(p), mode); err != nil {
		tr.t.Fatal(err)
	}
}

func remove(tr *testRepo, p string) {
	tr.t.Helper()
	if err := os.RemoveAll(tr.path(p)); err != nil {
		tr.t.Fatal(err)
	}
}

func symlink(tr *testRepo, target, p string) {
	tr.t.Helper()
	if err := os.Symlink(target, tr.path(p)); err != nil {
		tr.t.Fatal(err)
	}
}

func setMtime(tr *testRepo, p string, mtime time.Time) {
	tr.t.Helper()
	if err := os.Chtimes(tr.path(p), mtime, mtime); err != nil {
		tr.t.Fatal(err)
	}
}

func TestTreeOrder(t *testing.T) {
	file := func(name string) treeItem { return treeItem{name: name, mode: 0o100644} }
	dir := func(name string) treeItem { return treeItem{name: name, mode: 0o40000} }
	items := []treeItem{dir("a"), file("a0"), file("a.b"), file("ab"), file("a-b"), dir("a b"), file("B"), file("")}
	slices.SortFunc(items, treeOrder)
	var got []string
	for _, it := range items {
		got = append(got, it.name)
	}
	// git: "" < "B" < "a b/" < "a-b" < "a.b" < "a/" < "a0" < "ab"
	if want := []string{"", "B", "a b", "a-b", "a.b", "a", "a0", "ab"}; !slices.Equal(got, want) {
		t.Errorf("tree order = %q, want %q", got, want)
	}
}
