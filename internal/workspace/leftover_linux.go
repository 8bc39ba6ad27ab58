package workspace

import (
	"bytes"
	"os"
	"strconv"
)

// marked lists the processes, other than this one, whose environment
// holds mark: every process a stage's command started inherits it, even
// one that left the command's process group or session (setsid), unless
// it cleared its environment.
func marked(mark string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	needle := append([]byte(mark), 0)
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue // gone, or another user's: not ours
		}
		if bytes.HasPrefix(env, needle) || bytes.Contains(env, append([]byte{0}, needle...)) {
			pids = append(pids, pid)
		}
	}
	return pids
}
