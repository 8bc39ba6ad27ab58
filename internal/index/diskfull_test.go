package index

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/git-dds/git-dds/internal/signature"
)

// TestDiskFillsWhileOpen opens the index on a small tmpfs, fills the disk
// while it is open (as a stage writing a large output beside it would),
// then writes records and closes it: no write may fault (on a full tmpfs,
// a write to a map of a file's unallocated part is a SIGBUS, which ends
// the process), and once room is made the index opens with every record.
// Mounting needs root; elsewhere the test is skipped.
func TestDiskFillsWhileOpen(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: simulating a full disk mounts a tmpfs, which takes root")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("skipped: mounting a tmpfs failed (%v): %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() })
	ddsDir := filepath.Join(mnt, "dds")

	ix, err := Open(context.Background(), ddsDir, Options{Wait: -1})
	if err != nil {
		t.Fatal(err)
	}
	fill := filepath.Join(mnt, "fill")
	f, err := os.Create(fill)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()

	const n = 2000
	for start := 0; start < n; start += 200 {
		err := ix.Batch(func(b *Batch) error {
			for i := start; i < start+200; i++ {
				if err := b.Put(testRecord(i, "stage", epoch.Add(time.Duration(i)*time.Second))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("writing records on a full disk: %v", err)
		}
	}
	if err := ix.Close(); err != nil {
		t.Logf("closing on a full disk: %v", err)
	}

	if err := os.Remove(fill); err != nil {
		t.Fatal(err)
	}
	ix, err = Open(context.Background(), ddsDir, Options{Wait: -1, ReadOnly: true})
	if err != nil {
		t.Fatalf("once room is made, the index does not open: %v", err)
	}
	defer ix.Close()
	count := 0
	if err := ix.ForEach(func(*signature.Record) error { count++; return nil }); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Errorf("once room is made, the index holds %d records, want %d", count, n)
	}
}
