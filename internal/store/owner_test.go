package store

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDeadTempsOnly has two stores on one folder, as two processes have:
// one's temporary files are kept while it holds its folder, whatever their
// age, and go once it let go of it, as a process that ended.
func TestDeadTempsOnly(t *testing.T) {
	dir := t.TempDir()
	live, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	other, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	tmp, err := live.createTemp()
	if err != nil {
		t.Fatal(err)
	}
	tmp.Close()
	beside := live.workTreeTemp(filepath.Join(dir, "out.bin"))
	if err := os.WriteFile(beside, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	if n, err := other.RemoveDeadTemps(); err != nil || n != 0 {
		t.Fatalf("RemoveDeadTemps beside a live owner = %d, %v; want 0", n, err)
	}
	if _, err := os.Stat(tmp.Name()); err != nil {
		t.Fatalf("a live owner's temporary file went: %v", err)
	}
	if other.WorkTreeTempDead(beside) {
		t.Fatal("a live owner's working-tree temporary name was taken for dead")
	}
	if _, err := live.RemoveStaleTemp(0); err != nil || !fileExists(tmp.Name()) {
		t.Fatal("RemoveStaleTemp took a live owner's file for an old loose one")
	}

	live.own.lock.Close() // as its process ending would
	if n, err := other.RemoveDeadTemps(); err != nil || n != 1 {
		t.Fatalf("RemoveDeadTemps after its owner ended = %d, %v; want 1", n, err)
	}
	if fileExists(tmp.Name()) {
		t.Fatal("a dead owner's temporary file stayed")
	}
	if !other.WorkTreeTempDead(beside) {
		t.Fatal("a dead owner's working-tree temporary name was not taken for dead")
	}
	if other.WorkTreeTempDead(filepath.Join(dir, ".out.bin.dds-tmp-OLDSTYLE")) {
		t.Fatal("a name that does not say its owner was taken for dead")
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
