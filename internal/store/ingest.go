package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// objectPerm is the mode of every object: shared by hard links, never edited.
const objectPerm = 0o444

// Ingest stores the output at path, a regular file or a folder, and leaves it
// in place. For a folder, id is its manifest's id and size the sum of its
// files' sizes.
func (s *Store) Ingest(ctx context.Context, path string, mode LinkMode) (id string, size int64, dir bool, err error) {
	info, err := lstatOutput(path)
	if err != nil {
		return "", 0, false, fmt.Errorf("store output: %w", err)
	}
	if info.IsDir() {
		id, size, err = s.IngestDir(ctx, path, mode)
		return id, size, true, err
	}
	id, size, err = s.IngestFile(ctx, path, mode)
	return id, size, false, err
}

// IngestFile stores the regular file at path, which stays in the working
// tree: untouched in Copy mode, turned into a read-only hard link to the
// object in Hardlink mode.
func (s *Store) IngestFile(ctx context.Context, path string, mode LinkMode) (id string, size int64, err error) {
	b := &batch{store: s}
	defer b.abort()
	id, size, err = s.ingestFile(ctx, path, mode, b)
	if err == nil {
		err = b.commit(ctx)
	}
	if err != nil {
		return "", 0, fmt.Errorf("store %s: %w", path, err)
	}
	return id, size, nil
}

// IngestDir stores every file under the folder dir, then the manifest that
// lists them, and returns the manifest's id and the sum of the file sizes.
// Symbolic links and special files under dir are refused.
func (s *Store) IngestDir(ctx context.Context, dir string, mode LinkMode) (manifestID string, size int64, err error) {
	b := &batch{store: s}
	defer b.abort()
	manifestID, size, err = s.ingestDir(ctx, dir, mode, b)
	if err == nil {
		err = b.commit(ctx)
	}
	if err != nil {
		return "", 0, fmt.Errorf("store folder %s: %w", dir, err)
	}
	return manifestID, size, nil
}

func (s *Store) ingestDir(ctx context.Context, dir string, mode LinkMode, b *batch) (string, int64, error) {
	info, err := lstatOutput(dir)
	if err != nil {
		return "", 0, err
	}
	if !info.IsDir() {
		return "", 0, fmt.Errorf("%s is a file, not a folder", dir)
	}
	m, size, err := scanTree(ctx, dir, func(ctx context.Context, path string) (string, int64, error) {
		return s.ingestFile(ctx, path, mode, b)
	})
	if err != nil {
		return "", 0, err
	}
	id, err := s.putBytes(EncodeManifest(m), b)
	if err != nil {
		return "", 0, fmt.Errorf("store manifest: %w", err)
	}
	return id, size, nil
}

func (s *Store) ingestFile(ctx context.Context, path string, mode LinkMode, b *batch) (string, int64, error) {
	info, err := lstatOutput(path)
	if err != nil {
		return "", 0, err
	}
	if info.IsDir() {
		return "", 0, fmt.Errorf("%s is a folder, not a file", path)
	}
	if mode == Hardlink && info.Mode().Perm()&0o111 == 0 {
		id, size, err := s.ingestByLink(ctx, path, info, b)
		if !errors.Is(err, errNotLinkable) {
			return id, size, err
		}
	}
	return s.ingestByCopy(ctx, path, b)
}

// flushAheadEvery is how often FlushAhead starts writing the files out.
const flushAheadEvery = 50 * time.Millisecond

// FlushAhead starts writing the files at paths to disk every
// flushAheadEvery until stop is called. It is meant for a command's outputs
// while the command runs, when they will be ingested in Hardlink mode into
// a durable store: the object is then the file itself, which must be on
// disk before it is recorded, and this lets the disk work while the command
// is still writing rather than after it, which takes most of the flush off
// the time between the command's end and the record. In any other case it does nothing: in Copy mode the store
// flushes its own copy as it writes it, not the command's file.
func (s *Store) FlushAhead(paths []string, mode LinkMode) (stop func()) {
	if mode != Hardlink || s.lazy {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(flushAheadEvery)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				for _, p := range paths {
					startWritebackAt(p)
				}
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// errNotLinkable sends a Hardlink ingest back to copying.
var errNotLinkable = errors.New("file cannot be shared with the store by a hard link")

// ingestByCopy copies path into a temporary object while hashing it, in one
// read. Where the filesystem can clone the file, the clone replaces the copy
// and only the hashing reads the data.
func (s *Store) ingestByCopy(ctx context.Context, path string, b *batch) (string, int64, error) {
	src, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer src.Close()
	tmp, err := s.createTemp()
	if err != nil {
		return "", 0, err
	}
	b.add(pendingObject{tmp: tmp.Name()})
	defer tmp.Close()

	var id string
	var size int64
	var dst io.Writer = tmp
	if !s.lazy {
		dst = newWritebackWriter(tmp)
	}
	if cloneFile(tmp, src) == nil {
		// The clone, not the source, which its command may still touch:
		// the id must name the bytes the object holds.
		id, size, err = hashOpenFile(ctx, tmp, sizeHint(tmp))
	} else {
		id, size, err = hashCopy(ctx, src, dst, sizeHint(src))
	}
	if err != nil {
		return "", 0, err
	}
	if err := tmp.Chmod(objectPerm); err != nil {
		return "", 0, err
	}
	if err := tmp.Close(); err != nil {
		return "", 0, err
	}
	b.last().id = id
	return id, size, nil
}

// ingestByLink hashes path, then links it into the store as the object, so
// the working file and the object are one read-only inode. When the store
// already holds the content, path is swapped for a link to that object.
func (s *Store) ingestByLink(ctx context.Context, path string, before fs.FileInfo, b *batch) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	// The command that wrote the file rarely flushed it; start the flush now
	// so the disk works while the hash is computed.
	if !s.lazy {
		startWriteback(f)
	}
	id, size, err := hashOpenFile(ctx, f, before.Size())
	if err != nil {
		return "", 0, err
	}

	// Checked before the link count: a file materialized from the store has
	// two links, the object being one.
	if s.Has(id) {
		if err := s.materializeFile(ctx, id, path, Hardlink); err != nil {
			return "", 0, err
		}
		return id, size, nil
	}
	if linkCount(before) > 1 {
		// Making an inode read-only and shared with the store would reach
		// every other name it has, such as an input the command linked.
		return "", 0, errNotLinkable
	}
	dir, err := s.tempDir()
	if err != nil {
		return "", 0, err
	}
	tmp := tempName(dir, "link-")
	if err := os.Link(path, tmp); err != nil {
		if isUnlinkable(err) {
			return "", 0, errNotLinkable
		}
		return "", 0, err
	}
	b.add(pendingObject{tmp: tmp, linkedFrom: path, linkedPerm: before.Mode().Perm()})
	if err := os.Chmod(tmp, objectPerm); err != nil {
		return "", 0, err
	}
	after, err := os.Lstat(path)
	if err != nil {
		return "", 0, err
	}
	if after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) || !os.SameFile(before, after) {
		return "", 0, fmt.Errorf("%s changed while it was being stored: store it again once nothing writes to it", path)
	}
	b.last().id = id
	return id, size, nil
}

// putBytes adds b to the batch as an object and returns its id.
func (s *Store) putBytes(content []byte, b *batch) (string, error) {
	id := hashBytes(content)
	if s.Has(id) {
		return id, nil
	}
	tmp, err := s.createTemp()
	if err != nil {
		return "", err
	}
	b.add(pendingObject{tmp: tmp.Name()})
	defer tmp.Close()
	if _, err := tmp.Write(content); err != nil {
		return "", err
	}
	if err := tmp.Chmod(objectPerm); err != nil {
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	b.last().id = id
	return id, nil
}

func (s *Store) createTemp() (*os.File, error) {
	dir, err := s.tempDir()
	if err != nil {
		return nil, err
	}
	return createExclusive(tempName(dir, "object-"))
}

// batch holds the temporary objects of one ingest until all are written,
// then flushes them to disk together and only then renames them into place.
// Flushes issued side by side share the filesystem's journal commits: a
// folder of a thousand small files costs a few commits, not a thousand.
type batch struct {
	store   *Store
	pending []pendingObject
}

// pendingObject is a temporary object: read-only, but neither durable nor
// in place yet. Its id is "" until its content is complete.
type pendingObject struct {
	tmp, id string
	// linkedFrom is the working file sharing the object's inode in Hardlink
	// mode, and linkedPerm its mode before it was made read-only.
	linkedFrom string
	linkedPerm fs.FileMode
}

// flushConcurrency is how many flushes are in flight at once.
const flushConcurrency = 32

func (b *batch) add(p pendingObject) { b.pending = append(b.pending, p) }

func (b *batch) last() *pendingObject { return &b.pending[len(b.pending)-1] }

// abort removes what was not committed and gives working files linked into
// the batch their mode back.
func (b *batch) abort() {
	for _, p := range b.pending {
		_ = os.Remove(p.tmp)
		if p.linkedFrom != "" {
			_ = os.Chmod(p.linkedFrom, p.linkedPerm)
		}
	}
	b.pending = nil
}

// commit makes every pending object durable, renames each into place, and
// flushes the folders whose entries changed.
func (b *batch) commit(ctx context.Context) error {
	tmps := make([]string, len(b.pending))
	for i, p := range b.pending {
		tmps[i] = p.tmp
	}
	if !b.store.lazy {
		if err := flushMany(tmps); err != nil {
			return err
		}
	}
	changed := map[string]bool{}
	for len(b.pending) > 0 {
		p := b.pending[0]
		b.pending = b.pending[1:]
		if err := b.store.place(ctx, p, changed); err != nil {
			_ = os.Remove(p.tmp)
			return err
		}
	}
	if b.store.lazy {
		return nil
	}
	dirs := make([]string, 0, len(changed))
	for dir := range changed {
		dirs = append(dirs, dir)
	}
	return flushMany(dirs)
}

// syncWholeFrom is the number of files or folders from which flushMany
// makes them durable with one sync of their file system rather than an
// fsync of each. Each fsync of a small new file ends with a flush of the
// disk's write cache (and, on a journaled file system, a journal commit,
// which also waits for other programs' data): thousands of them cost
// seconds. One sync of the file system writes the same data and flushes
// once. It also writes whatever else is waiting on that file system, which
// is why a batch of a few files, or one large file, keeps its fsyncs.
const syncWholeFrom = 16

// flushMany flushes the files or folders at paths to disk, all on the
// store's file system: one sync of the file system for many, an fsync of
// each for a few or where the system has no such sync.
func flushMany(paths []string) error {
	if len(paths) >= syncWholeFrom {
		err := syncFS(paths[0])
		if !errors.Is(err, errors.ErrUnsupported) {
			return err
		}
	}
	return flushAll(paths)
}

// place renames the durable temporary object p into place. An object
// already there is kept: it has the same bytes by construction.
func (s *Store) place(ctx context.Context, p pendingObject, changed map[string]bool) error {
	dst := s.Path(p.id)
	shard := filepath.Dir(dst)
	// One call looks and renames where the system can: a fetch of
	// thousands of small objects would otherwise look up each twice more
	// (the object, its shard) before its rename. Anything but success
	// takes the long way below, which tells the cases apart.
	if err := renameNoReplace(p.tmp, dst); err == nil {
		changed[shard] = true
		return nil
	}
	if s.Has(p.id) {
		if err := os.Remove(p.tmp); err != nil {
			return err
		}
		if p.linkedFrom != "" {
			// Another file of the batch had the same content and won.
			return s.materializeFile(ctx, p.id, p.linkedFrom, Hardlink)
		}
		return nil
	}
	if _, err := os.Stat(shard); err != nil {
		// New folders must survive a crash too: the entry of each new one
		// is in its parent, which needs flushing as well; only the
		// parents that gained an entry, not every one up to the store.
		if _, err := os.Stat(s.objects); err != nil {
			if err := os.MkdirAll(s.objects, 0o755); err != nil {
				return err
			}
			// A new store: its objects/ starts in the current layout.
			if err := s.markLayout(); err != nil {
				return err
			}
			changed[filepath.Dir(s.objects)] = true
		}
		if err := os.Mkdir(shard, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		changed[s.objects] = true
	}
	if err := os.Rename(p.tmp, dst); err != nil {
		return err
	}
	changed[shard] = true
	return nil
}

// flushAll flushes the files or folders at paths to disk, many at once.
func flushAll(paths []string) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	next := make(chan string)
	for range min(flushConcurrency, len(paths)) {
		wg.Go(func() {
			for p := range next {
				if err := flush(p); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, p := range paths {
		next <- p
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

func flush(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("flush %s to disk: %w", path, err)
	}
	return nil
}
