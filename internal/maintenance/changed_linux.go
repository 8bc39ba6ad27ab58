package maintenance

import (
	"io/fs"
	"syscall"
	"time"
)

// changedAt is the last time the file's content or inode changed. The
// inode change time moves on rename, link and chmod too, so an object an
// ingest has just renamed or linked into the store always looks new, even
// when the output it came from was written long ago.
func changedAt(fi fs.FileInfo) time.Time {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fi.ModTime()
	}
	ctime := time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
	if ctime.After(fi.ModTime()) {
		return ctime
	}
	return fi.ModTime()
}
