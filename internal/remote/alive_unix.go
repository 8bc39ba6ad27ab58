//go:build unix

package remote

import (
	"errors"
	"syscall"
)

// processGone reports whether no process has pid on this machine. A pid
// that exists, or cannot be probed, counts as alive.
func processGone(pid int) bool {
	if pid <= 0 {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
