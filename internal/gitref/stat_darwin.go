package gitref

import (
	"io/fs"
	"syscall"
)

// fileStatData returns the stat fields git records in the index.
func fileStatData(info fs.FileInfo) (statData, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return statData{}, false
	}
	return statData{
		mtimeSec: uint32(st.Mtimespec.Sec), mtimeNsec: uint32(st.Mtimespec.Nsec),
		ctimeSec: uint32(st.Ctimespec.Sec), ctimeNsec: uint32(st.Ctimespec.Nsec),
		inode: uint32(st.Ino),
		size:  uint32(st.Size),
	}, true
}
