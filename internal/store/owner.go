package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
)

// A process writes its temporary files (objects being stored, outputs
// being built beside their place) under a name that says whose they are:
// its own folder tmp/proc-N in the store, which it holds an flock on for
// as long as it lives. An flock dies with its process, however it ends, so
// the next command tells a dead owner's files from a live one's at once,
// without waiting for them to age.

const (
	ownerPrefix   = "proc-"
	ownerLockName = "owner.lock"
	// ownerSetupGrace spares a folder whose owner has not locked it yet.
	ownerSetupGrace = time.Minute
)

// owner is this process's temporary folder in the store, made on first use.
type owner struct {
	mu   sync.Mutex
	dir  string
	lock *flock.Flock
}

// tempDir gives this process's temporary folder, making and locking it
// the first time.
func (s *Store) tempDir() (string, error) {
	s.own.mu.Lock()
	defer s.own.mu.Unlock()
	if s.own.dir != "" {
		return s.own.dir, nil
	}
	if err := os.MkdirAll(s.tmp, 0o755); err != nil {
		return "", err
	}
	var err error
	// A command reclaiming dead owners may take a folder not yet locked;
	// a second one is then made.
	for range 3 {
		var dir string
		if dir, err = os.MkdirTemp(s.tmp, ownerPrefix); err != nil {
			return "", err
		}
		lockPath := filepath.Join(dir, ownerLockName)
		lock := flock.New(lockPath)
		var ok bool
		if ok, err = lock.TryLock(); ok {
			// Between the lock file's creation and its lock, another
			// command may have taken the folder for a dead one.
			if _, err = os.Stat(lockPath); err == nil {
				s.own.dir, s.own.lock = dir, lock
				return dir, nil
			}
			_ = lock.Close()
			continue
		}
		if err == nil {
			err = fmt.Errorf("%s is locked by another process", dir)
		}
	}
	return "", err
}

// ownerTag is what a working-tree temporary name carries of its owner, or
// "" before this process has a temporary folder.
func (s *Store) ownerTag() string {
	dir, err := s.tempDir()
	if err != nil {
		return ""
	}
	return filepath.Base(dir)
}

// ownerDead reports whether the temporary folder dir belongs to a process
// that ended: nobody holds its lock. The caller must not hold it either.
func ownerDead(dir string) bool {
	lockPath := filepath.Join(dir, ownerLockName)
	info, err := os.Stat(lockPath)
	if err != nil {
		// Not locked yet, or never: dead once old enough.
		d, err := os.Stat(dir)
		return err == nil && time.Since(d.ModTime()) > ownerSetupGrace
	}
	if !info.Mode().IsRegular() {
		return false
	}
	lock := flock.New(lockPath)
	ok, err := lock.TryLock()
	if err != nil || !ok {
		return false
	}
	_ = lock.Close()
	return true
}

// RemoveDeadTemps removes the temporary folders of processes that ended
// (killed while storing an output, say), whatever their age, and gives how
// many files went.
func (s *Store) RemoveDeadTemps() (removed int, err error) {
	entries, err := os.ReadDir(s.tmp)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("clean store temporary files: %w", err)
	}
	s.own.mu.Lock()
	mine := s.own.dir
	s.own.mu.Unlock()
	for _, e := range entries {
		dir := filepath.Join(s.tmp, e.Name())
		if !e.IsDir() || !strings.HasPrefix(e.Name(), ownerPrefix) || dir == mine || !ownerDead(dir) {
			continue
		}
		files, _ := os.ReadDir(dir)
		if err := os.RemoveAll(dir); err != nil {
			return removed, fmt.Errorf("clean store temporary files: %w", err)
		}
		for _, f := range files {
			if f.Name() != ownerLockName {
				removed++
			}
		}
	}
	return removed, nil
}

// WorkTreeTempDead reports whether the working-tree temporary file at path
// (a name matching WorkTreeTempGlob) belongs to a process that ended. A
// name that does not say its owner is never taken for dead.
func (s *Store) WorkTreeTempDead(path string) bool {
	_, rest, ok := strings.Cut(filepath.Base(path), ".dds-tmp-"+ownerPrefix)
	if !ok {
		return false
	}
	digits, _, ok := strings.Cut(rest, "-")
	if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return false
	}
	dir := filepath.Join(s.tmp, ownerPrefix+digits)
	s.own.mu.Lock()
	mine := s.own.dir
	s.own.mu.Unlock()
	if dir == mine {
		return false
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return true // its folder was reclaimed: its owner ended
	}
	return ownerDead(dir)
}

// TempDir gives this process's temporary folder in the store, made and
// locked on first use: what a caller puts there goes with the folder when
// the process ends without removing it (the next command reclaims it).
func (s *Store) TempDir() (string, error) { return s.tempDir() }
