package run

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// lockSignature takes the per-signature lock that keeps two processes from
// executing the same computation. The kernel drops a flock with its holder,
// so a holder that died never leaves a lock behind. waiting is called once
// if another process holds it, with that process's pid.
func (w *Workspace) lockSignature(ctx context.Context, sig string, waiting func(pid int)) (unlock func(), err error) {
	dir := filepath.Join(w.Repo.DDSDir(), "locks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	path := filepath.Join(dir, sig+".lock")
	lock := flock.New(path)
	ok, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if !ok {
		waiting(readPid(path))
		if _, err := lock.TryLockContext(ctx, 100*time.Millisecond); err != nil {
			return nil, fmt.Errorf("waiting for the lock on signature %.12s: %w", sig, err)
		}
	}
	// The pid is informational only: it names the holder to whoever waits.
	_ = os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	return func() {
		_ = lock.Unlock()
	}, nil
}

func readPid(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}
