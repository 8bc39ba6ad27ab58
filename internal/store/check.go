package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// In Hardlink mode an output in the working tree is the object itself: a
// write into it (as root, or after chmod u+w, as some editors do) changes
// the stored bytes, for every worktree that links them and for every
// restore after. Check finds such an object before it is served, and
// Quarantine takes it out of the store.

// DamagedError names the objects Check found changed since they were
// stored. It wraps ErrCorrupt.
type DamagedError struct {
	IDs []string
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("stored object %s was changed after it was stored: %v", strings.Join(e.IDs, ", "), ErrCorrupt)
}

func (e *DamagedError) Unwrap() error { return ErrCorrupt }

// Check reports whether the object id still holds what was stored: nil,
// an error wrapping ErrNotFound when it (or, for a folder, one of its files)
// is missing, or a *DamagedError. size is the recorded size of a file, or
// of all the files of a folder; storedBy is when the record was written,
// after every one of its objects.
//
// Any write changes a file's modification time, and an object is written
// once, before its record: an object of the wrong size is damaged, and one
// modified after storedBy is in doubt and rehashed. An object found whole
// then takes storedBy as its modification time (objects fetched from a
// remote arrive after their record was made), so that the next check costs
// a stat again.
func (s *Store) Check(ctx context.Context, id string, size int64, dir bool, storedBy time.Time) error {
	if !dir {
		return s.checkObjects(ctx, []sizedObject{{id, size}}, storedBy)
	}
	m, err := s.ReadManifest(id)
	switch {
	case errors.Is(err, ErrCorrupt):
		return &DamagedError{IDs: []string{id}}
	case err != nil:
		return err
	}
	var objects []sizedObject
	var total int64
	for _, e := range m.Entries {
		if !e.IsDir() {
			objects = append(objects, sizedObject{e.ID, e.Size})
			total += e.Size
		}
	}
	if total != size {
		// The manifest hashes to its id, so it is the record that is off:
		// the files still say what they should hold.
		return fmt.Errorf("folder manifest %s lists %d bytes where its record says %d: %w", id, total, size, ErrCorrupt)
	}
	return s.checkObjects(ctx, objects, storedBy)
}

type sizedObject struct {
	id   string
	size int64
}

func (s *Store) checkObjects(ctx context.Context, objects []sizedObject, storedBy time.Time) error {
	var damaged []string
	seen := make(map[string]bool, len(objects))
	for _, o := range objects {
		if seen[o.id] {
			continue
		}
		seen[o.id] = true
		p := s.Path(o.id)
		if p == "" {
			return fmt.Errorf("object %q: not a content id: %w", o.id, ErrNotFound)
		}
		info, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) || err == nil && !info.Mode().IsRegular() {
			return fmt.Errorf("object %s: %w", o.id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("checking object %s: %w", o.id, err)
		}
		switch {
		case info.Size() != o.size:
			damaged = append(damaged, o.id)
		case !storedBy.IsZero() && info.ModTime().After(storedBy):
			err := s.Verify(ctx, o.id)
			switch {
			case errors.Is(err, ErrCorrupt):
				damaged = append(damaged, o.id)
			case err != nil:
				return err
			default:
				// Best effort: an object of another user's may refuse.
				_ = os.Chtimes(p, time.Time{}, storedBy)
			}
		}
	}
	if len(damaged) > 0 {
		return &DamagedError{IDs: damaged}
	}
	return nil
}

// QuarantineDir is where Quarantine moves damaged objects: beside objects/
// in the store's folder.
func (s *Store) QuarantineDir() string {
	return filepath.Join(filepath.Dir(s.objects), "quarantine")
}

// Quarantine moves the object id out of the store into QuarantineDir,
// where it stays for a person to look at; nothing reads it from there. An
// object already gone is no error.
func (s *Store) Quarantine(id string) error {
	p := s.Path(id)
	if p == "" {
		return fmt.Errorf("quarantine %q: not a content id", id)
	}
	dir := s.QuarantineDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := os.Rename(p, filepath.Join(dir, id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("moving object %s to %s: %w", id, dir, err)
	}
	return nil
}
