package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// Materialize puts the object id at dest in the working tree: the file
// itself, or when dir is true the folder its manifest describes. The new
// output is built beside dest under a temporary name and renamed over it, so
// dest holds the old output or the new one, never a partial one. Copies are
// writable (0644, or 0755 for files recorded executable); Hardlink mode links
// read-only objects where it can and copies where it cannot.
//
// In Hardlink mode an output already linked to exactly those objects is left
// alone. In Copy mode dest is always rewritten: a caller that wants to skip
// an unchanged output compares HashPath with id first.
func (s *Store) Materialize(ctx context.Context, id string, dir bool, dest string, mode LinkMode) error {
	if _, err := s.objectPath(id); err != nil {
		return fmt.Errorf("materialize %s: %w", dest, err)
	}
	if !s.Has(id) {
		return fmt.Errorf("materialize %s: object %s: %w", dest, id, ErrNotFound)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return fmt.Errorf("materialize %s: %w", dest, err)
	}
	var err error
	if dir {
		err = s.materializeDir(ctx, id, dest, mode)
	} else {
		err = s.materializeFile(ctx, id, dest, mode)
	}
	if err != nil {
		return fmt.Errorf("materialize %s: %w", dest, err)
	}
	return nil
}

func (s *Store) materializeFile(ctx context.Context, id, dest string, mode LinkMode) error {
	if mode == Hardlink {
		if same, _ := sameFile(dest, s.Path(id)); same {
			return nil
		}
	}
	tmp := s.workTreeTemp(dest)
	if err := s.placeFile(ctx, id, tmp, fileMode, mode); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return replace(tmp, dest)
}

func (s *Store) materializeDir(ctx context.Context, id, dest string, mode LinkMode) error {
	m, err := s.ReadManifest(id)
	if err != nil {
		return err
	}
	if mode == Hardlink && s.isLinkedTree(ctx, dest, m) {
		return nil
	}
	for _, e := range m.Entries {
		if !e.IsDir() && !s.Has(e.ID) {
			return fmt.Errorf("file %s (object %s): %w", e.Path, e.ID, ErrNotFound)
		}
	}
	tmp := s.workTreeTemp(dest)
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return err
	}
	if err := s.fillTree(ctx, tmp, m, mode); err != nil {
		_ = os.RemoveAll(tmp)
		return err
	}
	return replace(tmp, dest)
}

// fillTree lays out the entries of m under the new, empty folder root.
func (s *Store) fillTree(ctx context.Context, root string, m Manifest, mode LinkMode) error {
	made := map[string]bool{root: true}
	for _, e := range m.Entries {
		target := filepath.Join(root, filepath.FromSlash(e.Path))
		if e.IsDir() {
			if err := os.MkdirAll(target, e.Mode.Perm()); err != nil {
				return err
			}
			continue
		}
		if parent := filepath.Dir(target); !made[parent] {
			if err := os.MkdirAll(parent, 0o755); err != nil {
				return err
			}
			made[parent] = true
		}
		if err := s.CheckSize(e.ID, e.Size); err != nil {
			return fmt.Errorf("%s: %w", e.Path, err)
		}
		if err := s.placeFile(ctx, e.ID, target, e.Mode.Perm(), mode); err != nil {
			return fmt.Errorf("%s: %w", e.Path, err)
		}
	}
	return nil
}

// placeFile creates target, which must not exist, with the content of the
// object id. Hardlink mode links non-executable files, and copies when the
// link cannot be made: another filesystem, a link count at its limit, or a
// kernel that forbids linking another user's file.
func (s *Store) placeFile(ctx context.Context, id, target string, perm fs.FileMode, mode LinkMode) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	object := s.Path(id)
	if mode == Hardlink && perm&0o111 == 0 {
		err := os.Link(object, target)
		if err == nil || !isUnlinkable(err) {
			return err
		}
	}
	return copyObject(object, target, perm)
}

func isUnlinkable(err error) bool {
	return errors.Is(err, syscall.EXDEV) || errors.Is(err, syscall.EMLINK) || errors.Is(err, syscall.EPERM)
}

// copyObject copies object to the new file target: a clone where the
// filesystem shares blocks, else a kernel-side copy (io.Copy between files
// uses copy_file_range). Working-tree copies are not flushed to disk, as git
// does not flush its checkouts: after a crash a damaged copy shows up as a
// modified output and is restored from the store.
func copyObject(object, target string, perm fs.FileMode) (err error) {
	src, err := os.Open(object)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	defer func() {
		if closeErr := dst.Close(); err == nil {
			err = closeErr
		}
	}()
	if cloneFile(dst, src) != nil {
		if _, err := io.Copy(dst, src); err != nil {
			return err
		}
	}
	// The umask may have narrowed perm at creation; the recorded mode wins.
	return dst.Chmod(perm)
}

// ReadManifest reads the manifest object id of a folder output, checking
// its bytes against the id.
func (s *Store) ReadManifest(id string) (Manifest, error) {
	f, err := os.Open(s.Path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return Manifest{}, fmt.Errorf("manifest %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Manifest{}, err
	}
	defer f.Close()
	// A shared store's content is no more trusted than a remote's: an
	// object far larger than any manifest is refused unread.
	b, err := io.ReadAll(io.LimitReader(f, MaxManifestSize+1))
	if err != nil {
		return Manifest{}, err
	}
	if len(b) > MaxManifestSize {
		return Manifest{}, fmt.Errorf("object %s is over %d bytes, too large for a folder manifest: %w", id, MaxManifestSize, ErrCorrupt)
	}
	if got := hashBytes(b); got != id {
		return Manifest{}, fmt.Errorf("manifest %s holds content with id %s: %w", id, got, ErrCorrupt)
	}
	m, err := DecodeManifest(b)
	if err != nil {
		return Manifest{}, fmt.Errorf("object %s is not a folder manifest: %w", id, err)
	}
	return m, nil
}

var errNotLinked = errors.New("not linked to the store")

// isLinkedTree reports whether dest already is the folder m as Hardlink mode
// lays it out: the same files and empty folders, every file a link to its
// object, nothing else.
func (s *Store) isLinkedTree(ctx context.Context, dest string, m Manifest) bool {
	if info, err := os.Lstat(dest); err != nil || !info.IsDir() {
		return false
	}
	byPath := make(map[string]Entry, len(m.Entries))
	for _, e := range m.Entries {
		byPath[e.Path] = e
	}
	got, _, err := scanTree(ctx, dest, func(_ context.Context, p string) (string, int64, error) {
		rel, err := filepath.Rel(dest, p)
		if err != nil {
			return "", 0, err
		}
		e, ok := byPath[filepath.ToSlash(rel)]
		if !ok {
			return "", 0, errNotLinked
		}
		if same, _ := sameFile(p, s.Path(e.ID)); !same {
			return "", 0, errNotLinked
		}
		return e.ID, e.Size, nil
	})
	return err == nil && slices.Equal(got.Entries, m.Entries)
}

// replace moves the finished output tmp to dest in one step. A file simply
// renames over a file; where a folder is involved the two are swapped
// atomically and the old one, now at tmp, is deleted. Without an atomic swap
// the old output steps aside first: dest is then missing for a moment, but
// never partial.
func replace(tmp, dest string) error {
	old, err := os.Lstat(dest)
	if errors.Is(err, fs.ErrNotExist) {
		return os.Rename(tmp, dest)
	}
	if err != nil {
		return err
	}
	if tmpInfo, err := os.Lstat(tmp); err == nil && !tmpInfo.IsDir() && !old.IsDir() {
		return os.Rename(tmp, dest)
	}

	leftover := tmp
	if err := exchange(tmp, dest); err != nil {
		leftover = tmp + "-old" // its owner, as tmp's
		if err := os.Rename(dest, leftover); err != nil {
			_ = os.RemoveAll(tmp)
			return err
		}
		if err := os.Rename(tmp, dest); err != nil {
			_ = os.Rename(leftover, dest)
			_ = os.RemoveAll(tmp)
			return err
		}
	}
	if err := os.RemoveAll(leftover); err != nil {
		return fmt.Errorf("new output is in place, but the old one is left at %s: remove it by hand: %w", leftover, err)
	}
	return nil
}

// workTreeTemp returns a fresh name beside dest matching WorkTreeTempGlob,
// naming this process's temporary folder so that a later command can tell
// whether its owner still runs.
func (s *Store) workTreeTemp(dest string) string {
	prefix := "." + filepath.Base(dest) + ".dds-tmp-"
	if tag := s.ownerTag(); tag != "" {
		prefix += tag + "-"
	}
	return tempName(filepath.Dir(dest), prefix)
}

func sameFile(a, b string) (bool, error) {
	ai, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	bi, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(ai, bi), nil
}

// CheckSize refuses an object whose size is not the size recorded for it:
// a process that outlived its stage's command can have written to it (in
// hardlink mode the object is the output's own inode), and such bytes must
// never be placed as the recorded ones. fsck rehashes everything.
func (s *Store) CheckSize(id string, size int64) error {
	p, err := s.objectPath(id)
	if err != nil {
		return err
	}
	info, err := os.Stat(p)
	if err != nil {
		return nil // Materialize says what is missing
	}
	if info.Size() != size {
		return fmt.Errorf("object %s is %d bytes, not the %d recorded: it changed after it was stored: %w; run git dds fsck --repair, then git dds run",
			id, info.Size(), size, ErrCorrupt)
	}
	return nil
}
