package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// writeInPlace writes into a hardlinked output as an editor or root does:
// through the same inode, which is the object's.
func writeInPlace(t *testing.T, path string, at int64, b []byte) {
	t.Helper()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCheckFindsInPlaceWrites(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	work := t.TempDir()
	out := filepath.Join(work, "out.csv")
	writeFile(t, out, "a,b\n1,2\n", false)
	id, size, err := s.IngestFile(ctx, out, Hardlink)
	if err != nil {
		t.Fatal(err)
	}
	recorded := time.Now()
	if err := s.Check(ctx, id, size, false, recorded); err != nil {
		t.Fatalf("an object as stored: %v", err)
	}
	if err := s.Check(ctx, id, size+1, false, recorded); !isDamaged(err, id) {
		t.Fatalf("an object of another size than recorded: %v, want it damaged", err)
	}

	// Same size: the modification time gives it away, the hash confirms.
	time.Sleep(10 * time.Millisecond)
	writeInPlace(t, out, 0, []byte("X"))
	if err := s.Check(ctx, id, size, false, recorded); !isDamaged(err, id) {
		t.Fatalf("after a same-size write in place: %v, want it damaged", err)
	}
	if err := s.Quarantine(id); err != nil {
		t.Fatal(err)
	}
	if s.Has(id) {
		t.Fatal("a quarantined object is still in the store")
	}
	if _, err := os.Stat(filepath.Join(s.QuarantineDir(), id)); err != nil {
		t.Fatalf("the quarantined object is not kept: %v", err)
	}
	if err := s.Check(ctx, id, size, false, recorded); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a quarantined object: %v, want ErrNotFound", err)
	}
}

// An object written after its record (fetched from a remote) is hashed
// once, found whole, and dated back to its record: the next check is a
// stat.
func TestCheckAcceptsLaterWholeObjects(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	out := filepath.Join(t.TempDir(), "out.csv")
	recorded := time.Now().Add(-time.Hour).Truncate(time.Second)
	writeFile(t, out, "fetched\n", false)
	id, size, err := s.IngestFile(ctx, out, Copy)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx, id, size, false, recorded); err != nil {
		t.Fatalf("a whole object newer than its record: %v", err)
	}
	info, err := os.Stat(s.Path(id))
	if err != nil {
		t.Fatal(err)
	}
	if !info.ModTime().Equal(recorded) {
		t.Errorf("the object's modification time is %v, want its record's %v", info.ModTime(), recorded)
	}
}

func TestCheckLooksIntoFolders(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	dir := filepath.Join(t.TempDir(), "out")
	writeTree(t, dir, tree{"a.txt": {content: "aaa\n"}, "sub/b.txt": {content: "bbb\n"}})
	id, size, err := s.IngestDir(ctx, dir, Hardlink)
	if err != nil {
		t.Fatal(err)
	}
	recorded := time.Now()
	if err := s.Check(ctx, id, size, true, recorded); err != nil {
		t.Fatalf("a folder as stored: %v", err)
	}
	m, err := s.ReadManifest(id)
	if err != nil {
		t.Fatal(err)
	}
	var bID string
	for _, e := range m.Entries {
		if e.Path == "sub/b.txt" {
			bID = e.ID
		}
	}
	writeInPlace(t, filepath.Join(dir, "sub", "b.txt"), 4, []byte("more\n"))
	if err := s.Check(ctx, id, size, true, recorded); !isDamaged(err, bID) {
		t.Fatalf("a folder with a file written in place: %v, want %s damaged", err, bID)
	}
}

func isDamaged(err error, id string) bool {
	var d *DamagedError
	return errors.As(err, &d) && errors.Is(err, ErrCorrupt) && slices.Contains(d.IDs, id)
}
