package index

import (
	"os"
	"path/filepath"
	"testing"
)

// TestAllocateLogsOfAnEmptyLog: a kill can leave a write-ahead log badger
// created but never sized; the next writable opening must not fail on it.
func TestAllocateLogsOfAnEmptyLog(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "00001.mem"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "00002.mem"), make([]byte, 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := allocateLogs(dir); err != nil {
		t.Fatalf("allocating the logs of %s: %v", dir, err)
	}
}
