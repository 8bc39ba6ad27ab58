package gitref

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// indexVariants are the ways git writes an index that decodeIndex reads:
// each format version, and the null checksum of index.skipHash.
var indexVariants = []struct {
	name    string
	prepare func(tr *testRepo)
}{
	{name: "version 2", prepare: func(tr *testRepo) { tr.git("update-index", "--index-version", "2") }},
	{name: "version 3", prepare: func(tr *testRepo) { tr.git("update-index", "--index-version", "3") }},
	{name: "version 4", prepare: func(tr *testRepo) { tr.git("update-index", "--index-version", "4") }},
	{name: "index.skipHash", prepare: func(tr *testRepo) {
		tr.git("config", "index.skipHash", "true")
		tr.git("update-index", "--index-version", "3") // rewrites it
		zeroIndexChecksum(tr)
	}},
}

// decodeIndex must read every entry exactly as git ls-files --debug lists
// it: ids, modes, stat data and the flags of git add -N and of a sparse
// checkout (which make git write extended flags, version 3 at least).
func TestDecodeIndexMatchesGit(t *testing.T) {
	template := fixtureTemplate(t)
	for _, v := range indexVariants {
		t.Run(v.name, func(t *testing.T) {
			tr := copyRepo(t, template)
			tr.write("new.txt", "intended\n")
			tr.git("add", "-N", "new.txt")
			tr.git("update-index", "--skip-worktree", "src/a0")
			// Unmerged stages of two paths, one with our side and one
			// without, between paths that share their prefixes (which
			// version 4 compresses against the path before).
			blob := strings.TrimSpace(tr.git("rev-parse", "HEAD:src/a0"))
			cmd := exec.Command("git", "update-index", "--index-info")
			cmd.Dir = tr.dir
			cmd.Stdin = strings.NewReader(strings.Join([]string{
				"100644 " + blob + " 1\tsrc/a0c",
				"100644 " + blob + " 2\tsrc/a0c",
				"100755 " + blob + " 3\tsrc/a0c",
				"100755 " + blob + " 1\tsrc/a0d",
				"100644 " + blob + " 3\tsrc/a0d",
				"",
			}, "\n"))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("git update-index --index-info: %v\n%s", err, out)
			}
			v.prepare(tr)

			data, err := os.ReadFile(tr.path(".git/index"))
			if err != nil {
				t.Fatal(err)
			}
			written := time.Now()
			got, err := decodeIndex(data, written)
			if err != nil {
				t.Fatalf("decodeIndex: %v", err)
			}
			want, err := tr.open().readIndexWithGit(context.Background(), written)
			if err != nil {
				t.Fatal(err)
			}
			if got.len() != want.len() || len(got.bounds) != want.len()+1 || len(got.text) != len(want.text) {
				t.Fatalf("decoded %d entries (%d bounds, %d bytes of paths), git lists %d (%d bytes)", got.len(), len(got.bounds), len(got.text), want.len(), len(want.text))
			}
			seenSlots := map[int32]bool{}
			for slot, p := range want.allPaths() {
				w := &want.entries[slot]
				g, ok := got.entry(p)
				if !ok {
					t.Errorf("%s: missing", p)
					continue
				}
				if seenSlots[g.slot] || g.slot < 0 || int(g.slot) >= got.len() {
					t.Errorf("%s: slot %d is out of range or taken", p, g.slot)
				}
				seenSlots[g.slot] = true
				gs, ws := *g, *w
				gs.slot, ws.slot = 0, 0
				if g.slot != int32(slot) || gs != ws {
					t.Errorf("%s:\n decoded %+v\n git     %+v", p, *g, *w)
				}
			}
			if c, d := entryOf(t, got, "src/a0c"), entryOf(t, got, "src/a0d"); !c.conflicted || c.mode != 0o100644 || !d.conflicted || d.mode != 0o100755 {
				t.Errorf("the unmerged entries fold wrong: src/a0c %+v (want ours, 100644), src/a0d %+v (want the first, 100755)", *c, *d)
			}
			if !entryOf(t, got, "new.txt").intentToAdd || !entryOf(t, got, "src/a0").skipWorktree {
				t.Errorf("the extended flags were lost: new.txt %+v, src/a0 %+v", *entryOf(t, got, "new.txt"), *entryOf(t, got, "src/a0"))
			}
		})
	}
}

// The cache tree gives the tree id of each folder git knows to be valid:
// all of them after a commit, none above a path staged since.
func TestDecodeIndexCacheTree(t *testing.T) {
	template := fixtureTemplate(t)
	for _, v := range indexVariants {
		t.Run(v.name, func(t *testing.T) {
			tr := copyRepo(t, template)
			tr.git("read-tree", "HEAD") // a fresh cache tree
			v.prepare(tr)
			snap := decodeFile(t, tr)
			for p, e := range tr.treeListing("HEAD") {
				if !e.Dir {
					continue
				}
				if got, ok := snap.cacheTree[p]; !ok || got.String() != e.ID {
					t.Errorf("cache tree of %q = %v, %v; want %s", p, got, ok, e.ID)
				}
			}

			tr.write("src/lib/util.py", "staged\n")
			tr.git("add", "src/lib/util.py")
			snap = decodeFile(t, tr)
			for _, invalid := range []string{"", "src", "src/lib"} {
				if _, ok := snap.cacheTree[invalid]; ok {
					t.Errorf("cache tree still holds %q after a change under it was staged", invalid)
				}
			}
			if _, ok := snap.cacheTree["src/lib/deep"]; !ok {
				t.Errorf("cache tree lost src/lib/deep, which did not change")
			}
		})
	}
}

// A staged change the cache tree no longer covers, and a change on disk it
// cannot know of, must both show in the overlay's folder ids.
func TestOverlayCacheTreeNotTrustedOverChanges(t *testing.T) {
	tr := copyRepo(t, fixtureTemplate(t))
	tr.git("read-tree", "HEAD")
	tr.git("update-index", "-q", "--refresh")
	tr.write("src/lib/deep/x.py", "changed on disk\n")
	paths := keys(tr.treeListing("HEAD"))
	checkOverlayAgainstGit(t, tr, paths)
}

func TestDecodeIndexSplitIndexIsLeftToGit(t *testing.T) {
	tr := copyRepo(t, fixtureTemplate(t))
	tr.git("update-index", "--split-index")
	data, err := os.ReadFile(tr.path(".git/index"))
	if err != nil {
		t.Fatal(err)
	}
	// Entries that replace the shared index's have no path of their own:
	// the decoder fails on one of those or on the "link" extension.
	if _, err := decodeIndex(data, time.Now()); err == nil {
		t.Fatal("decodeIndex read a split index; it must leave it to git")
	}
}

func TestDecodeOffsetVarint(t *testing.T) {
	tests := []struct {
		in    []byte
		want  uint64
		wantN int
	}{
		{in: []byte{0x00}, want: 0, wantN: 1},
		{in: []byte{0x7f}, want: 127, wantN: 1},
		{in: []byte{0x80, 0x00}, want: 128, wantN: 2},
		{in: []byte{0x80, 0x7f}, want: 255, wantN: 2},
		{in: []byte{0x81, 0x00}, want: 256, wantN: 2},
		{in: []byte{0xff, 0x7f}, want: 16511, wantN: 2},
		{in: []byte{0x80, 0x80, 0x00}, want: 16512, wantN: 3},
		{in: []byte{0x80}, wantN: 0},
		{in: nil, wantN: 0},
	}
	for _, tt := range tests {
		got, n := decodeOffsetVarint(tt.in)
		if got != tt.want || n != tt.wantN {
			t.Errorf("decodeOffsetVarint(% x) = %d, %d; want %d, %d", tt.in, got, n, tt.want, tt.wantN)
		}
	}
}

// FuzzDecodeIndex feeds damaged index files to the decoder: it must
// return an error or a snapshot, never panic or run away.
func FuzzDecodeIndex(f *testing.F) {
	template := fixtureTemplate(f)
	for _, v := range indexVariants[:3] {
		tr := copyRepo(f, template)
		tr.git("read-tree", "HEAD")
		v.prepare(tr)
		data, err := os.ReadFile(tr.path(".git/index"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("DIRC\x00\x00\x00\x02\x00\x00\x00\x00" + strings.Repeat("\x00", 20)))
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := decodeIndex(data, time.Time{})
		if err != nil {
			return
		}
		paths := snap.allPaths()
		if len(snap.bounds) != snap.len()+1 || int(snap.bounds[snap.len()]) != len(snap.text) || !slices.IsSorted(paths) {
			t.Fatalf("%d entries, %d bounds, %d bytes of paths, sorted: %v", snap.len(), len(snap.bounds), len(snap.text), slices.IsSorted(paths))
		}
		if len(slices.Compact(slices.Clone(paths))) != len(paths) {
			t.Fatalf("a path has two slots: %q", paths)
		}
		for slot, p := range paths {
			if e, ok := snap.entry(p); !ok || int(e.slot) != slot {
				t.Fatalf("%s is not found at its slot %d", p, slot)
			}
		}
	})
}

func decodeFile(t *testing.T, tr *testRepo) *indexSnapshot {
	t.Helper()
	data, err := os.ReadFile(tr.path(".git/index"))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := decodeIndex(data, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func entryOf(t *testing.T, snap *indexSnapshot, path string) *indexEntry {
	t.Helper()
	e, ok := snap.entry(path)
	if !ok {
		t.Fatalf("no index entry for %s", path)
	}
	return e
}
