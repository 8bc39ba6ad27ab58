//go:build unix

package store

import (
	"io/fs"
	"syscall"
)

// linkCount returns how many names the file has.
func linkCount(info fs.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}
