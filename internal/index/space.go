package index

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/dgraph-io/badger/v4"
)

// Badger writes its logs and tables through memory maps of files it only
// sizes with truncate, which reserves no block. On a full disk a write to
// such a map does not fail: the kernel kills the process with SIGBUS. So a
// writable opening first allocates the room badger may write, in one file:
// it gives back what opening writes before badger opens, and keeps the
// rest, what closing writes (the flush of the memtable, the compaction
// after it), until Close. Once open, it allocates the blocks of the
// write-ahead log badger maps. A disk filling up meanwhile (a stage
// writing a large output) then makes no write of the session fault.

// spaceCheckName is the file that holds the room; one name, so that a kill
// leaves at most one such file, which the next opening reuses.
const spaceCheckName = "space.check"

// headroom is the room a writable opening of the index in dir may write:
// a write-ahead log, mapped at twice the memtable size; the table a flush
// makes of it; the discard file and log headers; and the existing tables,
// which the compaction on close may rewrite.
func headroom(dir string, opt badger.Options) int64 {
	need := 3*opt.MemTableSize + 2<<20
	tables, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
	for _, path := range tables {
		if info, err := os.Stat(path); err == nil {
			need += info.Size()
		}
	}
	return need
}

// openWrites is the part of the headroom that opening writes: the
// write-ahead log's map, the discard file and the log headers.
func openWrites(opt badger.Options) int64 {
	return 2*opt.MemTableSize + 2<<20
}

// holdRoom fails with ENOSPC when the disk holding dir has less than need
// bytes free for it; otherwise it keeps need-release of them allocated in
// dir's spaceCheckName.
func holdRoom(dir string, need, release int64) error {
	path := filepath.Join(dir, spaceCheckName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	err = reserve(f, need)
	if err == nil {
		err = f.Truncate(need - release)
	}
	if err = errors.Join(err, f.Close()); err != nil {
		_ = os.Remove(path)
	}
	return err
}

// checkSpace fails with ENOSPC when the disk holding dir has less than
// need bytes free for it.
func checkSpace(dir string, need int64) error {
	path := filepath.Join(dir, spaceCheckName+".fault")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	err = reserve(f, need)
	return errors.Join(err, f.Close(), os.Remove(path))
}

// allocateLogs gives blocks to the holes of the write-ahead logs in dir
// (badger maps them whole, and writes into them as records come).
func allocateLogs(dir string) error {
	paths, err := filepath.Glob(filepath.Join(dir, "*.mem"))
	if err != nil {
		return err
	}
	for _, path := range paths {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if errors.Is(err, fs.ErrNotExist) {
			// A log of the previous process, which badger replayed into a
			// memtable and has flushed and deleted since: no room to hold.
			continue
		}
		if err != nil {
			return err
		}
		err = allocate(f)
		if err := errors.Join(err, f.Close()); err != nil {
			return fmt.Errorf("allocating the blocks of %s: %w", path, err)
		}
	}
	return nil
}

// noSpace is the error of an index that has no room to open for writing.
func noSpace(ddsDir, dir string, need int64, err error) error {
	if !errors.Is(err, syscall.ENOSPC) {
		err = fmt.Errorf("%w (%w)", syscall.ENOSPC, err)
	}
	return fmt.Errorf("opening the index in %s for writing: %w: it needs about %d MiB free; free space on the disk holding %s (or point git config dds.dir at a larger one) and run the command again",
		dir, err, (need+1<<20-1)>>20, ddsDir)
}

// faultError is the error of a read or write of one of badger's maps that
// faulted: on a disk without the room badger needs, the disk is full;
// otherwise the disk failed.
func faultError(dir string, need int64, p any) error {
	if err := checkSpace(dir, need); errors.Is(err, syscall.ENOSPC) {
		return noSpace(filepath.Dir(dir), dir, need, err)
	}
	return fmt.Errorf("opening the index in %s: a read or write of its files failed (%v): %w; check the disk holding it", dir, p, syscall.EIO)
}
