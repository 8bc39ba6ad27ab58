package gitref

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Where locateInProcess answers, it answers what git rev-parse answers,
// byte for byte once made absolute; everywhere else it leaves the answer
// to git.
func TestLocateInProcessAgreesWithGit(t *testing.T) {
	tr := newTestRepo(t)
	tr.write("sub/f", "1\n")
	tr.commitAll("first")
	linked := filepath.Join(t.TempDir(), "linked")
	tr.git("worktree", "add", "-q", "--detach", linked)
	viaLink := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(tr.dir, viaLink); err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(t.TempDir(), "bare.git")
	tr.git("clone", "-q", "--bare", tr.dir, bare)
	moved := newTestRepo(t)
	moved.git("config", "core.worktree", tr.dir)
	isBare := newTestRepo(t)
	isBare.git("config", "core.bare", "yes")
	broken := newTestRepo(t)
	if err := os.RemoveAll(broken.path(".git/refs")); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name, dir string
		env       map[string]string
		inProcess bool // whether locateInProcess answers
		moves     bool // whether the configuration then sends it to git
	}{
		{name: "top of the main tree", dir: tr.dir, inProcess: true},
		{name: "through a symbolic link", dir: viaLink, inProcess: true},
		{name: "linked worktree", dir: linked, inProcess: true},
		{name: "subfolder", dir: tr.path("sub")},
		{name: "inside .git", dir: tr.path(".git")},
		{name: "bare repository", dir: bare},
		{name: "GIT_DIR set", dir: tr.dir, env: map[string]string{"GIT_DIR": tr.path(".git")}},
		{name: "GIT_INDEX_FILE set", dir: tr.dir, env: map[string]string{"GIT_INDEX_FILE": tr.path(".git/other")}},
		{name: "GIT_WORK_TREE set", dir: linked, env: map[string]string{"GIT_WORK_TREE": linked}},
		{name: "core.worktree", dir: moved.dir, inProcess: true, moves: true},
		{name: "core.bare", dir: isBare.dir, inProcess: true, moves: true},
		{name: "not a repository folder", dir: broken.dir},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			loc, ok := locateInProcess(tt.dir)
			if ok != tt.inProcess {
				t.Fatalf("locateInProcess(%s) ok = %v, want %v", tt.dir, ok, tt.inProcess)
			}
			out, err := exec.Command("git", "-C", tt.dir, "config", "--list", "-z").Output()
			if ok && err == nil && configMovesLocation(parseConfigList(out)) != tt.moves {
				t.Errorf("configMovesLocation = %v, want %v", !tt.moves, tt.moves)
			}
			if !ok || tt.moves {
				return
			}
			var stderr bytes.Buffer
			want, runErr, parseErr := revParse(context.Background(), tt.dir, &stderr)
			if runErr != nil || parseErr != nil {
				t.Fatalf("git rev-parse: %v, %v: %s", runErr, parseErr, stderr.String())
			}
			if loc != want {
				t.Errorf("locateInProcess(%s) = %+v\ngit rev-parse says       %+v", tt.dir, loc, want)
			}
		})
	}
}

// Open gives the same repository whichever way it found it.
func TestOpenAtTheTopMatchesGit(t *testing.T) {
	tr := newTestRepo(t)
	tr.write("sub/f", "1\n")
	tr.commitAll("first")
	linked := filepath.Join(t.TempDir(), "linked")
	tr.git("worktree", "add", "-q", "--detach", linked)
	for _, dir := range []string{tr.dir, linked} {
		fast, err := Open(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("GIT_DIR", fast.GitDir) // sends Open to git
		t.Setenv("GIT_WORK_TREE", fast.Root)
		slow, err := Open(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		os.Unsetenv("GIT_DIR")
		os.Unsetenv("GIT_WORK_TREE")
		if fast.Root != slow.Root || fast.GitDir != slow.GitDir || fast.CommonDir != slow.CommonDir {
			t.Errorf("Open(%s) found %s %s %s; git says %s %s %s", dir,
				fast.Root, fast.GitDir, fast.CommonDir, slow.Root, slow.GitDir, slow.CommonDir)
		}
	}
}
