package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/git-dds/git-dds/internal/blake3"
	"golang.org/x/sys/unix"
)

// cloneFile makes dst share src's blocks (a reflink), on filesystems that
// can (btrfs, XFS, bcachefs...); elsewhere it fails at once and the caller
// copies.
func cloneFile(dst, src *os.File) error {
	return unix.IoctlFileClone(int(dst.Fd()), int(src.Fd()))
}

// exchange swaps the entries at a and b in one atomic step.
func exchange(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}

// startWriteback asks the kernel to begin writing f's dirty pages to disk
// without waiting, so a later fsync finds less to do.
func startWriteback(f *os.File) {
	_ = unix.SyncFileRange(int(f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
}

// startWritebackAt is startWriteback for the regular file at path, if it is
// one; anything else is left alone, unopened when it is a symlink and
// without waiting when it is a FIFO.
func startWritebackAt(path string) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG {
		_ = unix.SyncFileRange(fd, 0, 0, unix.SYNC_FILE_RANGE_WRITE)
	}
}

// writebackStep is how much is written before its flush is started.
const writebackStep = 8 << 20

// writebackWriter writes to a file and starts flushing each written stretch
// as it goes, so the disk works while the data is still being produced and
// the final fsync of a large object is short.
type writebackWriter struct {
	f                *os.File
	written, flushed int64
}

func newWritebackWriter(f *os.File) io.Writer { return &writebackWriter{f: f} }

func (w *writebackWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.written += int64(n)
	if w.written-w.flushed >= writebackStep {
		_ = unix.SyncFileRange(int(w.f.Fd()), w.flushed, w.written-w.flushed, unix.SYNC_FILE_RANGE_WRITE)
		w.flushed = w.written
	}
	return n, err
}

// syncFS flushes to disk everything written to the file system that holds
// path, and reports a write-back error on it since the last report
// (syncfs(2); Linux 5.8 and later report them).
func syncFS(path string) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("flush the file system of %s to disk: %w", path, err)
	}
	defer unix.Close(fd)
	if err := unix.Syncfs(fd); err != nil {
		return fmt.Errorf("flush the file system of %s to disk: %w", path, err)
	}
	return nil
}

// copyHashFile copies src, from its current offset to its end, into dst
// inside the kernel (copy_file_range: the bytes never pass through this
// process, and a filesystem that shares blocks shares them), and hashes
// what dst then holds, mapped from the page cache, one step behind the
// copy on another goroutine. The id names dst's bytes, not src's, which
// the command that wrote them may still touch. With writeback, each copied
// stretch starts its flush to disk at once. It fails with
// errors.ErrUnsupported, having written nothing, where the kernel cannot
// copy between the two files; the caller then copies through the process.
func copyHashFile(ctx context.Context, dst, src *os.File, writeback bool) (string, int64, error) {
	copied := make(chan int64, 4)
	hashed := make(chan hashResult, 1)
	go func() { hashed <- hashMapped(dst, copied) }()

	var off, flushed int64
	var err error
	for {
		if err = ctx.Err(); err != nil {
			break
		}
		var n int
		n, err = unix.CopyFileRange(int(src.Fd()), nil, int(dst.Fd()), nil, copyStep, 0)
		if err != nil {
			if off == 0 && copyUnsupported(err) {
				err = errors.ErrUnsupported
			}
			break
		}
		if n == 0 {
			break
		}
		off += int64(n)
		if writeback && off-flushed >= writebackStep {
			_ = unix.SyncFileRange(int(dst.Fd()), flushed, off-flushed, unix.SYNC_FILE_RANGE_WRITE)
			flushed = off
		}
		copied <- off
	}
	close(copied)
	r := <-hashed
	if err != nil {
		return "", off, err
	}
	if r.err != nil {
		return "", off, r.err
	}
	return hex.EncodeToString(r.sum[:]), off, nil
}

// copyUnsupported tells the errors with which copy_file_range refuses a
// pair of files (other filesystems, no support) from a failed copy.
func copyUnsupported(err error) bool {
	return errors.Is(err, unix.EXDEV) || errors.Is(err, unix.EINVAL) ||
		errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) ||
		errors.Is(err, unix.EBADF) || errors.Is(err, unix.EPERM)
}

type hashResult struct {
	sum [32]byte
	err error
}

// hashMapped hashes f from its start up to each offset received on copied,
// as each arrives, reading the bytes through a mapping of the file rather
// than copying them into a buffer. It drains copied whatever happens, so
// the copier never waits on it.
func hashMapped(f *os.File, copied <-chan int64) (r hashResult) {
	h := blake3.New()
	var done int64
	page := int64(os.Getpagesize())
	for upTo := range copied {
		if r.err != nil {
			continue
		}
		start := done &^ (page - 1)
		r.err = hashRange(h, int(f.Fd()), start, done-start, upTo-start)
		done = upTo
	}
	if r.err == nil {
		copy(r.sum[:], h.Sum(nil))
	}
	return r
}

// hashRange maps length bytes of fd from off (a multiple of the page size)
// and hashes them from skip on. A file cut short under the mapping faults
// on access; that fault comes back as an error, not a crash.
func hashRange(h *blake3.Hasher, fd int, off, skip, length int64) (err error) {
	m, err := unix.Mmap(fd, off, int(length), unix.PROT_READ, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fmt.Errorf("map %d bytes at %d to hash them: %w", length, off, err)
	}
	defer func() { _ = unix.Munmap(m) }()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the object being stored was cut short while it was hashed: %v", p)
		}
	}()
	_, _ = h.Write(m[skip:]) // never fails
	return nil
}
