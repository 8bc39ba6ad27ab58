package index

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/git-dds/git-dds/internal/signature"
)

func openTestIndex(t *testing.T, ddsDir string) *Index {
	t.Helper()
	ix, err := Open(context.Background(), ddsDir, Options{Wait: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ix.Close(); err != nil {
			t.Error(err)
		}
	})
	return ix
}

func sigN(n int) string { return fmt.Sprintf("%064x", n) }

func testRecord(n int, stage string, at time.Time) *signature.Record {
	return &signature.Record{
		Signature: sigN(n),
		Stage:     stage,
		Outputs:   []signature.Output{{Path: "out/" + stage, ContentID: strings.Repeat("c", 64), Size: int64(n), Dir: n%2 == 0}},
		Duration:  time.Duration(n) * time.Second,
		Inputs:    []signature.Input{{Kind: signature.KindCmd, Value: "make " + stage}, {Kind: signature.KindEnv, Name: "SEED", Value: `"1"`}},
		Commit:    strings.Repeat("d", 40),
		Host:      "build-1",
		Time:      at,
	}
}

var epoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestPutGet(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	rec := testRecord(1, "clean", epoch)
	if err := ix.Put(rec); err != nil {
		t.Fatal(err)
	}
	got, ok, err := ix.Get(rec.Signature)
	if err != nil || !ok {
		t.Fatalf("Get = %v, %v", ok, err)
	}
	if !reflect.DeepEqual(got, rec) {
		t.Errorf("Get = %+v, want %+v", got, rec)
	}
	if _, ok, err := ix.Get(sigN(2)); ok || err != nil {
		t.Errorf("Get of an unknown signature = %v, %v", ok, err)
	}
}

func TestPutRejectsBadKeys(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	for _, rec := range []*signature.Record{
		{Signature: "abc", Stage: "clean"},
		{Signature: strings.Repeat("A", 64), Stage: "clean"},
		{Signature: sigN(1)},
		{Signature: sigN(1), Stage: "a/b"},
	} {
		if err := ix.Put(rec); err == nil {
			t.Errorf("Put(%q, %q) succeeded", rec.Signature, rec.Stage)
		}
	}
}

func TestLineage(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	for i, at := range []time.Time{epoch.Add(2 * time.Hour), epoch, epoch.Add(time.Hour), epoch.Add(3 * time.Hour)} {
		if err := ix.Put(testRecord(i, "clean", at)); err != nil {
			t.Fatal(err)
		}
	}
	// Stages whose names extend one another must not mix.
	for i, stage := range []string{"clean2", "clea", "train"} {
		if err := ix.Put(testRecord(10+i, stage, epoch.Add(5*time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	sigs := func(recs []*signature.Record) []string {
		var s []string
		for _, r := range recs {
			s = append(s, r.Signature)
		}
		return s
	}
	newestFirst := []string{sigN(3), sigN(0), sigN(2), sigN(1)}
	for _, limit := range []int{0, 2, 10} {
		recs, err := ix.Lineage("clean", limit)
		if err != nil {
			t.Fatal(err)
		}
		want := newestFirst
		if limit > 0 && limit < len(want) {
			want = want[:limit]
		}
		if got := sigs(recs); !slices.Equal(got, want) {
			t.Errorf("Lineage(clean, %d) = %v, want %v", limit, got, want)
		}
	}
	last, ok, err := ix.Last("clean")
	if err != nil || !ok || last.Signature != sigN(3) {
		t.Errorf("Last(clean) = %v, %v, %v", last, ok, err)
	}
	if _, ok, err := ix.Last("nobody"); ok || err != nil {
		t.Errorf("Last(nobody) = %v, %v", ok, err)
	}

	// Putting a signature again moves its row rather than adding one.
	if err := ix.Put(testRecord(1, "clean", epoch.Add(4*time.Hour))); err != nil {
		t.Fatal(err)
	}
	recs, err := ix.Lineage("clean", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sigs(recs), []string{sigN(1), sigN(3), sigN(0), sigN(2)}; !slices.Equal(got, want) {
		t.Errorf("after a second Put, Lineage = %v, want %v", got, want)
	}

	if err := ix.Delete(sigN(3)); err != nil {
		t.Fatal(err)
	}
	if err := ix.Delete(sigN(99)); err != nil {
		t.Errorf("Delete of an unknown signature: %v", err)
	}
	recs, err = ix.Lineage("clean", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sigs(recs), []string{sigN(1), sigN(0), sigN(2)}; !slices.Equal(got, want) {
		t.Errorf("after Delete, Lineage = %v, want %v", got, want)
	}
	if _, ok, _ := ix.Get(sigN(3)); ok {
		t.Error("Get finds a deleted record")
	}
}

func TestForEach(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	for i := range 5 {
		if err := ix.Put(testRecord(i, "clean", epoch.Add(time.Duration(i)*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.putRaw("ns/main", []byte("view")); err != nil {
		t.Fatal(err)
	}
	// fn may write: here it deletes every record it sees.
	var seen []string
	err := ix.ForEach(func(r *signature.Record) error {
		seen = append(seen, r.Signature)
		return ix.Delete(r.Signature)
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{sigN(0), sigN(1), sigN(2), sigN(3), sigN(4)}; !slices.Equal(seen, want) {
		t.Errorf("ForEach saw %v, want %v", seen, want)
	}
	if recs, _ := ix.Lineage("clean", 0); len(recs) != 0 {
		t.Errorf("after deleting every record, Lineage has %d", len(recs))
	}

	stop := errors.New("stop")
	if err := ix.Put(testRecord(7, "clean", epoch)); err != nil {
		t.Fatal(err)
	}
	if err := ix.ForEach(func(*signature.Record) error { return stop }); err != stop {
		t.Errorf("ForEach returned %v, want fn's own error", err)
	}
}

func TestRaw(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	puts := map[string]string{"ns/main": "m", "ns/feature/x": "f", "ns/": "", "stat/src/a.py": "s", "sig/looks-like-ours": "raw"}
	for k, v := range puts {
		if err := ix.putRaw(k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Put(testRecord(1, "clean", epoch)); err != nil {
		t.Fatal(err)
	}
	for k, v := range puts {
		got, ok, err := ix.getRaw(k)
		if err != nil || !ok || string(got) != v {
			t.Errorf("GetRaw(%q) = %q, %v, %v; want %q", k, got, ok, err, v)
		}
	}
	if rec, ok, err := ix.Get(sigN(1)); err != nil || !ok || rec.Stage != "clean" {
		t.Errorf("a raw key shadowed a record: %v, %v, %v", rec, ok, err)
	}
	scan := func(prefix string) []string {
		var got []string
		err := ix.scanRaw(prefix, func(k string, v []byte) error {
			got = append(got, k+"="+string(v))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got, want := scan("ns/"), []string{"ns/=", "ns/feature/x=f", "ns/main=m"}; !slices.Equal(got, want) {
		t.Errorf("ScanRaw(ns/) = %q, want %q", got, want)
	}
	if got := scan(""); len(got) != len(puts) {
		t.Errorf("ScanRaw(\"\") = %q, want only the %d raw keys", got, len(puts))
	}
	if err := ix.deleteRaw("ns/main"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := ix.getRaw("ns/main"); ok || err != nil {
		t.Errorf("GetRaw after DeleteRaw = %v, %v", ok, err)
	}
	if err := ix.putRaw("", []byte("x")); err == nil {
		t.Error("PutRaw with an empty key succeeded")
	}
}

func TestBatch(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	err := ix.Batch(func(b *Batch) error {
		if err := b.Put(testRecord(1, "clean", epoch)); err != nil {
			return err
		}
		if err := b.putRaw("ns/main", []byte("v1")); err != nil {
			return err
		}
		// A batch reads its own writes.
		if v, ok, err := b.getRaw("ns/main"); err != nil || !ok || string(v) != "v1" {
			return fmt.Errorf("GetRaw inside the batch = %q, %v, %v", v, ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	failed := errors.New("half way")
	err = ix.Batch(func(b *Batch) error {
		if err := b.Delete(sigN(1)); err != nil {
			return err
		}
		if err := b.deleteRaw("ns/main"); err != nil {
			return err
		}
		if err := b.Put(testRecord(2, "train", epoch)); err != nil {
			return err
		}
		return failed
	})
	if err != failed {
		t.Fatalf("Batch returned %v, want fn's own error", err)
	}
	if _, ok, _ := ix.Get(sigN(1)); !ok {
		t.Error("a failed batch deleted a record")
	}
	if _, ok, _ := ix.getRaw("ns/main"); !ok {
		t.Error("a failed batch deleted a raw key")
	}
	if _, ok, _ := ix.Get(sigN(2)); ok {
		t.Error("a failed batch wrote a record")
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Put(testRecord(1, "clean", epoch)); err != nil {
		t.Fatal(err)
	}
	if err := ix.putRaw("ns/main", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	if _, _, err := ix.Get(sigN(1)); err == nil {
		t.Error("Get after Close succeeded")
	}

	ix = openTestIndex(t, dir)
	if _, ok, err := ix.Get(sigN(1)); !ok || err != nil {
		t.Errorf("after reopening, Get = %v, %v", ok, err)
	}
	if v, ok, err := ix.getRaw("ns/main"); !ok || err != nil || string(v) != "v" {
		t.Errorf("after reopening, GetRaw = %q, %v, %v", v, ok, err)
	}
}

func TestCorruptIndex(t *testing.T) {
	// fill writes an index with a table and, with a value too large for
	// the tables, a value log worth damaging.
	fill := func(t *testing.T, dir string) {
		ix, err := Open(context.Background(), dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = ix.Batch(func(b *Batch) error {
			for i := range 50 {
				if err := b.Put(testRecord(i, "clean", epoch)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := ix.putRaw("ns/big", []byte(strings.Repeat("x", 2<<20))); err != nil {
			t.Fatal(err)
		}
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
	}
	truncate := func(t *testing.T, dir, pattern string, size func(int64) int64) {
		paths, err := filepath.Glob(filepath.Join(dir, "index", pattern))
		if err != nil || len(paths) == 0 {
			t.Fatalf("no %s in the index (%v)", pattern, err)
		}
		for _, p := range paths {
			info, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(p, size(info.Size())); err != nil {
				t.Fatal(err)
			}
		}
	}
	zero := func(int64) int64 { return 0 }
	half := func(n int64) int64 { return n / 2 }
	ten := func(int64) int64 { return 10 }
	tests := []struct {
		name    string
		pattern string
		size    func(int64) int64
		read    func(ix *Index) error // where the damage shows, if not at Open
	}{
		{name: "an emptied table", pattern: "*.sst", size: zero},
		{name: "a table cut in half", pattern: "*.sst", size: half},
		{name: "an emptied MANIFEST", pattern: "MANIFEST", size: zero},
		{name: "a MANIFEST cut short", pattern: "MANIFEST", size: ten},
		{name: "a key registry cut in half", pattern: "KEYREGISTRY", size: half},
		{name: "an emptied value log", pattern: "*.vlog", size: zero},
		{name: "a value log cut in half", pattern: "*.vlog", size: half, read: func(ix *Index) error {
			_, _, err := ix.getRaw("ns/big")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			fill(t, dir)
			truncate(t, dir, tt.pattern, tt.size)
			ix, err := Open(context.Background(), dir, Options{})
			if err == nil {
				if tt.read == nil {
					ix.Close()
					t.Fatal("Open succeeded on a damaged index")
				}
				err = tt.read(ix)
				ix.Close()
			}
			if !errors.Is(err, ErrCorruptIndex) {
				t.Fatalf("error = %v, want one wrapping ErrCorruptIndex", err)
			}
			if !strings.Contains(err.Error(), "git dds fsck --repair") {
				t.Errorf("error %q does not tell the fix", err)
			}
			// The lock went with the failed Open.
			again, err := Open(context.Background(), dir, Options{Wait: -1})
			if errors.Is(err, ErrBusy) {
				t.Errorf("after a failed Open the index stays locked: %v", err)
			}
			if err == nil {
				again.Close()
			}
		})
	}
}

func TestBatchTooBig(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	err := ix.Batch(func(b *Batch) error {
		for i := range 50_000 {
			if err := b.putRaw(fmt.Sprintf("stat/%d", i), []byte(strings.Repeat("s", 64))); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "split the batch") {
		t.Errorf("an oversized batch: error = %v", err)
	}
	if errors.Is(err, ErrCorruptIndex) {
		t.Errorf("an oversized batch reads as damage: %v", err)
	}
}

// BenchmarkOpenGetClose measures what git dds status pays on every call.
func BenchmarkOpenGetClose(b *testing.B) {
	dir := b.TempDir()
	ix, err := Open(context.Background(), dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	err = ix.Batch(func(batch *Batch) error {
		for i := range 1000 {
			if err := batch.Put(testRecord(i, fmt.Sprintf("stage%d", i%20), epoch.Add(time.Duration(i)*time.Minute))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		ix, err := Open(context.Background(), dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, ok, err := ix.Get(sigN(i % 1000)); !ok || err != nil {
			b.Fatalf("Get = %v, %v", ok, err)
		}
		if err := ix.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// A read-only opening reads what a writable one wrote and refuses writes;
// on a fresh folder it reads an empty index and creates nothing.
func TestReadOnly(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(context.Background(), dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only opening of a new index: %v", err)
	}
	if _, ok, err := ix.Get(sigN(1)); ok || err != nil {
		t.Errorf("Get on an index not created yet = %v, %v", ok, err)
	}
	if _, ok, err := ix.Last("clean"); ok || err != nil {
		t.Errorf("Last on an index not created yet = %v, %v", ok, err)
	}
	if err := ix.Put(testRecord(1, "clean", epoch)); err == nil {
		t.Error("Put on a read-only opening of an index not created yet succeeded")
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "index")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a read-only visit created the index: %v", err)
	}
	ix = openTestIndex(t, dir)
	if err := ix.Put(testRecord(1, "clean", epoch)); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}

	files := func() []string {
		names, _ := filepath.Glob(filepath.Join(dir, "index", "*"))
		return names
	}
	before := files()
	ix, err = Open(context.Background(), dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok, err := ix.Get(sigN(1)); err != nil || !ok || got.Stage != "clean" {
		t.Errorf("read-only Get = %+v, %v, %v", got, ok, err)
	}
	if err := ix.Put(testRecord(2, "train", epoch)); err == nil {
		t.Error("Put on a read-only index succeeded")
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if after := files(); !slices.Equal(before, after) {
		t.Errorf("a read-only visit changed the index's files:\n before %v\n after  %v", before, after)
	}

	ix = openTestIndex(t, dir)
	if _, ok, _ := ix.Get(sigN(2)); ok {
		t.Error("the refused Put was recorded")
	}
}

// An index written by a git dds that stored JSON records (format 1) reads
// as before, and its first writable opening marks it format 2, which
// earlier versions refuse rather than take binary records for damage.
func TestReadsJSONRecordsOfFormatOne(t *testing.T) {
	dir := t.TempDir()
	ix, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Enough records, with long inputs, for several transactions of the
	// rewrite to binary.
	const n = 700
	wb := ix.db.NewWriteBatch()
	for i := range n {
		r := testRecord(i, fmt.Sprintf("s%d", i), epoch)
		r.Inputs = append(r.Inputs, signature.Input{Kind: signature.KindCmd, Value: strings.Repeat("x", 1000)})
		js, err := signature.EncodeRecord(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := errors.Join(wb.Set([]byte(sigPrefix+r.Signature), js), wb.Set(lineageKey(r), nil)); err != nil {
			t.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		t.Fatal(err)
	}
	rec := testRecord(n, "clean", epoch)
	js, err := signature.EncodeRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	err = ix.db.Update(func(txn *badger.Txn) error {
		return errors.Join(txn.Set([]byte(sigPrefix+rec.Signature), js), txn.Set(lineageKey(rec), nil),
			txn.Set([]byte(formatKey), []byte(jsonFormat)))
	})
	if err != nil {
		t.Fatal(err)
	}
	// jsonLeft counts the records still stored as JSON.
	jsonLeft := func(ix *Index) int {
		left := 0
		err := ix.db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(sigPrefix)})
			defer it.Close()
			for it.Rewind(); it.Valid(); it.Next() {
				if err := it.Item().Value(func(v []byte) error {
					if v[0] == '{' {
						left++
					}
					return nil
				}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return left
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	format := func() (string, int) {
		t.Helper()
		ix, err := Open(context.Background(), dir, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		var v []byte
		err = ix.db.View(func(txn *badger.Txn) error {
			item, err := txn.Get([]byte(formatKey))
			if err == nil {
				v, err = item.ValueCopy(nil)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, ok, err := ix.Get(rec.Signature)
		if err != nil || !ok || !reflect.DeepEqual(got, rec) {
			t.Fatalf("the JSON record reads back as %+v, %v, %v", got, ok, err)
		}
		if last, ok, err := ix.Last("clean"); err != nil || !ok || last.Signature != rec.Signature {
			t.Fatalf("its lineage reads back as %+v, %v, %v", last, ok, err)
		}
		count := 0
		if err := ix.ForEach(func(*signature.Record) error { count++; return nil }); err != nil || count != n+1 {
			t.Fatalf("ForEach saw %d records, %v; want %d", count, err, n+1)
		}
		return string(v), jsonLeft(ix)
	}
	if got, left := format(); got != jsonFormat || left != n+1 {
		t.Errorf("a read-only opening changed the format to %q, %d JSON records left of %d", got, left, n+1)
	}
	ix = openTestIndex(t, dir)
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if got, left := format(); got != indexFormat || left != 0 {
		t.Errorf("after a writable opening the format is %q, want %q, with %d JSON records left", got, indexFormat, left)
	}
}

func TestRefusesLaterFormats(t *testing.T) {
	dir := t.TempDir()
	ix := openTestIndex(t, dir)
	if err := ix.db.Update(func(txn *badger.Txn) error { return txn.Set([]byte(formatKey), []byte("3")) }); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), dir, Options{Wait: -1}); err == nil || !strings.Contains(err.Error(), "upgrade git dds") {
		t.Errorf("opening an index of format 3: %v", err)
	}
}
