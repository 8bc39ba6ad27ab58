package gitref

import (
	"context"
	"os"
	"testing"
)

// A submodule moved to another commit is what git add -u would stage: the
// overlay gives its checked-out commit, for the submodule, for any path
// inside it, and in the ids of the folders above it. A commit's tree gives
// the gitlink it records, for the submodule and for paths inside it.
func TestOverlaySubmodule(t *testing.T) {
	data := newTestRepo(t)
	data.write("data.csv", "v1\n")
	data.commitAll("v1")
	v1 := data.git("rev-parse", "HEAD")
	data.write("data.csv", "v2\n")
	data.commitAll("v2")
	v2 := data.git("rev-parse", "HEAD")

	tr := newTestRepo(t)
	tr.write("README", "top\n")
	tr.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", data.dir, "lib/sub")
	gitIn(t, tr.path("lib/sub"), "checkout", "-q", v1)
	tr.git("add", "-A")
	head := tr.commitAll("with data v1")

	lookup := func(tree Tree, p string) Entry {
		t.Helper()
		e, ok, err := tree.Lookup(p)
		if err != nil || !ok {
			t.Fatalf("Lookup(%q) = %v, %v, %v", p, e, ok, err)
		}
		return e
	}
	o, err := tr.open().Worktree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"lib/sub", "lib/sub/data.csv"} {
		if got := lookup(o, p); got.ID != v1 || got.Dir {
			t.Errorf("before the move, overlay Lookup(%q) = %+v, want the commit %s", p, got, v1)
		}
	}

	// The submodule moves; its superproject's index still says v1.
	gitIn(t, tr.path("lib/sub"), "checkout", "-q", v2)
	o, err = tr.open().Worktree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"lib/sub", "lib/sub/data.csv"} {
		if got := lookup(o, p); got.ID != v2 {
			t.Errorf("after the move, overlay Lookup(%q) = %s, want the checked-out commit %s", p, got.ID, v2)
		}
	}
	libBefore, rootBefore := lookup(o, "lib").ID, lookup(o, "").ID
	tr.git("add", "-u")
	want := tr.treeListing(tr.git("write-tree"))
	if libBefore != want["lib"].ID {
		t.Errorf("overlay tree of lib = %s, git add -u writes %s", libBefore, want["lib"].ID)
	}
	if root := tr.git("write-tree"); rootBefore != root {
		t.Errorf("overlay root tree = %s, git add -u writes %s", rootBefore, root)
	}

	commit, err := tr.open().CommitTree(head)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"lib/sub", "lib/sub/data.csv"} {
		if got := lookup(commit, p); got.ID != v1 {
			t.Errorf("commit tree Lookup(%q) = %s, want its gitlink %s", p, got.ID, v1)
		}
	}
	for _, p := range []string{"README/x", "lib/other", "nope/sub"} {
		if e, ok, err := commit.Lookup(p); ok || err != nil {
			t.Errorf("commit tree Lookup(%q) = %+v, %v, %v; want nothing", p, e, ok, err)
		}
		if e, ok, err := o.Lookup(p); ok || err != nil {
			t.Errorf("overlay Lookup(%q) = %+v, %v, %v; want nothing", p, e, ok, err)
		}
	}

	// Not initialized (an empty folder, as after a clone without
	// --recurse-submodules): git keeps the index's gitlink, and so does the
	// overlay.
	if err := os.RemoveAll(tr.path("lib/sub")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(tr.path("lib/sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	staged := tr.git("rev-parse", ":lib/sub")
	o, err = tr.open().Worktree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := lookup(o, "lib/sub/data.csv"); got.ID != staged {
		t.Errorf("uninitialized submodule: overlay gives %s, want the index's %s", got.ID, staged)
	}
}

// A path the checked-out submodule does not have is not there: a misspelt
// dep is reported rather than taken for the submodule.
func TestOverlaySubmoduleMissingPath(t *testing.T) {
	data := newTestRepo(t)
	data.write("data.csv", "v1\n")
	data.commitAll("v1")
	tr := newTestRepo(t)
	tr.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", data.dir, "sub")
	tr.commitAll("with data")
	o, err := tr.open().Worktree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if e, ok, err := o.Lookup("sub/dta.csv"); ok || err != nil {
		t.Errorf("Lookup of a path the submodule lacks = %+v, %v, %v; want nothing", e, ok, err)
	}
	if _, ok, err := o.Lookup("sub/data.csv"); !ok || err != nil {
		t.Errorf("Lookup of a path the submodule has = %v, %v", ok, err)
	}
}
