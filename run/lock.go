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

// recordedMark is what a lock file says once its holder recorded the
// signature: the next holder then reuses instead of executing.
const recordedMark = "recorded"

// signatureLock keeps two processes from executing the same computation.
// The kernel drops a flock with its holder, so a holder that died never
// leaves a lock behind.
type signatureLock struct {
	path string
	lock *flock.Flock
	// recordedByOther is set when a previous holder recorded the signature.
	recordedByOther bool
}

// lockSignature takes the per-signature lock. waiting is called once if
// another process holds it, with that process's pid.
func (w *Workspace) lockSignature(ctx context.Context, sig string, waiting func(pid int)) (*signatureLock, error) {
	dir := filepath.Join(w.Repo.DDSDir(), "locks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	l := &signatureLock{path: filepath.Join(dir, sig+".lock")}
	l.lock = flock.New(l.path)
	ok, err := l.lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", l.path, err)
	}
	if !ok {
		waiting(holderPid(l.path))
		if _, err := l.lock.TryLockContext(ctx, 100*time.Millisecond); err != nil {
			return nil, fmt.Errorf("waiting for the lock on signature %.12s: %w", sig, err)
		}
	}
	if b, err := os.ReadFile(l.path); err == nil && strings.HasPrefix(string(b), recordedMark) {
		l.recordedByOther = true
	}
	// The pid is informational only: it names the holder to whoever waits.
	// The mark stays: a holder that only reuses must pass it on, or the
	// next one would execute the signature again.
	l.write(l.recordedByOther)
	return l, nil
}

// markRecorded tells the next holder that the signature is in the index.
func (l *signatureLock) markRecorded() { l.write(true) }

func (l *signatureLock) write(recorded bool) {
	content := strconv.Itoa(os.Getpid()) + "\n"
	if recorded {
		content = recordedMark + " " + content
	}
	_ = os.WriteFile(l.path, []byte(content), 0o644)
}

func (l *signatureLock) unlock() {
	_ = l.lock.Unlock()
}

func holderPid(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return 0
	}
	pid, _ := strconv.Atoi(fields[len(fields)-1])
	return pid
}
