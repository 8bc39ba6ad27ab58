package gitref

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// The names Resolve reads in process must resolve as git resolves them;
// the others go to git.
func TestResolveInProcessAgreesWithGit(t *testing.T) {
	tr := newTestRepo(t)
	tr.write("f", "1\n")
	first := tr.commitAll("first")
	tr.git("tag", "-a", "-m", "annotated", "v1")
	tr.git("tag", "-a", "-m", "of a tag", "nested", "v1")
	tr.git("tag", "treetag", "HEAD^{tree}")
	tr.write("f", "2\n")
	tr.commitAll("second")
	// A tag and a branch of one name: git takes the tag.
	tr.git("branch", "both")
	tr.git("tag", "both", first)
	// A branch whose name is the short id of another commit: git takes
	// the branch.
	tr.git("branch", first[:7])
	tr.git("update-ref", "refs/remotes/origin/main", first)
	tr.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
	tr.git("pack-refs", "--all")
	tr.git("branch", "loose")
	r := tr.open()

	for _, tt := range []struct {
		rev       string
		inProcess bool
	}{
		{"HEAD", true}, {"main", true}, {"refs/heads/main", true}, {"heads/main", true},
		{"v1", true}, {"nested", true}, {"both", true}, {first[:7], true},
		{"origin/main", true}, {"origin", true}, {"loose", true}, {first, true},
		{"HEAD~1", false}, {"v1^{}", false}, {"main@{0}", false}, {"@", false},
		{"treetag", false}, {"config", false}, {"ORIG_HEAD", false}, {"nope", false},
	} {
		t.Run(tt.rev, func(t *testing.T) {
			r.objects.Lock()
			id, ok := r.resolveInProcess(tt.rev)
			r.objects.Unlock()
			if ok != tt.inProcess {
				t.Errorf("resolveInProcess(%q) ok = %v, want %v", tt.rev, ok, tt.inProcess)
			}
			if !ok {
				return
			}
			if want := tr.git("-c", "core.warnAmbiguousRefs=false", "rev-parse", tt.rev+"^{commit}"); id.String() != want {
				t.Errorf("resolveInProcess(%q) = %s, git says %s", tt.rev, id, want)
			}
		})
	}
}

func TestParseTree(t *testing.T) {
	id := plumbing.NewHash("61780798228d17af2d34fce4cfbdf35556832472")
	entry := func(mode, name string) string { return mode + " " + name + "\x00" + string(id[:]) }
	got, err := parseTree([]byte(entry("100644", "a") + entry("100664", "old") + entry("40000", "dir") +
		entry("160000", "sub") + entry("120000", "link") + entry("100755", "x")))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]filemode.FileMode{
		"a": filemode.Regular, "old": filemode.Regular, "dir": filemode.Dir,
		"sub": filemode.Submodule, "link": filemode.Symlink, "x": filemode.Executable,
	}
	if len(got) != len(want) {
		t.Errorf("parsed %d entries, want %d", len(got), len(want))
	}
	for name, mode := range want {
		if e := got[name]; e.mode != mode || e.id != id || e.name != name {
			t.Errorf("entry %s = %+v, want mode %s", name, e, mode)
		}
	}
	if got, err := parseTree(nil); err != nil || len(got) != 0 {
		t.Errorf("parseTree(empty) = %v, %v", got, err)
	}
	for _, bad := range []string{"100644", "1x0644 a\x00" + string(id[:]), "100644 a", "100644 \x00" + string(id[:]), "100644 a\x00short"} {
		if _, err := parseTree([]byte(bad)); err == nil || !strings.Contains(err.Error(), "malformed tree") {
			t.Errorf("parseTree(%q) = %v, want a malformed tree error", bad, err)
		}
	}
}

func FuzzParseTree(f *testing.F) {
	f.Add([]byte("100644 a\x00" + strings.Repeat("x", 20)))
	f.Add([]byte("40000 d\x00" + strings.Repeat("y", 20) + "100755 e\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := parseTree(data)
		if err != nil {
			return
		}
		for name, e := range entries {
			if name == "" || name != e.name || strings.ContainsRune(name, 0) {
				t.Fatalf("parsed an entry named %q", name)
			}
		}
	})
}

// go-git's storage must not read a repository whose extensions change how
// objects or refs are stored.
func TestOpenStorageChecksFormat(t *testing.T) {
	for _, tt := range []struct {
		name, version, ext, value, wantErr string
	}{
		{"harmless", "1", "worktreeConfig", "true", ""},
		{"noop-v1 in format 1", "1", "noop-v1", "true", ""},
		{"reftable in format 0", "0", "refStorage", "reftable", "does not support extension: refstorage"},
		{"reftable in format 1", "1", "refStorage", "reftable", "unknown extension: refstorage"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTestRepo(t)
			tr.commitAll("first")
			// Written by hand: the git running the tests may refuse them.
			f, err := os.OpenFile(tr.path(".git/config"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(f, "[core]\n\trepositoryFormatVersion = %s\n[extensions]\n\t%s = %s\n", tt.version, tt.ext, tt.value)
			f.Close()
			_, err = openGitDirOf(tr.dir)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("openGitDirOf = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// A root ref (ORIG_HEAD and the other *_HEAD files of the git folder) is
// read in process when its file holds one object id, in the main working
// tree and in a linked one, which has its own; every other content, and a
// missing file, goes to git, and both answers agree with git's.
func TestResolveRootRefs(t *testing.T) {
	tr := newTestRepo(t)
	tr.write("f", "1\n")
	tr.commitAll("first")
	first := tr.git("rev-parse", "HEAD")
	tr.write("f", "2\n")
	tr.commitAll("second")
	second := tr.git("rev-parse", "HEAD")
	tr.git("tag", "-a", "-m", "annotated", "v1", first)
	tr.git("reset", "-q", "--hard", first) // ORIG_HEAD: second
	linked := filepath.Join(t.TempDir(), "linked")
	tr.git("worktree", "add", "-q", "--detach", linked, second)
	gitIn(t, linked, "reset", "-q", "--hard", first)  // the linked tree's ORIG_HEAD: second
	gitIn(t, linked, "reset", "-q", "--hard", second) // ...and now first
	tagID := tr.git("rev-parse", "v1")

	for _, tt := range []struct {
		name, file, content string // content "" leaves the file as git wrote it
		inProcess           bool
	}{
		{"ORIG_HEAD", "", "", true},
		{"CHERRY_PICK_HEAD", "CHERRY_PICK_HEAD", second + "\n", true},
		{"REVERT_HEAD", "REVERT_HEAD", second, true},                             // no line feed
		{"BISECT_HEAD", "BISECT_HEAD", tagID + "\n", true},                       // a tag, peeled
		{"MERGE_HEAD", "MERGE_HEAD", first + "\n" + second + "\n", false},        // an octopus
		{"AUTO_MERGE_HEAD", "AUTO_MERGE_HEAD", "ref: refs/heads/main\n", false},  // symbolic
		{"FETCH_HEAD", "FETCH_HEAD", second + "\t\tbranch 'main' of x\n", false}, // git's own format
		{"SHORT_HEAD", "SHORT_HEAD", first[:7] + "\n", false},
		{"NOPE_HEAD", "", "", false},
		{"NOTHEAD", "NOTHEAD", second + "\n", false}, // not read by every git
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.file != "" {
				tr.write(".git/"+tt.file, tt.content)
				defer os.Remove(tr.path(".git/" + tt.file))
			}
			r := tr.open()
			r.objects.Lock()
			id, ok := r.resolveInProcess(tt.name)
			r.objects.Unlock()
			if ok != tt.inProcess {
				t.Errorf("resolveInProcess(%q) ok = %v, want %v", tt.name, ok, tt.inProcess)
			}
			want, err := exec.Command("git", "-C", tr.dir, "rev-parse", "--verify", "--quiet", tt.name+"^{commit}").Output()
			got, rerr := r.Resolve(tt.name)
			if (err == nil) != (rerr == nil) || got != strings.TrimSpace(string(want)) {
				t.Errorf("Resolve(%q) = %q, %v; git says %q, %v", tt.name, got, rerr, want, err)
			}
			if ok && id.String() != got {
				t.Errorf("resolveInProcess(%q) = %s, Resolve says %s", tt.name, id, got)
			}
		})
	}
	t.Run("linked worktree", func(t *testing.T) {
		r, err := Open(context.Background(), linked)
		if err != nil {
			t.Fatal(err)
		}
		r.objects.Lock()
		id, ok := r.resolveInProcess("ORIG_HEAD")
		r.objects.Unlock()
		if !ok || id.String() != first {
			t.Errorf("resolveInProcess(ORIG_HEAD) in the linked tree = %s, %v; want its own, %s", id, ok, first)
		}
	})
}
