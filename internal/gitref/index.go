package gitref

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// indexEntry is one tracked path as the index records it. It holds no
// pointer, so that the collector never scans the hundreds of thousands of
// them a large index has, and its fields are ordered to pack in 56 bytes.
type indexEntry struct {
	id   plumbing.Hash
	mode filemode.FileMode
	stat statData
	// slot numbers the paths of the index from 0, for overlays to keep
	// what they learn of each in a slice rather than a map.
	slot int32
	// hasStat is false when the stat data could not be read; the file is
	// then always hashed.
	hasStat bool
	// conflicted marks a path with only unmerged stages: git add would
	// stage whatever is on disk, so it is always hashed.
	conflicted bool
	// intentToAdd marks git add -N: the recorded id is the empty blob, not
	// the content.
	intentToAdd bool
	// skipWorktree marks a path a sparse checkout leaves off disk; git
	// takes the index's id for it.
	skipWorktree bool
}

// statData is the part of a file's stat that git records in the index,
// truncated to 32 bits as git truncates it.
type statData struct {
	mtimeSec, mtimeNsec uint32
	ctimeSec, ctimeNsec uint32
	inode               uint32
	size                uint32
}

// indexSnapshot is the index as read once.
type indexSnapshot struct {
	// entries lists the index's entries by slot, that is in the index's
	// order: sorted byte by byte by path, each path once. A path is found
	// by binary search: a map of 50,000 paths costs more to build than the
	// lookups it would spare, and its lookups miss the cache.
	entries []indexEntry
	// text holds the paths of the entries end to end, in slot order; the
	// path of slot is text[bounds[slot]:bounds[slot+1]]. Offsets rather
	// than a string per path: a quarter of the memory, and nothing for
	// the collector to scan.
	text   string
	bounds []uint32
	// last is the path added last, while the snapshot is put together.
	last string
	// written is the earliest modification time of the index files read.
	// A file modified at or after it may have changed within the same
	// timestamp tick as the index was written: git calls such an entry
	// racily clean and compares content, and so must we.
	written time.Time
	// stamp identifies the index file as read (size, mtime, inode), so that
	// an unchanged index need not be decoded again; "" when unknown.
	stamp string
	// entriesEnd is where the entries end in the file read, and
	// entriesDigest their SHA-256 when a file-system monitor asks for it:
	// git rewrites the index with other extensions (its own fsmonitor
	// token) and the same entries, which a monitor's state outlives.
	entriesEnd    int64
	entriesDigest string
	// cacheTree holds the tree ids of the folders the index's cache tree
	// extension knows to be valid: the trees git write-tree would write
	// from the index as it is. Nil when the index has none.
	cacheTree map[string]plumbing.Hash
}

// indexStamp identifies a version of the index file cheaply.
func indexStamp(info fs.FileInfo) string {
	st, _ := fileStatData(info) // its inode, where the platform has one
	return fmt.Sprintf("%d:%d:%d", info.Size(), info.ModTime().UnixNano(), st.inode)
}

// writtenAfter reports whether the index was written strictly after a
// file's recorded modification; otherwise the file may have changed again
// within the same timestamp tick, unseen by stat.
func (s *indexSnapshot) writtenAfter(recorded statData) bool {
	modified := time.Unix(int64(recorded.mtimeSec), int64(recorded.mtimeNsec))
	return s.written.After(modified)
}

// readIndex reads the index with decodeIndex, and through git ls-files
// when the index uses what decodeIndex leaves to git (split index, sparse
// index, a newer version) or cannot be decoded.
func (r *Repo) readIndex(ctx context.Context) (*indexSnapshot, error) {
	// git replaces the index by renaming a new file over it: the open file
	// and its stat data are one version.
	f, err := os.Open(r.indexPath)
	if errors.Is(err, fs.ErrNotExist) {
		return &indexSnapshot{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the git index: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading the git index: %w", err)
	}
	snap, decodeErr := decodeIndexFrom(f, info.Size(), info.ModTime())
	if decodeErr == nil {
		snap.stamp = indexStamp(info)
		if r.UseFSMonitor && r.fsmonitorHook() != "" {
			// The entries were read as a stream; their digest reads
			// them again from the same open file, only with a monitor.
			h := sha256.New()
			if _, err := io.Copy(h, io.NewSectionReader(f, 0, snap.entriesEnd)); err != nil {
				return nil, fmt.Errorf("reading the git index: %w", err)
			}
			snap.entriesDigest = hex.EncodeToString(h.Sum(nil))
		}
		return snap, nil
	}
	snap, err = r.readIndexWithGit(ctx, info.ModTime())
	if err != nil {
		return nil, fmt.Errorf("reading the git index %s (%v): %w", r.indexPath, decodeErr, err)
	}
	return snap, nil
}

// newSnapshot starts a snapshot of about count entries, written at the
// time given.
func newSnapshot(count int, written time.Time) *indexSnapshot {
	bounds := make([]uint32, 1, count+1)
	return &indexSnapshot{entries: make([]indexEntry, 0, count), bounds: bounds, written: written}
}

// add records one index entry, in the index's order; unmerged stages of a
// path, which follow one another, fold into one conflicted entry whose mode
// is ours (stage 2) when there is one. An entry out of order is an error:
// git refuses such an index too. newSlot says whether path took a slot of
// its own, rather than being another stage of the path before: the caller
// lays the paths of new slots end to end, each once, and gives them to
// finish.
func (s *indexSnapshot) add(path string, stage int, e indexEntry) (newSlot bool, err error) {
	n := len(s.entries)
	if n > 0 && path < s.last {
		return false, fmt.Errorf("the index lists %s after %s, out of order", path, s.last)
	}
	if stage != 0 {
		e.conflicted = true
	}
	if n == 0 || path != s.last {
		if uint64(s.bounds[n])+uint64(len(path)) > math.MaxUint32 {
			return false, fmt.Errorf("index paths take more than 4 GiB")
		}
		e.slot = int32(n)
		s.entries = append(s.entries, e)
		s.bounds = append(s.bounds, s.bounds[n]+uint32(len(path)))
		s.last = path
		return true, nil
	}
	e.slot = int32(n - 1)
	if prev := &s.entries[n-1]; stage == 0 || prev.conflicted && stage == 2 {
		*prev = e
	}
	return false, nil
}

// finish ends the snapshot with text, the paths of its slots end to end.
func (s *indexSnapshot) finish(text string) {
	s.text, s.last = text, ""
}

// len is the number of paths.
func (s *indexSnapshot) len() int { return len(s.entries) }

// path is the path of slot.
func (s *indexSnapshot) path(slot int) string { return s.text[s.bounds[slot]:s.bounds[slot+1]] }

// search gives the first slot in [lo, hi) whose path is not below path,
// and whether its path is path.
func (s *indexSnapshot) search(lo, hi int, path string) (int, bool) {
	i := lo + sort.Search(hi-lo, func(k int) bool { return s.path(lo+k) >= path })
	return i, i < hi && s.path(i) == path
}

// entry returns the index's entry for the file path.
func (s *indexSnapshot) entry(path string) (*indexEntry, bool) {
	return s.entryIn(0, s.len(), path)
}

// entryIn is entry for a path among the slots [lo, hi), such as a folder's
// (see under): a search in a few entries that sit together in memory.
func (s *indexSnapshot) entryIn(lo, hi int, path string) (*indexEntry, bool) {
	i, found := s.search(lo, hi, path)
	if !found {
		return nil, false
	}
	return &s.entries[i], true
}

// under gives the run of slots [lo, hi) of the paths under dir, all of
// them for the root. Slots follow the index's order, which sorts paths
// byte by byte: the files under a folder are one run.
func (s *indexSnapshot) under(dir string) (lo, hi int) {
	if dir == "" {
		return 0, s.len()
	}
	prefix := dir + "/"
	lo, _ = s.search(0, s.len(), prefix)
	hi = lo + sort.Search(s.len()-lo, func(i int) bool { return !strings.HasPrefix(s.path(lo+i), prefix) })
	return lo, hi
}

// isDir reports whether the index holds files under dir; the root always
// counts as a folder.
func (s *indexSnapshot) isDir(dir string) bool {
	lo, hi := s.under(dir)
	return dir == "" || lo < hi
}
