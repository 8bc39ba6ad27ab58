package gitref

import (
	"io/fs"

	"golang.org/x/sys/unix"
)

// statRoot stats paths relative to the repository root, held open: the
// kernel then walks a path's two or three components rather than the
// root's dozen too, which is a quarter of a large status's stat time.
type statRoot struct{ fd int }

func openStatRoot(root string) (statRoot, error) {
	fd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return statRoot{fd: -1}, &fs.PathError{Op: "open", Path: root, Err: err}
	}
	return statRoot{fd: fd}, nil
}

func (r statRoot) Close() { unix.Close(r.fd) }

// lstat is os.Lstat of the relative path rel, reduced to what the overlay
// compares, without the allocation of an fs.FileInfo per file.
func (r statRoot) lstat(rel string) (diskStat, error) {
	var st unix.Stat_t
	for {
		err := unix.Fstatat(r.fd, rel, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return diskStat{}, &fs.PathError{Op: "lstat", Path: rel, Err: err}
		}
		return diskStat{
			mode: unixMode(st.Mode),
			stat: statData{
				mtimeSec: uint32(st.Mtim.Sec), mtimeNsec: uint32(st.Mtim.Nsec),
				ctimeSec: uint32(st.Ctim.Sec), ctimeNsec: uint32(st.Ctim.Nsec),
				inode: uint32(st.Ino),
				size:  uint32(st.Size),
			},
			hasStat: true,
		}, nil
	}
}

// unixMode converts the kernel's type and permission bits as os.Lstat
// does; the set-id and sticky bits do not matter to git.
func unixMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	}
	return mode
}
