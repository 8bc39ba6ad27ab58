package index

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// sessions opens the index in ddsDir writable n times, each time writing
// one raw key of its own and the two bounds of the keys, as a hook writes
// the same notes again, and closes it.
func sessions(t *testing.T, ddsDir string, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		ix, err := Open(context.Background(), ddsDir, Options{Wait: -1})
		if err != nil {
			t.Fatal(err)
		}
		err = ix.Batch(func(b *Batch) error {
			return errors.Join(b.putRaw("k/", nil), b.putRaw(fmt.Sprintf("k/%04d", i), []byte(fmt.Sprint(i))), b.putRaw("k/~", nil))
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func readManifest(t *testing.T, dir string) *manifestState {
	t.Helper()
	m := listedTables(dir, badger.DefaultOptions(dir))
	if m == nil {
		t.Fatal("the MANIFEST cannot be read")
	}
	return m
}

func checkKeys(t *testing.T, ddsDir string, n int) {
	t.Helper()
	ix, err := Open(context.Background(), ddsDir, Options{Wait: -1, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	for i := range n {
		v, ok, err := ix.getRaw(fmt.Sprintf("k/%04d", i))
		if err != nil || !ok || string(v) != fmt.Sprint(i) {
			t.Fatalf("key %d reads %q, %v, %v", i, v, ok, err)
		}
	}
}

// A rewritten MANIFEST lists the same tables, with no deletions, and the
// index reads every key through it; a kill before the rename leaves a
// rewrite file that changes nothing.
func TestRewriteManifest(t *testing.T) {
	ddsDir := t.TempDir()
	dir := filepath.Join(ddsDir, dirName)
	sessions(t, ddsDir, 0, 3*compactLevelZeroAt)
	before := readManifest(t, dir)
	if before.deletions == 0 {
		t.Fatal("no compaction happened: the MANIFEST has no deletions")
	}
	if err := rewriteManifest(dir, before, badger.DefaultOptions(dir)); err != nil {
		t.Fatal(err)
	}
	after := readManifest(t, dir)
	if after.deletions != 0 || len(after.tables) != len(before.tables) {
		t.Errorf("after the rewrite: %d deletions, %d tables; want 0 and %d", after.deletions, len(after.tables), len(before.tables))
	}
	if _, err := os.Stat(filepath.Join(dir, rewriteName)); err == nil {
		t.Errorf("%s is left after the rewrite", rewriteName)
	}
	checkKeys(t, ddsDir, 3*compactLevelZeroAt)

	// What a kill while writing the rewrite leaves.
	if err := os.WriteFile(filepath.Join(dir, rewriteName), []byte("Bdgr half"), 0o644); err != nil {
		t.Fatal(err)
	}
	sessions(t, ddsDir, 3*compactLevelZeroAt, 2)
	checkKeys(t, ddsDir, 3*compactLevelZeroAt+2)
}

// Level 0 is compacted every few closings, not at each: it never reaches
// the size at which badger's own compactors would start while the index
// is open.
func TestLevelZeroStaysShort(t *testing.T) {
	ddsDir := t.TempDir()
	dir := filepath.Join(ddsDir, dirName)
	const closings = 4 * compactLevelZeroAt
	most, compacted := 0, 0
	for i := range closings {
		sessions(t, ddsDir, i, 1)
		n := readManifest(t, dir).levelZero()
		most = max(most, n)
		if n == 0 {
			compacted++
		}
	}
	checkKeys(t, ddsDir, closings)
	if most >= badger.DefaultOptions("").NumLevelZeroTables {
		t.Errorf("level 0 reached %d tables", most)
	}
	if compacted == 0 || compacted > closings/(compactLevelZeroAt-1) {
		t.Errorf("level 0 was compacted at %d of %d closings; want about one in %d", compacted, closings, compactLevelZeroAt)
	}
}
