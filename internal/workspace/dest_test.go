package workspace

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/store"
)

// placeWorkspace is a working tree with .git, a store under .git/dds
// holding one file object, and a folder outside it.
func placeWorkspace(t *testing.T) (w *Workspace, id, outside string) {
	t.Helper()
	top := t.TempDir()
	root := filepath.Join(top, "repo")
	outside = filepath.Join(top, "outside")
	git := filepath.Join(root, ".git")
	for _, d := range []string{filepath.Join(git, "hooks"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(filepath.Join(git, "dds"))
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(top, "content")
	if err := os.WriteFile(src, []byte("#!/bin/sh\necho planted\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	id, _, _, err = st.Ingest(context.Background(), src, store.Copy)
	if err != nil {
		t.Fatal(err)
	}
	w = &Workspace{Repo: &gitref.Repo{Root: root, GitDir: git, CommonDir: git}, Dir: filepath.Join(git, "dds"), Store: st, Link: store.Copy}
	return w, id, outside
}

// TestPlaceStaysInTheWorkingTree: whatever a record in the index says (an
// index or shared store can be tampered with), placing its outputs writes
// nothing outside the working tree, nothing under .git, and nothing
// through a symbolic link that leads out.
func TestPlaceStaysInTheWorkingTree(t *testing.T) {
	links := map[string]string{ // link in the working tree → its target
		"escape":  "outside",
		"gitlink": "repo/.git",
		"hooks":   "repo/.git/hooks",
		"store":   "repo/.git/dds",
		"up":      "..",
	}
	paths := []string{
		"../outside/x", ".git/hooks/post-checkout", ".GIT/hooks/post-checkout", "a/../../outside/x",
		"/abs", "escape/x", "escape/deeper/x", "gitlink/hooks/post-checkout", "hooks/post-checkout",
		"store/objects/x", "up/outside/x", "a//b", "./a", "a/.", "", "a\x00b", "sub/.git/config",
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			w, id, outside := placeWorkspace(t)
			top := filepath.Dir(w.Repo.Root)
			for link, target := range links {
				abs := target
				if target != ".." {
					abs = filepath.Join(top, target)
				} else {
					abs = top
				}
				if err := os.Symlink(abs, filepath.Join(w.Repo.Root, link)); err != nil {
					t.Fatal(err)
				}
			}
			before := snapshot(t, top, w.Repo.Root)
			err := w.place(context.Background(), []signature.Output{{Path: p, ContentID: id, Size: 23}})
			if err == nil {
				t.Fatalf("placing %q succeeded", p)
			}
			if !errors.Is(err, ErrUnsafeOutput) {
				t.Errorf("placing %q: %v; want ErrUnsafeOutput", p, err)
			}
			if after := snapshot(t, top, w.Repo.Root); after != before {
				t.Fatalf("placing %q changed the files outside the working tree or in .git:\nbefore %s\nafter  %s", p, before, after)
			}
			if entries, _ := os.ReadDir(outside); len(entries) != 0 {
				t.Fatalf("placing %q wrote into %s", p, outside)
			}
		})
	}
}

// TestPlaceFollowsLinksThatStayInside: a folder linked elsewhere inside
// the working tree is no escape, and an output goes through it.
func TestPlaceFollowsLinksThatStayInside(t *testing.T) {
	w, id, _ := placeWorkspace(t)
	if err := os.MkdirAll(filepath.Join(w.Repo.Root, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("data", filepath.Join(w.Repo.Root, "current")); err != nil {
		t.Fatal(err)
	}
	if err := w.place(context.Background(), []signature.Output{{Path: "current/x", ContentID: id, Size: 23}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(w.Repo.Root, "data", "x")); err != nil {
		t.Fatal(err)
	}
}

// snapshot lists every path under top except the working tree's own
// files, .git included, with sizes: what placing must not change.
func snapshot(t *testing.T, top, root string) string {
	t.Helper()
	var out string
	err := filepath.Walk(top, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		inTree, _ := filepath.Rel(root, p)
		if inTree != "." && !filepath.IsAbs(inTree) && inTree != ".." && !startsWithDotDot(inTree) && !startsWithGit(inTree) {
			return nil
		}
		out += p + ":" + info.Mode().String() + ";"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func startsWithDotDot(rel string) bool { return len(rel) >= 3 && rel[:3] == "../" }
func startsWithGit(rel string) bool {
	return rel == ".git" || len(rel) > 5 && rel[:5] == ".git/"
}

// TestTidyStaysInTheWorkingTree: the outputs to remove once no longer
// declared come from the notes of what was placed, in the index; one that
// would lead out of the working tree is not deleted, whatever the index
// says.
func TestTidyStaysInTheWorkingTree(t *testing.T) {
	ctx := context.Background()
	w, id, outside := placeWorkspace(t)
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(w.Repo.Root, "link")); err != nil {
		t.Fatal(err)
	}
	err := w.WithIndex(ctx, func(ix *index.Index) error {
		return ix.Batch(func(b *index.Batch) error {
			for _, p := range []string{"../outside/victim", "link/victim"} {
				if err := w.notePlaced(b, p, id, false); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	tidied, err := w.Tidy(ctx, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tidied.Removed) != 0 {
		t.Errorf("Tidy removed %v", tidied.Removed)
	}
	if _, err := os.Stat(victim); err != nil {
		t.Fatalf("a file outside the working tree is gone: %v", err)
	}
}

// TestSignatureLockFollowsNoLink: the locks folder may sit in a store the
// team shares; a lock file planted there as a symbolic link to someone's
// file is neither locked through nor written through.
func TestSignatureLockFollowsNoLink(t *testing.T) {
	ctx := context.Background()
	w, _, outside := placeWorkspace(t)
	victim := filepath.Join(outside, "authorized_keys")
	if err := os.WriteFile(victim, []byte("ssh-ed25519 AAAA keep\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sig := strings.Repeat("ab", 32)
	locks := filepath.Join(w.Dir, "locks")
	if err := os.MkdirAll(locks, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(locks, sig+".lock")); err != nil {
		t.Fatal(err)
	}
	l, err := w.lockSignature(ctx, sig, func(int) {})
	if err == nil {
		l.markRecorded()
		l.unlock()
	}
	if got, _ := os.ReadFile(victim); string(got) != "ssh-ed25519 AAAA keep\n" {
		t.Fatalf("the file a planted lock links to now holds %q", got)
	}
}
