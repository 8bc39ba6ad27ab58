package index

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// ErrBusy reports that another process held the index for the whole wait.
var ErrBusy = errors.New("the index is busy")

const (
	defaultWait    = 60 * time.Second
	lockRetryDelay = 50 * time.Millisecond
)

// indexLock is our own exclusive lock on the index. Badger's lock fails at
// once when taken; this one waits for the holder, and names it.
type indexLock struct {
	file    *flock.Flock // nil on a store no one here can write
	pidPath string
	// wrotePID says whether the pid file is ours to remove.
	wrotePID bool
}

// acquireLock takes ddsDir/index.lock, waiting up to opts.Wait. The holder's
// pid sits in a sidecar file so that a waiter can name it; the lock itself
// dies with its process, so a pid left by a dead process blocks nobody.
func acquireLock(ctx context.Context, ddsDir string, opts Options) (*indexLock, error) {
	l := &indexLock{
		file:    flock.New(filepath.Join(ddsDir, "index.lock")),
		pidPath: filepath.Join(ddsDir, "index.lock.pid"),
	}
	ok, err := l.file.TryLock()
	if err != nil && opts.ReadOnly && IsNotWritable(err) {
		// A store no one here can write (a read-only mount) has no lock
		// file to share, and no writer on this side to wait for.
		return &indexLock{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("locking the index: %w", err)
	}
	if !ok {
		if err := l.wait(ctx, opts); err != nil {
			return nil, err
		}
	}
	// The pid only serves the message another process prints while it
	// waits, so failing to write it is no reason to fail.
	l.wrotePID = os.WriteFile(l.pidPath, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644) == nil
	return l, nil
}

func (l *indexLock) wait(ctx context.Context, opts Options) error {
	wait := opts.Wait
	if wait == 0 {
		wait = defaultWait
	}
	holder := "another git dds"
	if pid, ok := l.holderPID(); ok {
		holder = fmt.Sprintf("another git dds (pid %d)", pid)
	}
	if wait < 0 {
		return fmt.Errorf("%w: %s holds it; try again when it finishes", ErrBusy, holder)
	}
	if opts.Notify != nil {
		opts.Notify(fmt.Sprintf("waiting for %s to release the index...", holder))
	}
	waitCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	ok, err := l.file.TryLockContext(waitCtx, lockRetryDelay)
	switch {
	case ok:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("waiting for the index: %w", ctx.Err())
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %s has held it for %s s; try again when it finishes",
			ErrBusy, holder, strconv.FormatFloat(wait.Seconds(), 'f', -1, 64))
	}
	return fmt.Errorf("locking the index: %w", err)
}

func (l *indexLock) holderPID() (int, bool) {
	data, err := os.ReadFile(l.pidPath)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid, err == nil && pid > 0
}

// release drops the pid before the lock, so it never outlives its holder's
// turn and never erases the next holder's pid.
func (l *indexLock) release() error {
	if l.file == nil {
		return nil
	}
	if !l.wrotePID {
		return l.closeFile()
	}
	if err := os.Remove(l.pidPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return errors.Join(fmt.Errorf("unlocking the index: %w", err), l.file.Close())
	}
	return l.closeFile()
}

func (l *indexLock) closeFile() error {
	if err := l.file.Close(); err != nil {
		return fmt.Errorf("unlocking the index: %w", err)
	}
	return nil
}
