package gitref

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hermetic isolates git from the user's and the machine's configuration,
// and from variables a hook running the tests could have set.
func hermetic(t testing.TB) {
	t.Helper()
	home := t.TempDir()
	for k, v := range map[string]string{
		"HOME":                home,
		"XDG_CONFIG_HOME":     filepath.Join(home, ".config"),
		"GIT_CONFIG_NOSYSTEM": "1",
		"GIT_AUTHOR_NAME":     "Ada",
		"GIT_AUTHOR_EMAIL":    "ada@example.com",
		"GIT_AUTHOR_DATE":     "2024-01-02T03:04:05Z",
		"GIT_COMMITTER_NAME":  "Ada",
		"GIT_COMMITTER_EMAIL": "ada@example.com",
		"GIT_COMMITTER_DATE":  "2024-01-02T03:04:05Z",
		"LC_ALL":              "C",
	} {
		t.Setenv(k, v)
	}
	for _, k := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_CONFIG_GLOBAL"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

// testRepo is a throwaway repository made with the real git.
type testRepo struct {
	t   testing.TB
	dir string
}

func newTestRepo(t testing.TB, initArgs ...string) *testRepo {
	t.Helper()
	hermetic(t)
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tr := &testRepo{t: t, dir: dir}
	// No template: no sample hooks to copy around.
	tr.git(append([]string{"init", "-q", "-b", "main", "--template="}, initArgs...)...)
	return tr
}

// git runs git in the repository and returns its trimmed output.
func (tr *testRepo) git(args ...string) string {
	tr.t.Helper()
	return strings.TrimSpace(gitIn(tr.t, tr.dir, args...))
}

func gitIn(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (tr *testRepo) path(p string) string {
	return filepath.Join(tr.dir, filepath.FromSlash(p))
}

func (tr *testRepo) write(p, content string) {
	tr.t.Helper()
	abs := tr.path(p)
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		tr.t.Fatal(err)
	}
	if err := os.WriteFile(abs, []byte(content), 0o644); err != nil {
		tr.t.Fatal(err)
	}
}

// commitAll commits every file of the working tree and gives the new
// commit's id.
func (tr *testRepo) commitAll(msg string) string {
	tr.t.Helper()
	tr.git("add", "-A")
	tr.git("commit", "-q", "--allow-empty", "-m", msg)
	return tr.git("rev-parse", "HEAD")
}

// fixtureTemplate commits writeFixture in a repository that copyRepo then
// copies for each case, cheaper than building it again.
func fixtureTemplate(t testing.TB) *testRepo {
	t.Helper()
	tr := newTestRepo(t)
	tr.writeFixture()
	tr.commitAll("first")
	// One pack copies faster than a hundred loose objects.
	tr.git("repack", "-a", "-d", "-q")
	return tr
}

// copyRepo copies a template repository, and refreshes the index's stat
// data, which a copy changes (inodes, ctimes). It leaves the environment
// as the template's test set it, so parallel subtests can copy.
func copyRepo(t testing.TB, template *testRepo) *testRepo {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", template.dir+"/.", dir).CombinedOutput(); err != nil {
		t.Fatalf("copying the template repository: %v\n%s", err, out)
	}
	tr := &testRepo{t: t, dir: dir}
	tr.git("update-index", "-q", "--refresh")
	return tr
}

func (tr *testRepo) open() *Repo {
	tr.t.Helper()
	r, err := Open(context.Background(), tr.dir)
	if err != nil {
		tr.t.Fatal(err)
	}
	return r
}

// writeFixture writes files and folders that exercise git's tree order
// ("a-b" < "a.b" < "a/" < "a0"), modes, symlinks and a folder just large
// enough to be statted by two workers.
func (tr *testRepo) writeFixture() {
	tr.t.Helper()
	tr.write("README.md", "# fixture\n")
	tr.write("empty", "")
	tr.write("src/main.py", "print('main')\n")
	tr.write("src/lib/util.py", "def f(): pass\n")
	tr.write("src/lib/deep/x.py", "x = 1\n")
	tr.write("src/a-b", "dash\n")
	tr.write("src/a.b", "dot\n")
	tr.write("src/a/c", "in a\n")
	tr.write("src/a0", "zero\n")
	tr.write("data/raw.csv", "id,value\n1,2\n")
	tr.write("bin/run.sh", "#!/bin/sh\necho run\n")
	if err := os.Chmod(tr.path("bin/run.sh"), 0o755); err != nil {
		tr.t.Fatal(err)
	}
	if err := os.Symlink("src/main.py", tr.path("link")); err != nil {
		tr.t.Fatal(err)
	}
	for i := range 2 * filesPerWorker {
		tr.write(fmt.Sprintf("many/f%03d.txt", i), fmt.Sprintf("file %d\n", i))
	}
}

// treeListing maps every path in a tree (files and folders) to its id and
// whether it is a folder, as git ls-tree reports them.
func (tr *testRepo) treeListing(treeish string) map[string]Entry {
	tr.t.Helper()
	out := gitIn(tr.t, tr.dir, "ls-tree", "-r", "-t", "-z", "--full-tree", treeish)
	listing := map[string]Entry{"": {ID: tr.git("rev-parse", treeish+"^{tree}"), Dir: true}}
	for _, rec := range strings.Split(out, "\x00") {
		if rec == "" {
			continue
		}
		meta, p, ok := strings.Cut(rec, "\t")
		fields := strings.Fields(meta)
		if !ok || len(fields) != 3 {
			tr.t.Fatalf("unexpected ls-tree record %q", rec)
		}
		listing[p] = Entry{ID: fields[2], Dir: fields[1] == "tree"}
	}
	return listing
}

// assertTreeMatches checks that every path of want, and every path in
// extra that want lacks, looks up in got as git has it.
func assertTreeMatches(t *testing.T, got Tree, want map[string]Entry, extra []string) {
	t.Helper()
	for p, w := range want {
		e, ok, err := got.Lookup(p)
		if err != nil {
			t.Fatalf("Lookup(%q): %v", p, err)
		}
		if !ok || e != w {
			t.Errorf("Lookup(%q) = %+v, %v; git has %+v", p, e, ok, w)
		}
	}
	for _, p := range extra {
		if _, inGit := want[p]; inGit {
			continue
		}
		if e, ok, err := got.Lookup(p); err != nil || ok {
			t.Errorf("Lookup(%q) = %+v, %v, %v; git has nothing there", p, e, ok, err)
		}
	}
}

func keys(m map[string]Entry) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// allPaths lists the paths of snap by slot.
func (s *indexSnapshot) allPaths() []string {
	paths := make([]string, s.len())
	for slot := range paths {
		paths[slot] = s.path(slot)
	}
	return paths
}
