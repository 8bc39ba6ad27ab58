//go:build unix

package gitref

import (
	"os"
	"syscall"
)

// ownedByUser reports whether path belongs to the user git dds runs as,
// as git's safe.directory check requires of a repository it reads with
// no configuration saying otherwise. Under sudo (root with SUDO_UID) git
// compares with SUDO_UID instead: that case is git's to decide.
func ownedByUser(path string) bool {
	info, err := os.Lstat(path)
	if err != nil {
		return false
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	euid := os.Geteuid()
	if _, sudo := os.LookupEnv("SUDO_UID"); sudo && euid == 0 {
		return false
	}
	return int(st.Uid) == euid
}
