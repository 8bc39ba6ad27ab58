package index

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// reserve allocates size bytes of blocks to f; where the filesystem cannot
// allocate, it compares the free space with size instead.
func reserve(f *os.File, size int64) error {
	err := unix.Fallocate(int(f.Fd()), 0, 0, size)
	if !errors.Is(err, unix.EOPNOTSUPP) && !errors.Is(err, unix.ENOSYS) {
		return err
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err != nil {
		return nil // nothing to measure with: badger will tell
	}
	if int64(st.Bavail)*int64(st.Bsize) < size {
		return syscall.ENOSPC
	}
	return nil
}

// allocate gives blocks to every hole of f, keeping its size.
func allocate(f *os.File) error {
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if info.Size() == 0 {
		// Nothing to give blocks to, and fallocate refuses a zero
		// length (EINVAL): a kill can leave a log badger had created but
		// not yet sized.
		return nil
	}
	err = unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_KEEP_SIZE, 0, info.Size())
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
		return nil
	}
	return err
}
