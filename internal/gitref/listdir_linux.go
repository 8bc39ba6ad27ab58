package gitref

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"

	"golang.org/x/sys/unix"
)

// listDir lists a folder in the order the file system gives, reading the
// kernel's records (getdents64) into one buffer on the stack and keeping
// the names in one slice: os.File.ReadDir allocates an entry and a name
// for each of them, and the untracked walk reads every dep folder, whose
// names are mostly tracked files it drops at once. The names go into into,
// emptied, whose room is reused.
func listDir(dir string, into dirListing) (dirListing, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return into, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	var (
		buf [8192]byte
		l   = into.reset()
	)
	for {
		n, err := unix.Getdents(fd, buf[:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return l, &fs.PathError{Op: "readdirent", Path: dir, Err: err}
		}
		if n <= 0 {
			return l, nil
		}
		// A record: inode (8 bytes), offset (8), its length (2), the
		// type (1), the name ended by a NUL and padding.
		for off := 0; off < n; {
			if off+19 > n {
				return l, fmt.Errorf("listing %s: a record cut short", dir)
			}
			reclen := int(binary.NativeEndian.Uint16(buf[off+16:]))
			if reclen < 19 || off+reclen > n {
				return l, fmt.Errorf("listing %s: a record of %d bytes", dir, reclen)
			}
			typ := buf[off+18]
			name := buf[off+19 : off+reclen]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			off += reclen
			if len(name) == 0 || string(name) == "." || string(name) == ".." {
				continue
			}
			isDir := typ == unix.DT_DIR
			if typ == unix.DT_UNKNOWN {
				// Some file systems do not say: ask, as os.ReadDir does.
				var st unix.Stat_t
				if err := unix.Fstatat(fd, string(name), &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
					continue // gone since
				}
				isDir = st.Mode&unix.S_IFMT == unix.S_IFDIR
			}
			l.add(name, isDir)
		}
	}
}
