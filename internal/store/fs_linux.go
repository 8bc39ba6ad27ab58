package store

import (
	"fmt"
	"io"
	"os"

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

// renameNoReplace renames old to new unless new exists, in one step.
func renameNoReplace(old, new string) error {
	if err := unix.Renameat2(unix.AT_FDCWD, old, unix.AT_FDCWD, new, unix.RENAME_NOREPLACE); err != nil {
		return &os.LinkError{Op: "rename", Old: old, New: new, Err: err}
	}
	return nil
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

// createExclusive creates the file at path, which must not exist, for
// reading and writing. os.OpenFile costs four more syscalls per file
// (marking it non-blocking, a poller registration the kernel refuses for a
// regular file, and back), which a fetch of thousands of small objects
// pays for each; os.NewFile of a blocking descriptor asks only once.
func createExclusive(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}
