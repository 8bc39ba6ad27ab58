package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestReceiveChecksContentAgainstItsID(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		size int
		hint int64
	}{
		{"small, read whole", 100 << 10, 100 << 10},
		{"large, streamed", smallObject + 1, smallObject + 1},
		{"no hint", 5000, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := newStore(t)
			content := bytes.Repeat([]byte("x"), tt.size)
			id := hashBytes(content)

			wrong := append([]byte("y"), content[1:]...)
			if _, err := s.Receive(ctx, id, bytes.NewReader(wrong), tt.hint); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Receive of other bytes = %v; want ErrCorrupt", err)
			}
			if s.Has(id) {
				t.Fatal("content that does not match its id reached the store")
			}
			if left := tempFiles(t, dir); len(left) != 0 {
				t.Fatalf("a refused object left %d temporary files", len(left))
			}

			n, err := s.Receive(ctx, id, bytes.NewReader(content), tt.hint)
			if err != nil || n != int64(tt.size) {
				t.Fatalf("Receive = %d, %v; want %d bytes", n, err, tt.size)
			}
			if err := s.Verify(ctx, id); err != nil {
				t.Fatal(err)
			}
			if n, err := s.Receive(ctx, id, errReader{}, tt.hint); err != nil || n != 0 {
				t.Fatalf("Receive of an object already there = %d, %v; want it kept, the reader unread", n, err)
			}
		})
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("read") }

func TestBatchShowsNothingUntilCommit(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	b := s.NewBatch()
	defer b.Abort()
	a, c := []byte("first object"), []byte("second object")
	for _, content := range [][]byte{a, c} {
		if _, err := b.Receive(ctx, hashBytes(content), bytes.NewReader(content), int64(len(content))); err != nil {
			t.Fatal(err)
		}
	}
	// A refused object leaves the others of the batch as they were.
	if _, err := b.Receive(ctx, hashBytes(a), bytes.NewReader(c), 0); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Receive of other bytes = %v; want ErrCorrupt", err)
	}
	if s.Has(hashBytes(a)) || s.Has(hashBytes(c)) {
		t.Fatal("objects of a batch are in the store before its commit")
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, content := range [][]byte{a, c} {
		if err := s.Verify(ctx, hashBytes(content)); err != nil {
			t.Errorf("after the commit: %v", err)
		}
	}
}

// A batch large enough to be flushed with one sync of the file system, not
// an fsync per object, still shows nothing before its commit and every
// object whole after it, in every size class around the threshold.
func TestLargeBatchCommitsWhole(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{syncWholeFrom - 1, syncWholeFrom, 3 * syncWholeFrom} {
		s, dir := newStore(t)
		b := s.NewBatch()
		var ids []string
		for i := range n {
			content := bytes.Repeat([]byte{byte(i)}, 1000+i)
			id := hashBytes(content)
			ids = append(ids, id)
			if _, err := b.Receive(ctx, id, bytes.NewReader(content), int64(len(content))); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range ids {
			if s.Has(id) {
				t.Fatalf("%d objects: object %s is in the store before the commit", n, id)
			}
		}
		if err := b.Commit(ctx); err != nil {
			t.Fatalf("%d objects: %v", n, err)
		}
		for _, id := range ids {
			if err := s.Verify(ctx, id); err != nil {
				t.Errorf("%d objects: after the commit: %v", n, err)
			}
		}
		if left := tempFiles(t, dir); len(left) != 0 {
			t.Fatalf("%d objects: the commit left %d temporary files", n, len(left))
		}
	}
}

func TestFlushManyFlushesFilesAndFolders(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{1, syncWholeFrom} {
		var paths []string
		for i := range n {
			p := filepath.Join(dir, fmt.Sprintf("f%d-%d", n, i))
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
		}
		if err := flushMany(append(paths, dir)); err != nil {
			t.Fatalf("flushMany of %d files and their folder: %v", n, err)
		}
	}
	if err := flushMany(make([]string, syncWholeFrom)); err == nil {
		t.Fatal("flushMany of paths that do not exist succeeded")
	}
}

// An object that reaches the store while a batch holds it too (another
// command's fetch, or twice in one batch) is kept at the commit, whole and
// the same file, and the batch's copies leave nothing behind; an entry at
// its path that is not a regular file is replaced.
func TestBatchCommitKeepsObjectsAlreadyThere(t *testing.T) {
	ctx := context.Background()
	s, dir := newStore(t)
	content := []byte("object stored meanwhile")
	id := hashBytes(content)
	b := s.NewBatch()
	defer b.Abort()
	for range 2 {
		if _, err := b.Receive(ctx, id, bytes.NewReader(content), int64(len(content))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Receive(ctx, id, bytes.NewReader(content), int64(len(content))); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(s.Path(id))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(s.Path(id))
	if err != nil || !os.SameFile(before, after) {
		t.Fatalf("the commit replaced the object already there (%v)", err)
	}
	if err := s.Verify(ctx, id); err != nil {
		t.Fatal(err)
	}
	if left := tempFiles(t, dir); len(left) != 0 {
		t.Fatalf("the commit left %d temporary files", len(left))
	}

	other := []byte("object whose path holds a dangling link")
	oid := hashBytes(other)
	if err := os.MkdirAll(filepath.Dir(s.Path(oid)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "nowhere"), s.Path(oid)); err != nil {
		t.Fatal(err)
	}
	b2 := s.NewBatch()
	defer b2.Abort()
	if _, err := b2.Receive(ctx, oid, bytes.NewReader(other), int64(len(other))); err != nil {
		t.Fatal(err)
	}
	if err := b2.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(ctx, oid); err != nil {
		t.Fatalf("a dangling link at the object's path was kept: %v", err)
	}
}
