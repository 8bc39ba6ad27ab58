package store

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// node is one file, or one empty folder, of a test tree.
type node struct {
	content string
	exec    bool
	dir     bool
}

// tree maps slash paths, relative to a root, to what is there.
type tree map[string]node

func newStore(t *testing.T) (*Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "dds")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func writeTree(t *testing.T, root string, tr tree) {
	t.Helper()
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	for p, n := range tr {
		full := filepath.Join(root, filepath.FromSlash(p))
		if n.dir {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		writeFile(t, full, n.content, n.exec)
	}
}

func writeFile(t *testing.T, path, content string, exec bool) {
	t.Helper()
	perm := fs.FileMode(0o644)
	if exec {
		perm = 0o755
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
}

// readTree returns the files and empty folders under root.
func readTree(t *testing.T, root string) tree {
	t.Helper()
	tr := tree{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if entries, _ := os.ReadDir(p); len(entries) == 0 {
				tr[rel] = node{dir: true}
			}
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, _ := d.Info()
		tr[rel] = node{content: string(b), exec: info.Mode().Perm()&0o100 != 0}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func perm(t *testing.T, path string) fs.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}

func same(t *testing.T, a, b string) bool {
	t.Helper()
	ok, err := sameFile(a, b)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

var modes = []LinkMode{Copy, Hardlink}

func TestIngestMaterializeFile(t *testing.T) {
	tests := []struct {
		name, content string
	}{
		{"text", "hello\n"},
		{"empty", ""},
		{"several chunks", strings.Repeat("0123456789abcdef", chunkSize/16*2+3)},
	}
	for _, mode := range modes {
		for _, tt := range tests {
			t.Run(mode.String()+"/"+tt.name, func(t *testing.T) {
				s, _ := newStore(t)
				work := t.TempDir()
				src := filepath.Join(work, "out", "f.bin")
				writeFile(t, src, tt.content, false)

				wantID := hashBytes([]byte(tt.content))
				id, size, dir, err := s.Ingest(context.Background(), src, mode)
				if err != nil {
					t.Fatal(err)
				}
				if id != wantID || size != int64(len(tt.content)) || dir {
					t.Fatalf("Ingest = %s, %d, %v; want %s, %d, false", id, size, dir, wantID, len(tt.content))
				}
				if got := perm(t, s.Path(id)); got != 0o444 {
					t.Errorf("object mode = %v, want 0444", got)
				}
				if err := s.Verify(context.Background(), id); err != nil {
					t.Errorf("Verify: %v", err)
				}

				dest := filepath.Join(work, "other", "deeper", "f.bin")
				if err := s.Materialize(context.Background(), id, false, dest, mode); err != nil {
					t.Fatal(err)
				}
				for _, p := range []string{src, dest} {
					if b, _ := os.ReadFile(p); string(b) != tt.content {
						t.Errorf("%s holds %d bytes that differ from the %d ingested", p, len(b), len(tt.content))
					}
					if got, _, err := s.HashFile(p); err != nil || got != id {
						t.Errorf("HashFile(%s) = %s, %v; want %s", p, got, err, id)
					}
				}
			})
		}
	}
}

func TestHardlinkModeSharesReadOnlyInode(t *testing.T) {
	s, _ := newStore(t)
	work := t.TempDir()
	src := filepath.Join(work, "out.csv")
	writeFile(t, src, "a,b\n", false)

	id, _, err := s.IngestFile(context.Background(), src, Hardlink)
	if err != nil {
		t.Fatal(err)
	}
	if !same(t, src, s.Path(id)) {
		t.Error("working file is not the object's inode")
	}
	if got := perm(t, src); got != 0o444 {
		t.Errorf("working file mode = %v, want 0444", got)
	}

	dest := filepath.Join(work, "copy.csv")
	if err := s.Materialize(context.Background(), id, false, dest, Hardlink); err != nil {
		t.Fatal(err)
	}
	if !same(t, dest, s.Path(id)) || perm(t, dest) != 0o444 {
		t.Error("materialized file is not a read-only link to the object")
	}

	// Content produced again, in a fresh file, is swapped for a link to the
	// object already stored.
	again := filepath.Join(work, "again.csv")
	writeFile(t, again, "a,b\n", false)
	if _, _, err := s.IngestFile(context.Background(), again, Hardlink); err != nil {
		t.Fatal(err)
	}
	if !same(t, again, s.Path(id)) {
		t.Error("re-ingested file was not replaced by a link to the stored object")
	}
}

func TestHardlinkModeCopiesWhatItCannotShare(t *testing.T) {
	s, _ := newStore(t)
	work := t.TempDir()

	script := filepath.Join(work, "run.sh")
	writeFile(t, script, "#!/bin/sh\n", true)
	input := filepath.Join(work, "input.csv")
	writeFile(t, input, "x\n", false)
	linked := filepath.Join(work, "linked.csv")
	if err := os.Link(input, linked); err != nil {
		t.Fatal(err)
	}

	for _, p := range []string{script, linked} {
		id, _, err := s.IngestFile(context.Background(), p, Hardlink)
		if err != nil {
			t.Fatal(err)
		}
		if same(t, p, s.Path(id)) {
			t.Errorf("%s was linked into the store", filepath.Base(p))
		}
	}
	if got := perm(t, script); got != 0o755 {
		t.Errorf("executable output mode = %v, want 0755 kept", got)
	}
	if got := perm(t, input); got != 0o644 {
		t.Errorf("input sharing an inode with an output has mode %v, want 0644 kept", got)
	}
}

func TestCopyModeKeepsWorkingFilesIndependent(t *testing.T) {
	s, _ := newStore(t)
	work := t.TempDir()
	src := filepath.Join(work, "out.txt")
	writeFile(t, src, "original", false)

	id, _, err := s.IngestFile(context.Background(), src, Copy)
	if err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(work, "dest.txt")
	if err := s.Materialize(context.Background(), id, false, dest, Copy); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{src, dest} {
		if same(t, p, s.Path(id)) {
			t.Errorf("%s shares the object's inode", p)
		}
		if got := perm(t, p); got != 0o644 {
			t.Errorf("%s mode = %v, want 0644", p, got)
		}
		if err := os.WriteFile(p, []byte("edited"), 0o644); err != nil {
			t.Fatalf("working file is not writable: %v", err)
		}
	}
	if err := s.Verify(context.Background(), id); err != nil {
		t.Errorf("editing working files reached the object: %v", err)
	}
}

func TestIngestMaterializeDir(t *testing.T) {
	tests := []struct {
		name string
		tree tree
	}{
		{"empty folder", tree{}},
		{"nested", tree{
			"a.txt":                {content: "alpha\n"},
			"empty.bin":            {content: ""},
			"run.sh":               {content: "#!/bin/sh\necho hi\n", exec: true},
			"sub/b.txt":            {content: "beta"},
			"sub/deeper/c.txt":     {content: "gamma"},
			"sub/deeper/dup.txt":   {content: "alpha\n"},
			"sub/empty":            {dir: true},
			"top-empty":            {dir: true},
			"name with space\nand": {content: "odd name"},
			"\xffnot-utf8":         {content: "bytes"},
		}},
	}
	for _, mode := range modes {
		for _, tt := range tests {
			t.Run(mode.String()+"/"+tt.name, func(t *testing.T) {
				s, _ := newStore(t)
				work := t.TempDir()
				src := filepath.Join(work, "out")
				writeTree(t, src, tt.tree)

				hashID, hashSize, hashDir, err := s.HashPath(context.Background(), src)
				if err != nil {
					t.Fatal(err)
				}
				id, size, dir, err := s.Ingest(context.Background(), src, mode)
				if err != nil {
					t.Fatal(err)
				}
				var wantSize int64
				for _, n := range tt.tree {
					wantSize += int64(len(n.content))
				}
				if !dir || size != wantSize {
					t.Errorf("Ingest = dir %v, size %d; want true, %d", dir, size, wantSize)
				}
				if hashID != id || hashSize != size || !hashDir {
					t.Errorf("HashPath = %s, %d, %v; Ingest gave %s, %d", hashID, hashSize, hashDir, id, size)
				}
				if got := readTree(t, src); !maps.Equal(got, tt.tree) {
					t.Errorf("ingest changed the working folder: %v", got)
				}

				dest := filepath.Join(work, "restored", "out")
				if err := s.Materialize(context.Background(), id, true, dest, mode); err != nil {
					t.Fatal(err)
				}
				if got := readTree(t, dest); !maps.Equal(got, tt.tree) {
					t.Errorf("materialized %v, want %v", got, tt.tree)
				}
				if got, _, _, err := s.HashPath(context.Background(), dest); err != nil || got != id {
					t.Errorf("HashPath(materialized) = %s, %v; want %s", got, err, id)
				}
				if mode == Hardlink {
					if p := filepath.Join(dest, "a.txt"); len(tt.tree) > 0 && perm(t, p) != 0o444 {
						t.Errorf("hardlinked file mode = %v, want 0444", perm(t, p))
					}
				} else if p := filepath.Join(dest, "a.txt"); len(tt.tree) > 0 && perm(t, p) != 0o644 {
					t.Errorf("copied file mode = %v, want 0644", perm(t, p))
				}
			})
		}
	}
}

func TestMaterializeReplacesWhateverIsThere(t *testing.T) {
	s, _ := newStore(t)
	work := t.TempDir()
	fileSrc := filepath.Join(work, "src-file")
	writeFile(t, fileSrc, "new file", false)
	fileID, _, err := s.IngestFile(context.Background(), fileSrc, Copy)
	if err != nil {
		t.Fatal(err)
	}
	dirTree := tree{"x": {content: "new x"}, "y/z": {content: "new z"}}
	writeTree(t, filepath.Join(work, "src-dir"), dirTree)
	dirID, _, err := s.IngestDir(context.Background(), filepath.Join(work, "src-dir"), Copy)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		existing tree // at dest; one entry at "" stands for a file at dest itself
		dir      bool
	}{
		{"file over file", tree{"": {content: "old"}}, false},
		{"file over folder", tree{"old": {content: "old"}}, false},
		{"folder over file", tree{"": {content: "old"}}, true},
		{"folder over folder with extra files", tree{"x": {content: "old x"}, "extra/e": {content: "e"}}, true},
	}
	for _, mode := range modes {
		for _, tt := range tests {
			t.Run(mode.String()+"/"+tt.name, func(t *testing.T) {
				parent := t.TempDir()
				dest := filepath.Join(parent, "out")
				if n, ok := tt.existing[""]; ok {
					writeFile(t, dest, n.content, false)
				} else {
					writeTree(t, dest, tt.existing)
				}
				id := fileID
				if tt.dir {
					id = dirID
				}
				if err := s.Materialize(context.Background(), id, tt.dir, dest, mode); err != nil {
					t.Fatal(err)
				}
				if tt.dir {
					if got := readTree(t, dest); !maps.Equal(got, dirTree) {
						t.Errorf("dest holds %v, want %v", got, dirTree)
					}
				} else if b, err := os.ReadFile(dest); err != nil || string(b) != "new file" {
					t.Errorf("dest holds %q, %v; want the new file", b, err)
				}
				if leftovers, _ := filepath.Glob(filepath.Join(parent, WorkTreeTempGlob)); len(leftovers) > 0 {
					t.Errorf("temporary names left beside dest: %v", leftovers)
				}
			})
		}
	}
}

func TestHardlinkMaterializeSkipsWhatIsAlreadyLinked(t *testing.T) {
	s, _ := newStore(t)
	work := t.TempDir()
	src := filepath.Join(work, "out")
	writeTree(t, src, tree{"a": {content: "a"}, "b/c": {content: "c"}, "e": {dir: true}})
	id, _, err := s.IngestDir(context.Background(), src, Hardlink)
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Materialize(context.Background(), id, true, src, Hardlink); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("an output already linked to the store was rebuilt")
	}

	// A stray file makes the folder differ: it is rebuilt without it.
	writeFile(t, filepath.Join(src, "stray"), "s", false)
	if err := s.Materialize(context.Background(), id, true, src, Hardlink); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(src, "stray")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stray file survived materialize: %v", err)
	}
}

func TestMaterializeMissingObject(t *testing.T) {
	s, _ := newStore(t)
	dest := filepath.Join(t.TempDir(), "out")
	err := s.Materialize(context.Background(), idA, false, dest, Copy)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Materialize of an absent object: %v, want ErrNotFound", err)
	}
	if err := s.Materialize(context.Background(), "../../etc", false, dest, Copy); err == nil {
		t.Error("Materialize accepted an id that is not one")
	}
}

func TestSymlinkOutputsAreRefused(t *testing.T) {
	s, _ := newStore(t)
	work := t.TempDir()
	target := filepath.Join(work, "target")
	writeFile(t, target, "t", false)
	link := filepath.Join(work, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(work, "folder")
	writeFile(t, filepath.Join(folder, "ok"), "ok", false)
	inner := filepath.Join(folder, "sub", "inner-link")
	if err := os.MkdirAll(filepath.Dir(inner), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, inner); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		call func() error
		path string
	}{
		{"Ingest file link", func() error { _, _, _, err := s.Ingest(context.Background(), link, Copy); return err }, link},
		{"IngestFile link", func() error { _, _, err := s.IngestFile(context.Background(), link, Hardlink); return err }, link},
		{"IngestDir with a link inside", func() error { _, _, err := s.IngestDir(context.Background(), folder, Copy); return err }, inner},
		{"HashPath link", func() error { _, _, _, err := s.HashPath(context.Background(), link); return err }, link},
		{"HashPath with a link inside", func() error { _, _, _, err := s.HashPath(context.Background(), folder); return err }, inner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, ErrSymlink) || !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error = %v, want ErrSymlink naming %s", err, tt.path)
			}
		})
	}
}

// cancelAfter is a context whose Err reports cancellation once it has been
// asked more than a given number of times: a cancel that lands mid-copy.
type cancelAfter struct {
	context.Context
	left atomic.Int64
}

func (c *cancelAfter) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestCancelledIngestLeavesNothing(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			s, dir := newStore(t)
			src := filepath.Join(t.TempDir(), "big.bin")
			content := bytes.Repeat([]byte("x"), 8*chunkSize)
			writeFile(t, src, string(content), false)

			ctx := &cancelAfter{Context: context.Background()}
			ctx.left.Store(2)
			_, _, err := s.IngestFile(ctx, src, mode)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("IngestFile = %v, want context.Canceled", err)
			}
			if err := s.Walk(func(id string, _ int64) error {
				t.Errorf("object %s left after a cancelled ingest", id)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if left := tempFiles(t, dir); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
			if b, _ := os.ReadFile(src); !bytes.Equal(b, content) || perm(t, src) != 0o644 {
				t.Error("a cancelled ingest changed the working file")
			}
		})
	}
}

func TestVerifyDetectsCorruption(t *testing.T) {
	s, _ := newStore(t)
	src := filepath.Join(t.TempDir(), "f")
	writeFile(t, src, "precious bytes", false)
	id, _, err := s.IngestFile(context.Background(), src, Copy)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(context.Background(), id); err != nil {
		t.Fatalf("Verify of a sound object: %v", err)
	}

	object := s.Path(id)
	if err := os.Chmod(object, 0o644); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(object)
	b[3] ^= 0x01
	if err := os.WriteFile(object, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(context.Background(), id); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Verify of a flipped byte = %v, want ErrCorrupt", err)
	}
	if err := s.Verify(context.Background(), idB); !errors.Is(err, ErrNotFound) {
		t.Errorf("Verify of an absent object = %v, want ErrNotFound", err)
	}
}

func TestWalkAndRemove(t *testing.T) {
	s, dir := newStore(t)
	if err := s.Walk(func(string, int64) error { return errors.New("called on an empty store") }); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	want := map[string]int64{}
	for _, content := range []string{"one", "three", ""} {
		p := filepath.Join(work, "f")
		writeFile(t, p, content, false)
		id, size, err := s.IngestFile(context.Background(), p, Copy)
		if err != nil {
			t.Fatal(err)
		}
		want[id] = size
	}
	// Stray files under objects/ are not objects.
	writeFile(t, filepath.Join(dir, "objects", "zz", "stray"), "x", false)

	walk := func() map[string]int64 {
		got := map[string]int64{}
		if err := s.Walk(func(id string, size int64) error { got[id] = size; return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := walk(); !maps.Equal(got, want) {
		t.Fatalf("Walk = %v, want %v", got, want)
	}

	removed := hashBytes([]byte("one"))
	for range 2 { // removing twice is not an error
		if err := s.Remove(removed); err != nil {
			t.Fatal(err)
		}
	}
	delete(want, removed)
	if s.Has(removed) {
		t.Error("Has reports a removed object")
	}
	if got := walk(); !maps.Equal(got, want) {
		t.Errorf("Walk after Remove = %v, want %v", got, want)
	}
	if err := s.Remove("not-an-id"); err == nil {
		t.Error("Remove accepted an id that is not one")
	}
}

func TestOpenRefusesAFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "dds")
	writeFile(t, f, "", false)
	if _, err := Open(f); err == nil {
		t.Error("Open accepted a file as the store folder")
	}
}

func TestRemoveStaleTemp(t *testing.T) {
	s, dir := newStore(t)
	if n, err := s.RemoveStaleTemp(time.Hour); err != nil || n != 0 {
		t.Fatalf("RemoveStaleTemp without a tmp folder = %d, %v", n, err)
	}
	old := filepath.Join(dir, "tmp", "object-old")
	fresh := filepath.Join(dir, "tmp", "object-fresh")
	writeFile(t, old, "left by a killed ingest", false)
	writeFile(t, fresh, "being written right now", false)
	dayAgo := time.Now().Add(-24 * time.Hour)
	if err := os.Chtimes(old, dayAgo, dayAgo); err != nil {
		t.Fatal(err)
	}

	n, err := s.RemoveStaleTemp(time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("RemoveStaleTemp = %d, %v; want 1", n, err)
	}
	if _, err := os.Stat(old); !errors.Is(err, fs.ErrNotExist) {
		t.Error("stale temporary file kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("fresh temporary file removed")
	}
}

// A store in the two-level layout of earlier versions opens in the current
// one: every object moved, none copied, the old folders gone, and what is
// not an object left alone.
func TestOpenMovesTheTwoLevelLayout(t *testing.T) {
	dir := t.TempDir()
	ids := map[string]string{}
	for _, content := range []string{"one", "two", "three"} {
		id := hashBytes([]byte(content))
		ids[id] = content
		old := filepath.Join(dir, "objects", id[:2], id[2:4], id)
		writeFile(t, old, content, false)
		if err := os.Chmod(old, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	stray := filepath.Join(dir, "objects", "ab", "cd", "not-an-object")
	writeFile(t, stray, "x", false)
	before := map[string]fs.FileInfo{}
	for id := range ids {
		info, err := os.Stat(filepath.Join(dir, "objects", id[:2], id[2:4], id))
		if err != nil {
			t.Fatal(err)
		}
		before[id] = info
	}

	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for id, content := range ids {
		p := s.Path(id)
		if p != filepath.Join(dir, "objects", id[:2], id) {
			t.Fatalf("Path(%s) = %s", id, p)
		}
		if b, err := os.ReadFile(p); err != nil || string(b) != content {
			t.Errorf("object %s after the move: %q, %v", id, b, err)
		}
		if after, err := os.Stat(p); err != nil || !os.SameFile(before[id], after) {
			t.Errorf("object %s was copied, not moved", id)
		}
		if _, err := os.Stat(filepath.Join(dir, "objects", id[:2], id[2:4])); err == nil {
			t.Errorf("the old folder of %s is still there", id)
		}
		if err := s.Verify(context.Background(), id); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(stray); err != nil {
		t.Errorf("a file that is no object was touched: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, layoutFile)); err != nil {
		t.Errorf("no layout mark after the move: %v", err)
	}
	// The next Open finds the mark and moves nothing.
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
}

// A new store marks its layout with its first object.
func TestNewStoreMarksItsLayout(t *testing.T) {
	s, dir := newStore(t)
	if _, err := os.Stat(filepath.Join(dir, layoutFile)); err == nil {
		t.Fatal("a store with no objects is marked already")
	}
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, "content", false)
	if _, _, err := s.IngestFile(context.Background(), p, Copy); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, layoutFile)); err != nil {
		t.Fatalf("no layout mark after the first object: %v", err)
	}
}
