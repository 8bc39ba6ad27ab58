package gitref

import (
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// fileStatData returns the stat fields git records in the index.
func fileStatData(info fs.FileInfo) (statData, bool) {
	switch st := info.Sys().(type) {
	case *unix.Stat_t: // statRoot's
		return statData{
			mtimeSec: uint32(st.Mtim.Sec), mtimeNsec: uint32(st.Mtim.Nsec),
			ctimeSec: uint32(st.Ctim.Sec), ctimeNsec: uint32(st.Ctim.Nsec),
			inode: uint32(st.Ino),
			size:  uint32(st.Size),
		}, true
	case *syscall.Stat_t: // os.Lstat's
		return statData{
			mtimeSec: uint32(st.Mtim.Sec), mtimeNsec: uint32(st.Mtim.Nsec),
			ctimeSec: uint32(st.Ctim.Sec), ctimeNsec: uint32(st.Ctim.Nsec),
			inode: uint32(st.Ino),
			size:  uint32(st.Size),
		}, true
	}
	return statData{}, false
}
