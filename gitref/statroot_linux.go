package gitref

import (
	"io/fs"
	"time"

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

// Lstat is os.Lstat of the relative path rel.
func (r statRoot) Lstat(rel string) (fs.FileInfo, error) {
	var st unix.Stat_t
	for {
		err := unix.Fstatat(r.fd, rel, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "lstat", Path: rel, Err: err}
		}
		return &unixFileInfo{name: rel, st: st}, nil
	}
}

// unixFileInfo is a file's stat data as fs.FileInfo; Sys gives the
// *unix.Stat_t.
type unixFileInfo struct {
	name string
	st   unix.Stat_t
}

func (fi *unixFileInfo) Name() string       { _, name := splitPath(fi.name); return name }
func (fi *unixFileInfo) Size() int64        { return fi.st.Size }
func (fi *unixFileInfo) ModTime() time.Time { return time.Unix(fi.st.Mtim.Unix()) }
func (fi *unixFileInfo) IsDir() bool        { return fi.Mode().IsDir() }
func (fi *unixFileInfo) Sys() any           { return &fi.st }

// Mode converts the kernel's mode bits as os.Lstat does.
func (fi *unixFileInfo) Mode() fs.FileMode {
	mode := fs.FileMode(fi.st.Mode & 0o777)
	switch fi.st.Mode & unix.S_IFMT {
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
	if fi.st.Mode&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if fi.st.Mode&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if fi.st.Mode&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}
