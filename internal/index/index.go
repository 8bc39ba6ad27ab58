// Package index keeps the badger index of computations under .git/dds:
// one record per signature, lineage rows per stage, and what other packages
// remember beside them (placed outputs, branch namespaces, the remote
// cache) through typed accessors, under key layouts only this package
// knows. One process holds it at a time (see Open).
package index

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/ristretto/v2/z"

	"github.com/git-dds/git-dds/internal/signature"
)

// dirName is the index's folder in the store's folder (ddsDir).
const dirName = "index"

// compactLevelZeroAt is the number of tables at level 0 from which closing
// a writable opening compacts them into the level below. Badger's
// compactors start at 5 (NumLevelZeroTables).
const compactLevelZeroAt = 4

// ErrCorruptIndex reports an index that cannot be read back.
var ErrCorruptIndex = errors.New("the index is damaged")

// Options tune Open.
type Options struct {
	// Wait bounds how long Open waits for another process to release the
	// index: 0 means 60 s, a negative value not to wait at all.
	Wait time.Duration
	// Notify, when set, is called once if Open has to wait, with a message
	// naming the holder, e.g. "waiting for another git dds (pid 1234) to
	// release the index...".
	Notify func(msg string)
	// ReadOnly opens the index for reading only: badger then creates no
	// memtable or value log, a fifth of the cost of a writable opening.
	// Writes fail. An index that does not exist yet reads as empty and is
	// not created; one that needs repair after a crash is opened writable.
	ReadOnly bool
	// Journal takes the writes of Batch in the index's journal (see
	// journal.go) rather than in badger opened for writing: one append
	// and one sync per batch, for a session that writes little (a hook's
	// notes and namespace). Badger opens read-only; the journal is
	// folded into it by the next writable opening, or by Close once it
	// has grown past journalFoldAt. An index that does not exist yet, or
	// whose journal is already that large, opens writable instead.
	Journal bool
}

// Index is the badger index of computations under .git/dds/index. One
// process holds it at a time: open it for one step of work, never across a
// stage's execution or a network transfer. Its methods, but Close, are
// safe for concurrent use.
type Index struct {
	db       *badger.DB
	lock     *indexLock
	closed   bool
	readOnly bool
	// ballast is the file holding the room Close needs, if any (see
	// holdRoom).
	ballast string
	// writes serializes Batch: with a single writer, badger has no
	// conflicts to detect and a read-then-write batch needs no retry.
	writes sync.Mutex
	// over is what the journal says of badger's keys, laid over them by
	// every read; empty once badger is open for writing, which folds the
	// journal in first.
	over atomic.Pointer[overlay]
	// journal, in a session opened with Options.Journal, takes the
	// writes of Batch; dir is the index's folder, for the fold at Close.
	journal *journal
	dir     string
}

// Key layout. Records and lineage rows come first; the raw keys of
// keys.go live under their own prefix so that they can never shadow them.
const (
	sigPrefix     = "sig/" // sig/<signature> → record
	lineagePrefix = "lin/" // lin/<stage>/<inverted time, 8 bytes>/<signature> → nothing
	rawPrefix     = "kv/"  // kv/<key> → the value of putRaw

	// rawValueMark opens every raw value. Badger answers a value it cannot
	// read back from its value log with no bytes and no error; the mark
	// makes that answer tell from a stored empty value.
	rawValueMark = 0x01
)

// Open opens the index in ddsDir/index, creating it if needed, after waiting
// for any other process that holds it (see Options).
func Open(ctx context.Context, ddsDir string, opts Options) (*Index, error) {
	if err := os.MkdirAll(ddsDir, 0o755); err != nil {
		if IsNotWritable(err) && !opts.ReadOnly {
			return nil, NotWritable(ddsDir, err)
		}
		return nil, fmt.Errorf("creating %s: %w", ddsDir, err)
	}
	lock, err := acquireLock(ctx, ddsDir, opts)
	if err != nil {
		if IsNotWritable(err) && !opts.ReadOnly {
			return nil, NotWritable(ddsDir, err)
		}
		return nil, err
	}
	dir := filepath.Join(ddsDir, dirName)
	var db *badger.DB
	var jnl *journal
	var over *overlay
	switch {
	case opts.Journal && !opts.ReadOnly && exists(filepath.Join(dir, badger.ManifestFilename)):
		// Anything wrong (a journal to fold, an index to repair) is the
		// writable opening's to deal with, below.
		mark := valueLogMark(dir)
		if db, err = openBadger(dir, true); err != nil {
			db = nil
			break
		}
		j, ops, jerr := readJournal(dir, mark, foldingOf(db))
		if jerr != nil || j.valid >= journalFoldAt {
			_ = db.Close()
			db = nil
			break
		}
		jnl, over = j, (*overlay)(nil).with(ops)
	case opts.ReadOnly && !exists(filepath.Join(dir, badger.ManifestFilename)):
		// Nothing recorded yet: a reader sees an empty index, and the first
		// writer creates the real one (creating it costs ~10 ms of fsyncs).
		if db, err = openEmpty(); err != nil {
			return nil, errors.Join(fmt.Errorf("opening an empty index: %w", err), lock.release())
		}
	case opts.ReadOnly:
		mark := valueLogMark(dir)
		if db, err = openBadger(dir, true); err != nil {
			break
		}
		// A reader sees what the journal holds.
		_, ops, jerr := readJournal(dir, mark, foldingOf(db))
		if jerr != nil {
			return nil, errors.Join(corrupt(dir, jerr), db.Close(), lock.release())
		}
		over = (*overlay)(nil).with(ops)
	}
	ballast := ""
	if db == nil {
		db, ballast, err = openWritable(dir)
	}
	if err != nil {
		return nil, errors.Join(err, lock.release())
	}
	ix := &Index{db: db, lock: lock, readOnly: opts.ReadOnly, ballast: ballast, journal: jnl, dir: dir}
	ix.over.Store(over)
	return ix, nil
}

// openWritable opens badger in dir for writing and folds the journal into
// it, so that a writable opening reads and writes badger alone. It gives
// the file holding the room Close needs.
func openWritable(dir string) (*badger.DB, string, error) {
	// The mark before this opening creates its value log.
	mark := valueLogMark(dir)
	db, err := openBadger(dir, false)
	if err != nil {
		return nil, "", err
	}
	if err := foldJournal(db, dir, mark); err != nil {
		return nil, "", errors.Join(err, db.Close())
	}
	return db, filepath.Join(dir, spaceCheckName), nil
}

// foldingKey holds the id of the journal the last fold wrote in, from its
// first transaction on (see readJournal).
const foldingKey = "meta/journal-folded"

// foldingOf reads foldingKey in db.
func foldingOf(db *badger.DB) func() (uint64, bool, error) {
	return func() (id uint64, ok bool, err error) {
		err = db.View(func(txn *badger.Txn) error {
			item, err := txn.Get([]byte(foldingKey))
			if errors.Is(err, badger.ErrKeyNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			return item.Value(func(val []byte) error {
				if len(val) == 8 {
					id, ok = binary.LittleEndian.Uint64(val), true
				}
				return nil
			})
		})
		return id, ok, err
	}
}

// foldJournal writes what the journal of dir holds into db, opened for
// writing over value logs up to mark, then removes it. Folding again what
// an interrupted fold left is harmless: every write of the journal sets or
// deletes a key outright, and nothing else was written since.
func foldJournal(db *badger.DB, dir string, mark uint32) error {
	j, ops, err := readJournal(dir, mark, foldingOf(db))
	if err != nil {
		return corrupt(dir, err)
	}
	if len(ops) > 0 {
		ops = append([]journalOp{{key: foldingKey, jop: jop{val: binary.LittleEndian.AppendUint64(nil, j.head.id)}}}, ops...)
	}
	// Far below the largest transaction of the memtable openBadger sets.
	const perTxn = 256 << 10
	for len(ops) > 0 {
		n, size := 0, 0
		for n < len(ops) && (n == 0 || size < perTxn) {
			size += len(ops[n].key) + len(ops[n].val) + 16
			n++
		}
		err := db.Update(func(txn *badger.Txn) error {
			for _, op := range ops[:n] {
				var err error
				if op.del {
					err = txn.Delete([]byte(op.key))
				} else {
					err = txn.Set([]byte(op.key), op.val)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return indexError("folding the index's journal in", err)
		}
		ops = ops[n:]
	}
	if err := j.remove(); err != nil {
		return fmt.Errorf("removing the index's journal, folded in: %w", err)
	}
	return nil
}

// openBadger opens badger sized for a command-line tool: git dds status
// opens the index on every call, and holds a few MiB of records, not GiB.
func openBadger(dir string, readOnly bool) (db *badger.DB, err error) {
	opt := badger.DefaultOptions(dir).
		WithLogger(nil).
		WithMetricsEnabled(false).
		// A CLI opens the index for every metadata operation, so a small
		// memtable (cheap to create and flush) matters more than write
		// throughput. 4 MiB keeps a transaction up to 600 KiB, so values up
		// to 512 KiB stay in the LSM tree, which compaction reclaims, rather
		// than the value log, which nothing here collects. A writable
		// opening decides when closing compacts level 0 (see below).
		WithMemTableSize(4 << 20).
		WithNumMemtables(2).
		WithValueThreshold(512 << 10).
		WithValueLogFileSize(16 << 20).
		WithNumVersionsToKeep(1).
		WithNumCompactors(2). // 0 would stall writes for good once level 0 fills up
		WithCompactL0OnClose(true).
		WithCompression(options.None).
		// A look-up of an absent signature, status's usual one, reads a
		// block of each table whose bloom filter fails to rule it out,
		// one table a level, and the kernel maps the pages around every
		// block read into the process: in an index of many records,
		// badger's default of 1 % false positives made those blocks a
		// large part of status's resident memory. Filters ten times
		// sharper cost about one more byte a key, in tables written
		// from now on.
		WithBloomFalsePositive(0.001).
		WithBlockCacheSize(0).
		WithIndexCacheSize(0).
		WithVerifyValueChecksum(true).
		WithDetectConflicts(false).
		WithSyncWrites(true).
		// index.lock already admits one process at a time. Badger's own
		// lock on the folder is released by closing its descriptor only,
		// and a child process forked by another goroutine keeps a copy of
		// that descriptor until it execs: the next open in this process
		// would fail as if another process held the index.
		WithBypassLockGuard(true).
		WithReadOnly(readOnly)
	hadTables, manifest, err := checkTables(dir, opt)
	if err != nil {
		return nil, corrupt(dir, err)
	}
	need := headroom(dir, opt)
	if !readOnly {
		if err := removeEmptyLogs(dir, hadTables); err != nil {
			return nil, fmt.Errorf("opening the index in %s: %w", dir, err)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("opening the index in %s: %w", dir, err)
		}
		if err := holdRoom(dir, need, openWrites(opt)); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return nil, noSpace(filepath.Dir(dir), dir, need, err)
			}
			if IsNotWritable(err) {
				return nil, NotWritable(filepath.Dir(dir), err)
			}
			return nil, fmt.Errorf("opening the index in %s for writing: %w", dir, err)
		}
		// Deferred before the recovery below, so that it sees the error
		// a recovered panic becomes.
		defer func() {
			if err != nil {
				_ = os.Remove(filepath.Join(dir, spaceCheckName))
			}
		}()
		if manifest != nil && manifest.deletions > rewriteDeletions {
			// Best effort: whatever happens, one whole MANIFEST lists
			// the same tables, and the next writable opening tries again.
			_ = rewriteManifest(dir, manifest, opt)
		}
		// Compacting level 0 into the level below rewrites the tables
		// its keys overlap, megabytes for a few notes: once every few
		// closings, rather than at every one, keeps level 0 short
		// (below badger's own trigger, so that no compaction starts
		// while the index is open) at a fraction of the writes.
		opt = opt.WithCompactL0OnClose(manifest == nil || manifest.levelZero()+1 >= compactLevelZeroAt)
	}
	// Badger asserts some of its invariants with panics; a damaged index
	// must end in an error telling the user how to repair it. A fault
	// reading or writing one of its maps (a full disk, an I/O error) is
	// made a panic too, rather than the end of the process.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			db, err = nil, corrupt(dir, fmt.Errorf("%v", p))
			if _, fault := p.(interface{ Addr() uintptr }); fault {
				err = faultError(dir, need, p)
			}
		}
	}()
	db, err = badger.Open(opt)
	if err != nil {
		if isEnvironmentError(err) {
			return nil, fmt.Errorf("opening the index in %s: %w", dir, err)
		}
		return nil, corrupt(dir, err)
	}
	if !readOnly {
		// Nothing is written yet, so closing writes nothing either.
		if err := allocateLogs(dir); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				err = noSpace(filepath.Dir(dir), dir, need, err)
			}
			return nil, errors.Join(err, db.Close())
		}
	}
	if err := checkFormat(db, dir, hadTables); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return db, nil
}

// openEmpty opens an empty index in memory, for reading.
func openEmpty() (*badger.DB, error) {
	return badger.Open(badger.DefaultOptions("").
		WithInMemory(true).
		WithLogger(nil).
		WithMetricsEnabled(false).
		WithMemTableSize(1 << 20).
		WithValueThreshold(64 << 10).
		WithCompression(options.None).
		WithNumCompactors(0).
		WithBlockCacheSize(0).
		WithIndexCacheSize(0))
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// checkTables opens each table file as badger will, but here, where a
// panic can be caught: badger opens them in goroutines of its own, where a
// truncated table panics and takes the whole process down. A table the
// MANIFEST does not list is left alone: a flush or a compaction killed
// midway leaves one, half written, and badger deletes it on open. It tells
// whether there were any tables, and what it read of the MANIFEST (nil
// when it cannot be read: badger.Open then says why).
func checkTables(dir string, opt badger.Options) (bool, *manifestState, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.sst"))
	if err != nil {
		return false, nil, err
	}
	m := listedTables(dir, opt)
	for _, path := range paths {
		if id, ok := table.ParseFileID(path); m != nil && ok && !m.listed(id) {
			continue
		}
		if err := checkTable(path); err != nil {
			return true, m, fmt.Errorf("table %s: %w", filepath.Base(path), err)
		}
	}
	return len(paths) > 0, m, nil
}

// listedTables reads the tables the MANIFEST lists; nil when it cannot be
// read.
func listedTables(dir string, opt badger.Options) *manifestState {
	f, err := os.Open(filepath.Join(dir, badger.ManifestFilename))
	if err != nil {
		return nil
	}
	defer f.Close()
	m, _, err := replay(f, opt)
	if err != nil {
		return nil
	}
	return &manifestState{tables: m.Tables, deletions: m.Deletions}
}

// removeEmptyLogs deletes the log files a kill left with no bytes at all.
// Badger creates a write-ahead log (.mem) or a value log (.vlog), then
// sizes it; and it deletes one by emptying it, then removing it. A kill in
// between leaves an empty file, holding nothing, not even its header,
// which badger would refuse to open ever after. But when every value log
// of an index that has tables is empty, they lost the values they held:
// that is damage, which badger reports.
func removeEmptyLogs(dir string, hadTables bool) error {
	var empty []string
	valueLogsLeft := 0
	for _, pattern := range []string{"*.mem", "*.vlog"} {
		paths, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return err
		}
		for _, p := range paths {
			info, err := os.Stat(p)
			switch {
			case err != nil:
			case info.Size() == 0:
				empty = append(empty, p)
			case pattern == "*.vlog":
				valueLogsLeft++
			}
		}
	}
	for _, p := range empty {
		if strings.HasSuffix(p, ".vlog") && hadTables && valueLogsLeft == 0 {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

func checkTable(path string) (err error) {
	file, err := z.OpenMmapFile(path, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			err = errors.Join(fmt.Errorf("%v", p), file.Close(-1))
		}
	}()
	t, err := table.OpenTable(file, table.Options{ReadOnly: true, Compression: options.None})
	if err != nil {
		return err
	}
	// Close, not DecrRef: dropping the last reference deletes the file.
	return t.Close(-1)
}

// formatKey holds the version of the index's layout. It is the first key
// ever written, so an index that had tables but has lost it has lost its
// tables: badger drops every table its MANIFEST does not list, silently.
//
// Format 2 stores records in signature's binary layout; format 1 stored
// JSON, which format 2 still reads. An index of format 1 is marked 2 by
// the first writable opening, so that an earlier git dds, which would take
// a binary record for damage, asks to be upgraded instead.
const (
	formatKey      = "meta/format"
	indexFormat    = "2"
	jsonFormat     = "1"
	readableFormat = indexFormat + " or " + jsonFormat
)

// readable reports whether this git dds reads an index of format.
func readable(format []byte) bool {
	return string(format) == indexFormat || string(format) == jsonFormat
}

func checkFormat(db *badger.DB, dir string, hadTables bool) error {
	if db.Opts().ReadOnly {
		// Only an index whose format is written opens read-only.
		return db.View(func(txn *badger.Txn) error {
			item, err := txn.Get([]byte(formatKey))
			if err != nil {
				return err
			}
			return item.Value(func(format []byte) error {
				if !readable(format) {
					return fmt.Errorf("index format %q", format)
				}
				return nil
			})
		})
	}
	upgrade := false
	err := db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(formatKey))
		switch {
		case errors.Is(err, badger.ErrKeyNotFound) && hadTables:
			return corrupt(dir, errors.New("its MANIFEST no longer lists its tables"))
		case errors.Is(err, badger.ErrKeyNotFound):
			return txn.Set([]byte(formatKey), []byte(indexFormat))
		case err != nil:
			return corrupt(dir, err)
		}
		format, err := item.ValueCopy(nil)
		if err != nil {
			return corrupt(dir, err)
		}
		if !readable(format) {
			return fmt.Errorf("the index in %s has format %q, which this git dds does not read (it reads %s): upgrade git dds", dir, format, readableFormat)
		}
		upgrade = string(format) == jsonFormat
		return nil
	})
	if err != nil || !upgrade {
		return err
	}
	if err := recodeRecords(db); err != nil {
		return corrupt(dir, err)
	}
	return db.Update(func(txn *badger.Txn) error { return txn.Set([]byte(formatKey), []byte(indexFormat)) })
}

// recodeRecords rewrites the JSON records of a format 1 index in the
// binary layout, a few hundred KiB per transaction: each transaction leaves
// every record readable, in one layout or the other, so an interruption
// only leaves the rest to the next writable opening.
func recodeRecords(db *badger.DB) error {
	// Far below the largest transaction of the memtable openBadger sets.
	const perTxn = 256 << 10
	start := []byte(sigPrefix)
	for {
		type recoded struct{ key, val []byte }
		var todo []recoded
		size := 0
		more := false
		err := db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(sigPrefix), PrefetchValues: true, PrefetchSize: 64})
			defer it.Close()
			for it.Seek(start); it.ValidForPrefix([]byte(sigPrefix)); it.Next() {
				if size >= perTxn {
					more = true
					start = it.Item().KeyCopy(nil)
					return nil
				}
				item := it.Item()
				err := item.Value(func(val []byte) error {
					if len(val) == 0 || val[0] != '{' {
						return nil
					}
					rec, err := signature.DecodeRecord(val)
					if err != nil {
						// Left as it is: fsck --repair deals with it.
						return nil
					}
					bin, err := signature.EncodeStoredRecord(rec)
					if err != nil {
						return err
					}
					todo = append(todo, recoded{item.KeyCopy(nil), bin})
					size += len(bin) + len(item.Key())
					return nil
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(todo) > 0 {
			err = db.Update(func(txn *badger.Txn) error {
				for _, r := range todo {
					if err := txn.Set(r.key, r.val); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

// isEnvironmentError tells the errors that a rebuild would not cure.
func isEnvironmentError(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.ENOSPC) ||
		errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.EMFILE) ||
		errors.Is(err, syscall.ENOMEM)
}

func corrupt(dir string, err error) error {
	return fmt.Errorf("%w: %s cannot be read (%w); run 'git dds fsck --repair' to rebuild it", ErrCorruptIndex, dir, err)
}

// Writable tells whether Batch may write: whether the index was opened
// without Options.ReadOnly.
func (ix *Index) Writable() bool { return !ix.readOnly }

// Close writes out the index and lets the next process in.
func (ix *Index) Close() error {
	if ix.closed {
		return nil
	}
	ix.closed = true
	if ix.ballast != "" {
		// The room it held is for what closing writes: the flush of the
		// memtable, and the compaction after it.
		_ = os.Remove(ix.ballast)
	}
	err := ix.db.Close()
	if err != nil {
		err = fmt.Errorf("closing the index: %w", err)
	}
	if err == nil && ix.journal != nil && ix.journal.valid >= journalFoldAt {
		// Every opening reads the whole journal: fold it in while the
		// index is still ours.
		// Best effort: the journal holds its writes durably whatever
		// happens, and the next opening for writing folds it.
		if db, ballast, ferr := openWritable(ix.dir); ferr == nil {
			_ = db.Close()
			_ = os.Remove(ballast)
		}
	}
	return errors.Join(err, ix.lock.release())
}

// Get gives the record of sig, if the index has one.
func (ix *Index) Get(sig string) (*signature.Record, bool, error) {
	var rec *signature.Record
	err := ix.view(func(r *reader) error {
		var err error
		rec, err = r.getRecord(sig)
		return err
	})
	if err != nil {
		return nil, false, indexError("reading the record of "+sig, err)
	}
	return rec, rec != nil, nil
}

// Put stores rec under its signature, replacing any record of it, with a
// lineage row for its stage.
func (ix *Index) Put(rec *signature.Record) error {
	return ix.Batch(func(b *Batch) error { return b.Put(rec) })
}

// Delete removes the record of sig and its lineage row; a missing record is
// no error.
func (ix *Index) Delete(sig string) error {
	return ix.Batch(func(b *Batch) error { return b.Delete(sig) })
}

// Lineage gives the records of stage, newest first, at most limit of them
// (all when limit <= 0). It reads the stage's lineage rows only.
func (ix *Index) Lineage(stage string, limit int) ([]*signature.Record, error) {
	var recs []*signature.Record
	errStop := errors.New("enough")
	err := ix.view(func(r *reader) error {
		prefix := lineagePrefix + stage + "/"
		err := r.scan(prefix, false, func(key []byte, _ valueFunc) error {
			if len(key) < len(prefix)+9 {
				return fmt.Errorf("lineage row %q is malformed", key)
			}
			rec, err := r.getRecord(string(key[len(prefix)+9:]))
			if err != nil {
				return err
			}
			// A row whose record is gone is left over from an interrupted
			// delete; it says nothing.
			if rec == nil {
				return nil
			}
			recs = append(recs, rec)
			if limit > 0 && len(recs) == limit {
				return errStop
			}
			return nil
		})
		if errors.Is(err, errStop) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, indexError("reading the lineage of stage "+stage, err)
	}
	return recs, nil
}

// Last gives the newest record of stage.
func (ix *Index) Last(stage string) (*signature.Record, bool, error) {
	recs, err := ix.Lineage(stage, 1)
	if err != nil || len(recs) == 0 {
		return nil, false, err
	}
	return recs[0], true, nil
}

// ForEach calls fn with every record, in signature order, stopping at the
// first error. fn may write to the index.
func (ix *Index) ForEach(fn func(*signature.Record) error) error {
	var fnErr error
	err := ix.view(func(r *reader) error {
		return r.scan(sigPrefix, true, func(key []byte, value valueFunc) error {
			var rec *signature.Record
			err := value(func(val []byte) error {
				var err error
				rec, err = decodeRecord(key, val)
				return err
			})
			if err != nil {
				return err
			}
			fnErr = fn(rec)
			return fnErr
		})
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return indexError("reading the records", err)
	}
	return nil
}

// getRaw gives the value stored at the raw key key (see keys.go).
func (ix *Index) getRaw(key string) ([]byte, bool, error) {
	var val []byte
	var found bool
	err := ix.view(func(r *reader) error {
		var err error
		val, found, err = r.raw(key)
		return err
	})
	if err != nil {
		return nil, false, indexError("reading "+key, err)
	}
	return val, found, nil
}

// putRaw stores val at key.
func (ix *Index) putRaw(key string, val []byte) error {
	return ix.Batch(func(b *Batch) error { return b.putRaw(key, val) })
}

// deleteRaw removes key; a missing key is no error.
func (ix *Index) deleteRaw(key string) error {
	return ix.Batch(func(b *Batch) error { return b.deleteRaw(key) })
}

// scanRaw calls fn with every raw key that starts with prefix, in key order,
// stopping at the first error.
func (ix *Index) scanRaw(prefix string, fn func(key string, val []byte) error) error {
	var fnErr error
	err := ix.view(func(r *reader) error {
		return r.scan(rawPrefix+prefix, true, func(key []byte, value valueFunc) error {
			var v []byte
			err := value(func(val []byte) error {
				var err error
				v, err = rawValue(key, slices.Clone(val))
				return err
			})
			if err != nil {
				return err
			}
			fnErr = fn(string(key[len(rawPrefix):]), v)
			return fnErr
		})
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return indexError("reading keys under "+prefix, err)
	}
	return nil
}

// view runs fn in a read transaction of badger, with the journal over it.
func (ix *Index) view(fn func(r *reader) error) error {
	over := ix.over.Load()
	return ix.db.View(func(txn *badger.Txn) error { return fn(&reader{txn: txn, over: over}) })
}

// reader reads badger's keys under what the journal says of them, and
// under the writes of the batch it belongs to, if any.
type reader struct {
	txn  *badger.Txn
	over *overlay
	// own holds the writes of a batch whose transaction is only read
	// (one that goes to the journal); nil otherwise.
	own map[string]jop
}

// get calls fn with the value of key, if there is one; fn must not keep
// the slice.
func (r *reader) get(key string, fn func(val []byte) error) (bool, error) {
	op, ok := r.own[key]
	if !ok {
		op, ok = r.over.get(key)
	}
	if ok {
		if op.del {
			return false, nil
		}
		return true, fn(op.val)
	}
	item, err := r.txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, item.Value(fn)
}

// valueFunc calls fn with a value, which fn must not keep.
type valueFunc func(fn func(val []byte) error) error

// scan calls fn with every key that starts with prefix, in key order, and
// a function giving its value (prefetched when values is true), stopping
// at the first error; fn must not keep key. Only a reader of whole
// sessions scans.
func (r *reader) scan(prefix string, values bool, fn func(key []byte, value valueFunc) error) error {
	over := r.over.withPrefix(prefix)
	opts := badger.IteratorOptions{Prefix: []byte(prefix)}
	if values {
		opts.PrefetchValues, opts.PrefetchSize = true, 64
	}
	it := r.txn.NewIterator(opts)
	defer it.Close()
	it.Seek([]byte(prefix))
	for {
		var fromBadger []byte
		if it.ValidForPrefix([]byte(prefix)) {
			fromBadger = it.Item().Key()
		}
		if fromBadger == nil && len(over) == 0 {
			return nil
		}
		// The journal's word on a key wins over badger's.
		if len(over) > 0 && (fromBadger == nil || over[0] <= string(fromBadger)) {
			key := over[0]
			over = over[1:]
			if fromBadger != nil && key == string(fromBadger) {
				it.Next()
			}
			op, _ := r.over.get(key)
			if op.del {
				continue
			}
			if err := fn([]byte(key), func(f func([]byte) error) error { return f(op.val) }); err != nil {
				return err
			}
			continue
		}
		item := it.Item()
		if err := fn(item.Key(), item.Value); err != nil {
			return err
		}
		it.Next()
	}
}

func (r *reader) getRecord(sig string) (*signature.Record, error) {
	key := sigPrefix + sig
	var rec *signature.Record
	_, err := r.get(key, func(val []byte) error {
		var err error
		rec, err = decodeRecord([]byte(key), val)
		return err
	})
	return rec, err
}

// raw gives a copy of the value at the raw key key.
func (r *reader) raw(key string) ([]byte, bool, error) {
	var val []byte
	found, err := r.get(rawPrefix+key, func(v []byte) error {
		var err error
		val, err = rawValue([]byte(rawPrefix+key), slices.Clone(v))
		return err
	})
	return val, found && err == nil, err
}

// Batch runs fn in one transaction: all its writes land, or none. A batch
// holds at most about 600 KiB of changes. fn must use b, not the Index; its
// own errors come back as they are.
func (ix *Index) Batch(fn func(b *Batch) error) error {
	if ix.readOnly {
		// Badger refuses writes to a read-only opening, but not to the
		// empty one in memory that stands for an index not created yet.
		return errors.New("writing the index: it was opened read-only")
	}
	ix.writes.Lock()
	defer ix.writes.Unlock()
	// A batch for the journal reads badger under the journal and its own
	// writes, and its writes are appended once fn is done.
	journaled, over := ix.journal != nil, ix.over.Load()
	run := ix.db.Update
	if journaled {
		run = ix.db.View
	}
	var b *Batch
	var fnErr error
	err := run(func(txn *badger.Txn) error {
		b = &Batch{txn: txn, r: &reader{txn: txn}}
		if journaled {
			b.txn, b.r.over, b.r.own = nil, over, map[string]jop{}
		}
		fnErr = fn(b)
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil || !journaled || len(b.ops) == 0 {
		return indexError("writing the index", err)
	}
	if err := ix.journal.append(b.ops); err != nil {
		switch {
		case errors.Is(err, syscall.ENOSPC):
			return noSpace(filepath.Dir(ix.dir), ix.dir, journalFoldAt, err)
		case IsNotWritable(err):
			// A store mounted read-only still lets its lock be taken.
			return NotWritable(filepath.Dir(ix.dir), err)
		}
		return fmt.Errorf("writing the index's journal %s: %w", ix.journal.path, err)
	}
	ix.over.Store(over.with(b.ops))
	return nil
}

// indexError adds context to an error met reading or writing the index,
// and the fix when it comes from damage.
func indexError(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, badger.ErrDBClosed):
		return fmt.Errorf("%s: the index is closed", what)
	case errors.Is(err, badger.ErrTxnTooBig):
		return fmt.Errorf("%s: %w: split the batch", what, err)
	case isEnvironmentError(err):
		return fmt.Errorf("%s: %w", what, err)
	case !errors.Is(err, ErrCorruptIndex):
		err = fmt.Errorf("%w: %w", ErrCorruptIndex, err)
	}
	return fmt.Errorf("%s: %w; run 'git dds fsck --repair' to rebuild it", what, err)
}

// Batch is the transaction of Index.Batch; it is valid only inside fn.
type Batch struct {
	txn *badger.Txn // nil when the writes go to the journal
	r   *reader
	ops []journalOp // the writes for the journal
}

func (b *Batch) set(key, val []byte) error { return b.write(key, jop{val: val}) }

func (b *Batch) del(key []byte) error { return b.write(key, jop{del: true}) }

// write sets or deletes key, in badger's transaction or for the journal.
func (b *Batch) write(key []byte, op jop) error {
	switch {
	case b.txn == nil:
		b.ops = append(b.ops, journalOp{key: string(key), jop: op})
		b.r.own[string(key)] = op
		return nil
	case op.del:
		return b.txn.Delete(key)
	default:
		return b.txn.Set(key, op.val)
	}
}

// Put stores rec as Index.Put does.
func (b *Batch) Put(rec *signature.Record) error {
	if err := checkRecordKeys(rec); err != nil {
		return err
	}
	// No record that names a path outside the repository or an
	// ill-formed object enters the index, whoever computed it.
	if err := signature.CheckRecord(rec); err != nil {
		return fmt.Errorf("the record of %s cannot be stored: %w", rec.Signature, err)
	}
	val, err := signature.EncodeStoredRecord(rec)
	if err != nil {
		return err
	}
	return indexError("writing the record of "+rec.Signature, b.put(rec, val))
}

func (b *Batch) put(rec *signature.Record, val []byte) error {
	old, err := b.r.getRecord(rec.Signature)
	if err != nil {
		return err
	}
	if old != nil {
		if err := b.del(lineageKey(old)); err != nil {
			return err
		}
	}
	if err := b.set([]byte(sigPrefix+rec.Signature), val); err != nil {
		return err
	}
	return b.set(lineageKey(rec), nil)
}

// Delete removes a record as Index.Delete does.
func (b *Batch) Delete(sig string) error {
	return indexError("deleting the record of "+sig, b.delete(sig))
}

func (b *Batch) delete(sig string) error {
	rec, err := b.r.getRecord(sig)
	if err != nil && !errors.Is(err, ErrCorruptIndex) {
		return err
	}
	// A record too damaged to decode still goes; its lineage row, if
	// any, is skipped by Lineage from then on.
	if rec != nil {
		if err := b.del(lineageKey(rec)); err != nil {
			return err
		}
	}
	return b.del([]byte(sigPrefix + sig))
}

// getRaw reads key inside the transaction, seeing its own writes.
func (b *Batch) getRaw(key string) ([]byte, bool, error) {
	val, ok, err := b.r.raw(key)
	return val, ok, indexError("reading "+key, err)
}

// putRaw stores val at key.
func (b *Batch) putRaw(key string, val []byte) error {
	if key == "" {
		return errors.New("a raw index key cannot be empty")
	}
	return indexError("writing "+key, b.set([]byte(rawPrefix+key), append([]byte{rawValueMark}, val...)))
}

// deleteRaw removes key.
func (b *Batch) deleteRaw(key string) error {
	return indexError("deleting "+key, b.del([]byte(rawPrefix+key)))
}

func checkRecordKeys(rec *signature.Record) error {
	if len(rec.Signature) != 64 || strings.Trim(rec.Signature, "0123456789abcdef") != "" {
		return fmt.Errorf("record signature %q is not 64 lowercase hex digits", rec.Signature)
	}
	if rec.Stage == "" || strings.Contains(rec.Stage, "/") {
		return fmt.Errorf("record %s: stage name %q is empty or has a '/'", rec.Signature, rec.Stage)
	}
	return nil
}

// lineageKey sorts a stage's rows newest first: the time is stored
// inverted, big-endian, so that a forward prefix scan meets the newest row
// first.
func lineageKey(rec *signature.Record) []byte {
	key := []byte(lineagePrefix + rec.Stage + "/")
	key = binary.BigEndian.AppendUint64(key, math.MaxUint64-unixNanos(rec.Time))
	key = append(key, '/')
	return append(key, rec.Signature...)
}

// unixNanos clamps t to the range of int64 nanoseconds after 1970.
func unixNanos(t time.Time) uint64 {
	switch {
	case t.Before(time.Unix(0, 0)):
		return 0
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return uint64(t.UnixNano())
}

// decodeRecord decodes the record stored at key.
func decodeRecord(key, val []byte) (*signature.Record, error) {
	rec, err := signature.DecodeStoredRecord(val)
	if err != nil {
		return nil, fmt.Errorf("%w: record %q: %w", ErrCorruptIndex, key, err)
	}
	return rec, nil
}

// rawValue gives a raw value, without its mark; v must be a copy.
func rawValue(key, v []byte) ([]byte, error) {
	if len(v) == 0 || v[0] != rawValueMark {
		return nil, fmt.Errorf("%w: the value of %q cannot be read back", ErrCorruptIndex, key[len(rawPrefix):])
	}
	return v[1:], nil
}
