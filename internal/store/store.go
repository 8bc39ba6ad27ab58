// Package store keeps output content under .git/dds: a content-addressed
// object store, and the placing of its objects into the working tree.
//
// An object is named by the BLAKE3-256 of its bytes, 64 lowercase hex digits,
// and lives at objects/aa/<id>, read-only (git's layout; see Open for the
// two-level layout of earlier versions). A folder output is stored as a
// manifest object (see EncodeManifest) naming the objects of its files.
// Objects are written to tmp/, flushed, and renamed into place, so a crash
// never leaves a partial object under objects/.
package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

var (
	// ErrCorrupt marks an object whose bytes no longer hash to its id.
	ErrCorrupt = errors.New("object is corrupt")
	// ErrNotFound marks an id the store does not hold.
	ErrNotFound = errors.New("object is not in the store")
	// ErrSymlink marks a symbolic link where an output must be a regular
	// file or folder: the store records bytes, not links.
	ErrSymlink = errors.New("outputs must be regular files or folders, not symbolic links")
)

// WorkTreeTempGlob matches the names Materialize builds outputs under beside
// their destination before renaming them into place; a crash can leave one
// behind, so it belongs in the repository's ignore rules.
const WorkTreeTempGlob = ".*.dds-tmp-*"

// Store is the object store of one clone. It holds no open files and is safe
// for concurrent use, including by several processes.
type Store struct {
	objects string
	tmp     string
	// lazy skips the flushes to disk. Objects still appear whole or not at
	// all to every process (temporary file, then rename), but a power loss
	// may leave a damaged object behind, which fsync finds.
	lazy bool
	// own is this process's temporary folder (see owner).
	own owner
}

// SetDurable says whether objects are flushed to disk before they are
// renamed into place (git config dds.fsync, true by default). Flushing
// guards against power loss, not against a crash of git dds: renaming a
// complete temporary file already does that.
func (s *Store) SetDurable(durable bool) { s.lazy = !durable }

// layoutFile, beside objects/, says the objects are laid out one folder
// deep, objects/aa/<id>. Earlier versions laid them out two deep,
// objects/aa/bb/<id>: a store of 10,000 objects then had nearly 10,000
// folders, and making a folder costs as much as writing a small object
// (a fetch of 10,000 files spent seconds on them). An objects/ folder
// without this file is in the old layout, which Open moves over.
const layoutFile = "objects.layout"

// Open returns the store rooted at dir, the .git/dds folder. Its folders are
// created when the first object is written. A store in the two-level layout
// of earlier versions is moved to the current one first, once: each object
// is renamed, nothing is copied, and a move cut short is taken up again by
// the next Open. Every clone sharing a store (git config dds.dir) then needs
// a git dds that reads this layout.
func Open(dir string) (*Store, error) {
	info, err := os.Stat(dir)
	if err == nil && !info.IsDir() {
		return nil, fmt.Errorf("open store: %s is not a folder", dir)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s := &Store{
		objects: filepath.Join(dir, "objects"),
		tmp:     filepath.Join(dir, "tmp"),
	}
	if err := s.upgradeLayout(); err != nil {
		return nil, fmt.Errorf("open store: moving objects to the layout objects/aa/<id>: %w", err)
	}
	return s, nil
}

func (s *Store) layoutPath() string { return filepath.Join(filepath.Dir(s.objects), layoutFile) }

// upgradeLayout moves the objects of the two-level layout, if any, to
// objects/aa/<id>, then writes layoutFile. Several processes may do it at
// once: a rename another one made first is skipped.
func (s *Store) upgradeLayout() error {
	if _, err := os.Stat(s.layoutPath()); err == nil {
		return nil
	}
	firsts, err := readDirIfExists(s.objects)
	if err != nil || firsts == nil {
		return err // no objects/ yet: the first object written marks the layout
	}
	for _, first := range firsts {
		if !first.IsDir() || !isShard(first.Name()) {
			continue
		}
		top := filepath.Join(s.objects, first.Name())
		seconds, err := readDirIfExists(top)
		if err != nil {
			return err
		}
		for _, second := range seconds {
			if second.IsDir() && isShard(second.Name()) {
				if err := moveUp(top, second.Name()); err != nil {
					return err
				}
			}
		}
	}
	return s.markLayout()
}

// moveUp renames the objects of the old-layout folder top/second
// (objects/aa/bb) into top (objects/aa), then removes the folder.
func moveUp(top, second string) error {
	shard := filepath.Join(top, second)
	objects, err := readDirIfExists(shard)
	if err != nil {
		return err
	}
	for _, o := range objects {
		id := o.Name()
		if !ValidID(id) || id[:2] != filepath.Base(top) || id[2:4] != second {
			continue
		}
		if err := os.Rename(filepath.Join(shard, id), filepath.Join(top, id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	// Left in place if anything else is in it; harmless.
	_ = os.Remove(shard)
	return nil
}

// markLayout writes layoutFile. Its content is for people; its presence is
// what counts.
func (s *Store) markLayout() error {
	return os.WriteFile(s.layoutPath(), []byte("objects/aa/<id>\n"), 0o644)
}

// isShard reports whether name is two lowercase hex digits.
func isShard(name string) bool {
	return len(name) == 2 && isHexDigit(name[0]) && isHexDigit(name[1])
}

func isHexDigit(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

// ValidID reports whether id has the form of a content id.
func ValidID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for _, c := range []byte(id) {
		if !isHexDigit(c) {
			return false
		}
	}
	return true
}

// Path returns where the object id lives, whether or not it is there yet,
// or "" when id is not a content id.
func (s *Store) Path(id string) string {
	if !ValidID(id) {
		return ""
	}
	return filepath.Join(s.objects, id[:2], id)
}

// Has reports whether the store holds the object id.
func (s *Store) Has(id string) bool {
	p := s.Path(id)
	if p == "" {
		return false
	}
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

// Open opens the object id for reading.
func (s *Store) Open(id string) (*os.File, error) {
	p, err := s.objectPath(id)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("object %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open object %s: %w", id, err)
	}
	return f, nil
}

// Verify rehashes the object id; a mismatch wraps ErrCorrupt.
func (s *Store) Verify(ctx context.Context, id string) error {
	f, err := s.Open(id)
	if err != nil {
		return err
	}
	defer f.Close()
	got, _, err := hashOpenFile(ctx, f, sizeHint(f))
	if err != nil {
		return fmt.Errorf("verify object %s: %w", id, err)
	}
	if got != id {
		return fmt.Errorf("object %s holds content with id %s: %w", id, got, ErrCorrupt)
	}
	return nil
}

// Walk calls fn for every object in the store, in id order, and stops at the
// first error fn returns. Files under objects/ that are not named as objects
// in their right place are not objects and are skipped.
func (s *Store) Walk(fn func(id string, size int64) error) error {
	firsts, err := readDirIfExists(s.objects)
	if err != nil {
		return err
	}
	for _, first := range firsts {
		if !first.IsDir() {
			continue
		}
		shard := filepath.Join(s.objects, first.Name())
		objects, err := readDirIfExists(shard)
		if err != nil {
			return err
		}
		for _, object := range objects {
			id := object.Name()
			if !object.Type().IsRegular() || s.Path(id) != filepath.Join(shard, id) {
				continue
			}
			info, err := object.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed since the listing
			}
			if err != nil {
				return fmt.Errorf("walk store: %w", err)
			}
			if err := fn(id, info.Size()); err != nil {
				return err
			}
		}
	}
	return nil
}

// Remove deletes the object id. Removing an object that is not there is not
// an error, so concurrent collectors do not trip over each other.
func (s *Store) Remove(id string) error {
	p, err := s.objectPath(id)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove object %s: %w", id, err)
	}
	return nil
}

// RemoveStaleTemp deletes temporary files that an ingest killed mid-way left
// loose in the store's tmp folder (where versions before per-process
// folders wrote them). Only files older than maxAge go, so ingests still
// running in other processes keep theirs.
func (s *Store) RemoveStaleTemp(maxAge time.Duration) (removed int, err error) {
	entries, err := os.ReadDir(s.tmp)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("clean store temporary files: %w", err)
	}
	cutoff := time.Now().Add(-maxAge)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ownerPrefix) {
			continue // a process's own folder: RemoveDeadTemps decides
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(s.tmp, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("clean store temporary files: %w", err)
		}
		removed++
	}
	return removed, nil
}

func (s *Store) objectPath(id string) (string, error) {
	p := s.Path(id)
	if p == "" {
		return "", fmt.Errorf("%q is not a content id (64 lowercase hex digits)", id)
	}
	return p, nil
}

func readDirIfExists(dir string) ([]fs.DirEntry, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("walk store: %w", err)
	}
	return entries, nil
}

// tempName returns a fresh name in dir starting with prefix; nothing is created.
func tempName(dir, prefix string) string {
	return filepath.Join(dir, prefix+rand.Text())
}

// HoldsOutput reports whether the store holds everything an output needs:
// its object and, for a folder (dir), every file its manifest lists. A
// record whose outputs it holds can be used. It only looks: Check also
// tells whether the objects still hold what was stored.
func (s *Store) HoldsOutput(id string, dir bool) bool {
	if !s.Has(id) {
		return false
	}
	if !dir {
		return true
	}
	m, err := s.ReadManifest(id)
	if err != nil {
		return false
	}
	for _, e := range m.Entries {
		if !e.IsDir() && !s.Has(e.ID) {
			return false
		}
	}
	return true
}

// CheckWritable tries this process's temporary folder, where every object
// is first written: a store on a read-only mount, or one this user may not
// write, fails here rather than after a stage ran. The probe goes in that
// folder, never beside it, so that a kill before its removal leaves it
// where the next command reclaims a dead process's files.
func (s *Store) CheckWritable() error {
	dir, err := s.tempDir()
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "probe-")
	if err != nil {
		return err
	}
	return errors.Join(f.Close(), os.Remove(f.Name()))
}

// Dir is the store's folder, which holds objects/ and tmp/.
func (s *Store) Dir() string { return filepath.Dir(s.objects) }
