package workspace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/git-dds/git-dds/internal/ui"
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
	dir := filepath.Join(w.Dir, "locks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	l := &signatureLock{path: filepath.Join(dir, sig+".lock")}
	told := false
	for {
		// The locks folder may be in a store the team shares (dds.dir):
		// a lock file there planted as a symbolic link is not followed,
		// neither to lock nor to write.
		l.lock = flock.New(l.path, flock.SetFlag(os.O_CREATE|os.O_RDONLY|noFollow))
		ok, err := l.lock.TryLock()
		if err != nil {
			return nil, fmt.Errorf("locking %s: %w", l.path, err)
		}
		if !ok {
			if !told {
				waiting(holderPid(l.path))
				told = true
			}
			if _, err := l.lock.TryLockContext(ctx, 100*time.Millisecond); err != nil {
				return nil, fmt.Errorf("waiting for the lock on signature %s: %w", ui.ShortID(sig), err)
			}
		}
		// git dds gc removes idle lock files: one removed while this
		// process waited on it locks nothing anyone else can see.
		if l.stillNamed() {
			break
		}
		_ = l.lock.Close()
	}
	if b, err := readLockFile(l.path); err == nil && strings.HasPrefix(string(b), recordedMark) {
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
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_TRUNC|noFollow, 0)
	if err != nil {
		return
	}
	_, _ = f.WriteString(content)
	_ = f.Close()
}

func (l *signatureLock) unlock() {
	_ = l.lock.Unlock()
}

// readLockFile reads the first bytes of a lock file, all it ever holds,
// without following a symbolic link.
func readLockFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 64))
}

func holderPid(path string) int {
	b, err := readLockFile(path)
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

// stillNamed reports whether the locked file is the one the lock's path
// names.
func (l *signatureLock) stillNamed() bool {
	held, err := l.lock.Stat()
	if err != nil {
		return false
	}
	named, err := os.Stat(l.path)
	return err == nil && os.SameFile(held, named)
}

// RemoveIdleLocks deletes the per-signature lock files nobody holds and
// nobody wrote for idle: one is left for every signature ever executed. A
// file is deleted while locked, and a process that locked it meanwhile
// sees it gone and locks a fresh one.
func (w *Workspace) RemoveIdleLocks(idle time.Duration) (int, error) {
	dir := filepath.Join(w.Dir, "locks")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", dir, err)
	}
	removed := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".lock") {
			continue
		}
		info, err := e.Info()
		if err != nil || time.Since(info.ModTime()) < idle {
			continue
		}
		path := filepath.Join(dir, e.Name())
		fl := flock.New(path)
		if ok, err := fl.TryLock(); err != nil || !ok {
			continue
		}
		if os.Remove(path) == nil {
			removed++
		}
		_ = fl.Close()
	}
	return removed, nil
}

// SignatureBusy reports whether another process holds the lock of sig:
// a run computing it now, whose attempt in the lake must not be taken
// for an orphan.
func (w *Workspace) SignatureBusy(sig string) bool {
	path := filepath.Join(w.Dir, "locks", sig+".lock")
	if _, err := os.Lstat(path); err != nil {
		return false
	}
	fl := flock.New(path, flock.SetFlag(os.O_RDONLY|noFollow))
	ok, err := fl.TryLock()
	if err != nil {
		return false
	}
	if ok {
		_ = fl.Close()
		return false
	}
	return true
}
