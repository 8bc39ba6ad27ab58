package index

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/git-dds/git-dds/internal/signature"
)

// badgerFiles lists badger's files in the index of ddsDir, with their sizes.
func badgerFiles(t *testing.T, ddsDir string) map[string]int64 {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(ddsDir, dirName))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]int64{}
	for _, e := range entries {
		if e.Name() == journalName || e.Name() == spaceCheckName {
			continue
		}
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = info.Size()
	}
	return files
}

func openWith(t *testing.T, ddsDir string, opts Options) *Index {
	t.Helper()
	opts.Wait = -1
	ix, err := Open(context.Background(), ddsDir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func closeIndex(t *testing.T, ix *Index) {
	t.Helper()
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
}

// A session opened with Options.Journal writes its few writes to the
// journal and leaves badger's files as they were: no value log, no
// write-ahead log, no table.
func TestJournalSessionLeavesBadgerAlone(t *testing.T) {
	dds := t.TempDir()
	ix := openWith(t, dds, Options{})
	if err := ix.Put(testRecord(1, "clean", epoch)); err != nil {
		t.Fatal(err)
	}
	closeIndex(t, ix)
	before := badgerFiles(t, dds)

	ix = openWith(t, dds, Options{Journal: true})
	err := ix.Batch(func(b *Batch) error {
		if err := b.PutPlaced("wt1", "out/a", Placed{ContentID: "c1", Fingerprint: "f1"}); err != nil {
			return err
		}
		return b.PutNamespace("/repo/.git", "refs/heads/main", []byte(`{"ref":"refs/heads/main"}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	closeIndex(t, ix)
	if after := badgerFiles(t, dds); !reflect.DeepEqual(after, before) {
		t.Errorf("badger's files changed:\nbefore %v\nafter  %v", before, after)
	}
	if _, err := os.Stat(filepath.Join(dds, dirName, journalName)); err != nil {
		t.Errorf("no journal: %v", err)
	}

	ix = openWith(t, dds, Options{ReadOnly: true})
	note, ok, err := ix.PlacedAt("out/a", "wt1")
	if err != nil || !ok || note.ContentID != "c1" {
		t.Errorf("PlacedAt = %+v, %v, %v", note, ok, err)
	}
	closeIndex(t, ix)

	// A writable opening folds the journal into badger and removes it.
	ix = openWith(t, dds, Options{})
	closeIndex(t, ix)
	if _, err := os.Stat(filepath.Join(dds, dirName, journalName)); !os.IsNotExist(err) {
		t.Errorf("the journal is still there after a writable opening: %v", err)
	}
	ix = openWith(t, dds, Options{ReadOnly: true})
	defer closeIndex(t, ix)
	if raw, ok, err := ix.Namespace("/repo/.git", "refs/heads/main"); err != nil || !ok || string(raw) != `{"ref":"refs/heads/main"}` {
		t.Errorf("Namespace = %q, %v, %v", raw, ok, err)
	}
}

// snapshot is everything the index's readers give, to compare two indexes.
func snapshot(t *testing.T, ix *Index, stages []string, keys []string) string {
	t.Helper()
	var sb strings.Builder
	err := ix.ForEach(func(rec *signature.Record) error {
		fmt.Fprintf(&sb, "rec %s %s %d\n", rec.Signature, rec.Stage, rec.Time.UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, stage := range stages {
		recs, err := ix.Lineage(stage, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			fmt.Fprintf(&sb, "lin %s %s\n", stage, r.Signature)
		}
		if last, ok, err := ix.Last(stage); err != nil {
			t.Fatal(err)
		} else if ok {
			fmt.Fprintf(&sb, "last %s %s\n", stage, last.Signature)
		}
	}
	for _, prefix := range []string{"", "a/", "a/b", "b/", "c"} {
		err := ix.scanRaw(prefix, func(key string, val []byte) error {
			fmt.Fprintf(&sb, "scan %q %q %q\n", prefix, key, val)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range keys {
		val, ok, err := ix.getRaw(k)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sb, "get %q %v %q\n", k, ok, val)
	}
	for n := range 12 {
		rec, ok, err := ix.Get(sigN(n))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			fmt.Fprintf(&sb, "got %s %s\n", rec.Signature, rec.Stage)
		}
	}
	return sb.String()
}

// The class of sessions a journal takes: random writes of raw keys and
// records, overwrites and deletions of keys badger holds or the journal
// holds, over several sessions. Every reader of an index whose writes went
// through the journal gives byte for byte what it gives on an index that
// took the same writes in badger, before the fold and after it.
func TestJournalReadsAsBadger(t *testing.T) {
	for seed := range 8 {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(seed), 7))
			keys := []string{"a/1", "a/2", "a/b/1", "a/b/2", "a/c", "b/1", "b/2", "c", "c/1", "d"}
			stages := []string{"clean", "train"}
			plain, journaled := t.TempDir(), t.TempDir()
			session := func(ops func(b *Batch) error) {
				for _, c := range []struct {
					dir  string
					opts Options
				}{{plain, Options{}}, {journaled, Options{Journal: true}}} {
					ix := openWith(t, c.dir, c.opts)
					if err := ix.Batch(ops); err != nil {
						t.Fatal(err)
					}
					closeIndex(t, ix)
				}
			}
			randomOps := func(rng *rand.Rand, b *Batch, n int) error {
				for range n {
					k := keys[rng.IntN(len(keys))]
					var err error
					switch rng.IntN(4) {
					case 0:
						err = b.deleteRaw(k)
					case 1:
						n := rng.IntN(12)
						err = b.Put(testRecord(n, stages[n%2], epoch.Add(time.Duration(rng.IntN(5))*time.Hour)))
					case 2:
						err = b.Delete(sigN(rng.IntN(12)))
					default:
						err = b.putRaw(k, []byte(fmt.Sprint(rng.IntN(1000))))
					}
					if err != nil {
						return err
					}
				}
				return nil
			}
			for round := range 6 {
				n := 1 + rng.IntN(8)
				// Both indexes must see the same operations: draw them
				// once, then replay.
				opsSeed := rng.Uint64()
				session(func(b *Batch) error { return randomOps(rand.New(rand.NewPCG(opsSeed, 1)), b, n) })
				for _, opts := range []Options{{ReadOnly: true}, {Journal: true}} {
					a, j := openWith(t, plain, Options{ReadOnly: true}), openWith(t, journaled, opts)
					want, got := snapshot(t, a, stages, keys), snapshot(t, j, stages, keys)
					closeIndex(t, a)
					closeIndex(t, j)
					if got != want {
						t.Fatalf("round %d, %+v: the journaled index reads\n%s\nwhere badger alone reads\n%s", round, opts, got, want)
					}
				}
			}
			ix := openWith(t, journaled, Options{})
			closeIndex(t, ix)
			a, j := openWith(t, plain, Options{ReadOnly: true}), openWith(t, journaled, Options{ReadOnly: true})
			defer closeIndex(t, a)
			defer closeIndex(t, j)
			if want, got := snapshot(t, a, stages, keys), snapshot(t, j, stages, keys); got != want {
				t.Fatalf("after the fold, the index reads\n%s\nwhere badger alone reads\n%s", got, want)
			}
		})
	}
}

// A kill during an append leaves a torn record at the journal's tail, cut
// anywhere: readers see exactly the records before it, and the next append
// lands after them.
func TestJournalTornTail(t *testing.T) {
	dds := t.TempDir()
	closeIndex(t, openWith(t, dds, Options{}))
	ix := openWith(t, dds, Options{Journal: true})
	for i := range 3 {
		if err := ix.putRaw(fmt.Sprintf("k%d", i), bytes.Repeat([]byte{byte('a' + i)}, 10)); err != nil {
			t.Fatal(err)
		}
	}
	closeIndex(t, ix)
	path := filepath.Join(dds, dirName, journalName)
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Where each record ends.
	ends := []int{journalHeaderSize}
	for i := range 3 {
		ends = append(ends, ends[i]+len(encodeRecord([]journalOp{{key: rawPrefix + "k0", jop: jop{val: make([]byte, 11)}}})))
	}
	if ends[3] != len(whole) {
		t.Fatalf("the journal is %d bytes, not %d", len(whole), ends[3])
	}
	for cut := 0; cut <= len(whole); cut++ {
		if err := os.WriteFile(path, whole[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		whole := 0
		for whole < 3 && ends[whole+1] <= cut {
			whole++
		}
		ix := openWith(t, dds, Options{Journal: true})
		for i := range 3 {
			_, ok, err := ix.getRaw(fmt.Sprintf("k%d", i))
			if err != nil || ok != (i < whole) {
				t.Fatalf("cut at %d: k%d read %v, %v; want %v", cut, i, ok, err, i < whole)
			}
		}
		if err := ix.putRaw("after", []byte("x")); err != nil {
			t.Fatal(err)
		}
		closeIndex(t, ix)
		ix = openWith(t, dds, Options{ReadOnly: true})
		if val, ok, err := ix.getRaw("after"); err != nil || !ok || string(val) != "x" {
			t.Fatalf("cut at %d: the append after the torn tail reads %q, %v, %v", cut, val, ok, err)
		}
		if _, ok, _ := ix.getRaw(fmt.Sprintf("k%d", max(whole-1, 0))); whole > 0 && !ok {
			t.Fatalf("cut at %d: the last whole record is lost after an append", cut)
		}
		closeIndex(t, ix)
	}
}

// A kill during the fold, or after it but before the journal's removal,
// leaves the journal and some or all of its keys in badger: readers still
// see the journal, and the next writable opening folds it again.
func TestJournalFoldInterrupted(t *testing.T) {
	for _, folded := range []int{0, 1, 2} {
		t.Run(fmt.Sprint(folded), func(t *testing.T) {
			dds := t.TempDir()
			closeIndex(t, openWith(t, dds, Options{}))
			ix := openWith(t, dds, Options{Journal: true})
			if err := ix.putRaw("a", []byte("1")); err != nil {
				t.Fatal(err)
			}
			if err := ix.putRaw("b", []byte("2")); err != nil {
				t.Fatal(err)
			}
			closeIndex(t, ix)

			// What a fold killed after folded of its keys leaves.
			dir := filepath.Join(dds, dirName)
			mark := valueLogMark(dir)
			db, err := openBadger(dir, false)
			if err != nil {
				t.Fatal(err)
			}
			j, ops, err := readJournal(dir, mark, foldingOf(db))
			if err != nil || len(ops) != 2 {
				t.Fatalf("readJournal = %d ops, %v", len(ops), err)
			}
			err = db.Update(func(txn *badger.Txn) error {
				if err := txn.Set([]byte(foldingKey), binary.LittleEndian.AppendUint64(nil, j.head.id)); err != nil {
					return err
				}
				for _, op := range ops[:folded] {
					if err := txn.Set([]byte(op.key), op.val); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}

			for _, opts := range []Options{{ReadOnly: true}, {Journal: true}, {}} {
				ix := openWith(t, dds, opts)
				for k, want := range map[string]string{"a": "1", "b": "2"} {
					if val, ok, err := ix.getRaw(k); err != nil || !ok || string(val) != want {
						t.Fatalf("%+v: %s = %q, %v, %v", opts, k, val, ok, err)
					}
				}
				closeIndex(t, ix)
			}
			if _, err := os.Stat(filepath.Join(dir, journalName)); !os.IsNotExist(err) {
				t.Fatalf("the journal is still there after a writable opening: %v", err)
			}
		})
	}
}

// A journal grown past journalFoldAt is folded by the Close of the session
// that grew it, so that no reader pays for reading it whole.
func TestJournalFoldedAtCloseWhenLarge(t *testing.T) {
	dds := t.TempDir()
	closeIndex(t, openWith(t, dds, Options{}))
	ix := openWith(t, dds, Options{Journal: true})
	val := make([]byte, 100<<10)
	for i := range journalFoldAt/len(val) + 1 {
		if err := ix.putRaw(fmt.Sprintf("big/%03d", i), val); err != nil {
			t.Fatal(err)
		}
	}
	closeIndex(t, ix)
	if _, err := os.Stat(filepath.Join(dds, dirName, journalName)); !os.IsNotExist(err) {
		t.Fatalf("the journal is still there: %v", err)
	}
	ix = openWith(t, dds, Options{ReadOnly: true})
	defer closeIndex(t, ix)
	n := 0
	if err := ix.scanRaw("big/", func(string, []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if want := journalFoldAt/len(val) + 1; n != want {
		t.Fatalf("%d keys, want %d", n, want)
	}
}

// A journal whose header is not one git dds writes is damage, which
// fsck --repair mends; a header cut short by a kill holds nothing.
func TestJournalHeader(t *testing.T) {
	for _, tt := range []struct {
		data    string
		damaged bool
	}{
		{"", false},
		{"ddsj", false},
		{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", false},
		{"something else entirely", true},
	} {
		dds := t.TempDir()
		closeIndex(t, openWith(t, dds, Options{}))
		if err := os.WriteFile(filepath.Join(dds, dirName, journalName), []byte(tt.data), 0o644); err != nil {
			t.Fatal(err)
		}
		ix, err := Open(context.Background(), dds, Options{ReadOnly: true, Wait: -1})
		if tt.damaged {
			if err == nil || !strings.Contains(err.Error(), "fsck --repair") {
				t.Errorf("%q: Open = %v, want the damage and its fix", tt.data, err)
			}
			if err == nil {
				closeIndex(t, ix)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.data, err)
			continue
		}
		closeIndex(t, ix)
	}
}

// An earlier git dds knows nothing of the journal: it opens badger for
// writing without folding it. Its writes must not be shadowed by the
// journal's older ones; the journal is stale from then on.
func TestJournalStaleAfterAnEarlierGitDds(t *testing.T) {
	dds := t.TempDir()
	closeIndex(t, openWith(t, dds, Options{}))
	ix := openWith(t, dds, Options{Journal: true})
	if err := ix.putRaw("a", []byte("from the journal")); err != nil {
		t.Fatal(err)
	}
	closeIndex(t, ix)

	// What an earlier git dds does: badger opened for writing, no fold.
	dir := filepath.Join(dds, dirName)
	db, err := openBadger(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	old := &Index{db: db}
	if err := old.Batch(func(b *Batch) error { return b.putRaw("a", []byte("written since")) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	for _, opts := range []Options{{ReadOnly: true}, {Journal: true}, {}} {
		ix := openWith(t, dds, opts)
		val, ok, err := ix.getRaw("a")
		closeIndex(t, ix)
		if err != nil || !ok || string(val) != "written since" {
			t.Fatalf("%+v: a reads %q, %v, %v; want what was written since the journal", opts, val, ok, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, journalName)); !os.IsNotExist(err) {
		t.Fatalf("the stale journal is still there after a writable opening: %v", err)
	}
}

func FuzzParseJournal(f *testing.F) {
	rec := encodeRecord([]journalOp{{key: "kv/a", jop: jop{val: []byte("1")}}, {key: "kv/b", jop: jop{del: true}}})
	head := journalHeader(journalHead{mark: 3, id: 42})
	f.Add(append(slices.Clone(head), append(rec, rec[:5]...)...))
	f.Add(head)
	f.Add([]byte("ddsj"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, ops, valid, err := parseJournal(data)
		if err != nil {
			return
		}
		if valid > len(data) || valid > 0 && valid < journalHeaderSize {
			t.Fatalf("valid %d of %d", valid, len(data))
		}
		h2, again, valid2, err := parseJournal(data[:valid])
		if err != nil || valid2 != valid || h2 != h || !slices.EqualFunc(ops, again, func(a, b journalOp) bool {
			return a.key == b.key && a.del == b.del && bytes.Equal(a.val, b.val)
		}) {
			t.Fatalf("the whole records parse differently alone: %v", err)
		}
		if valid > journalHeaderSize {
			// Re-encoding what was read gives records of the same ops.
			_, re, _, err := parseJournal(append(journalHeader(h), encodeRecord(ops)...))
			if err != nil || len(re) != len(ops) {
				t.Fatalf("re-encoded: %d ops, want %d (%v)", len(re), len(ops), err)
			}
		}
	})
}

// TestJournalHelper is the process TestJournalKilledAnywhere kills: it
// writes key n/<i> and cur=i in one batch per session, through the
// journal, with a writable session (which folds) every fifth, and prints
// i once the session is closed.
func TestJournalHelper(t *testing.T) {
	dir := os.Getenv("DDS_TEST_JOURNAL_DIR")
	if dir == "" {
		t.Skip("a helper process")
	}
	start, _ := strconv.Atoi(os.Getenv("DDS_TEST_JOURNAL_START"))
	for i := start; ; i++ {
		ix, err := Open(context.Background(), dir, Options{Journal: i%5 != 0})
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		err = ix.Batch(func(b *Batch) error {
			if err := b.putRaw(fmt.Sprintf("n/%06d", i), []byte(strconv.Itoa(i))); err != nil {
				return err
			}
			return b.putRaw("cur", []byte(strconv.Itoa(i)))
		})
		if err = errors.Join(err, ix.Close()); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println(i)
	}
}

// A kill -9 at any point of a session, in the journal's append or in a
// fold, loses nothing that was reported written, and leaves no batch half
// written: the keys n/<i> present are 0 to some k, and cur is k.
func TestJournalKilledAnywhere(t *testing.T) {
	dds := t.TempDir()
	closeIndex(t, openWith(t, dds, Options{}))
	rng := rand.New(rand.NewPCG(1, 2))
	next := 0
	for round := range 12 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestJournalHelper$")
		cmd.Env = append(os.Environ(), "DDS_TEST_JOURNAL_DIR="+dds, "DDS_TEST_JOURNAL_START="+strconv.Itoa(next))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		reported := next - 1
		for range 1 + rng.IntN(8) {
			if !lines.Scan() {
				break
			}
			if n, err := strconv.Atoi(lines.Text()); err == nil {
				reported = n
			} else {
				t.Fatalf("the helper: %s", lines.Text())
			}
		}
		time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
		_ = cmd.Process.Kill()
		for lines.Scan() {
			if n, err := strconv.Atoi(lines.Text()); err == nil {
				reported = n
			}
		}
		_ = cmd.Wait()

		ix := openWith(t, dds, Options{ReadOnly: true})
		var present []int
		err = ix.scanRaw("n/", func(key string, _ []byte) error {
			n, err := strconv.Atoi(strings.TrimPrefix(key, "n/"))
			present = append(present, n)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		cur, _, err := ix.getRaw("cur")
		closeIndex(t, ix)
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range present {
			if n != i {
				t.Fatalf("round %d: keys %v: a batch is missing", round, present)
			}
		}
		k := len(present) - 1
		if k < reported {
			t.Fatalf("round %d: %d was reported written, the index holds up to %d", round, reported, k)
		}
		if k >= 0 && string(cur) != strconv.Itoa(k) {
			t.Fatalf("round %d: cur is %q, the last batch %d: a batch is half written", round, cur, k)
		}
		next = k + 1
	}
	if next < 12 {
		t.Fatalf("only %d sessions in all", next)
	}
}
