package gitref

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// indexEntry is one tracked path as the index records it.
type indexEntry struct {
	id   plumbing.Hash
	mode filemode.FileMode
	stat statData
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
	// slot numbers the paths of the index from 0, for overlays to keep
	// what they learn of each in a slice rather than a map.
	slot int
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
	// paths and bySlot list the paths and their entries by slot, that is
	// in the index's order: sorted byte by byte, each path once. A path is
	// found by binary search: a map of 50,000 paths costs more to build
	// than the lookups it would spare, and its lookups miss the cache.
	paths  []string
	bySlot []*indexEntry
	// written is the earliest modification time of the index files read.
	// A file modified at or after it may have changed within the same
	// timestamp tick as the index was written: git calls such an entry
	// racily clean and compares content, and so must we.
	written time.Time
	// stamp identifies the index file as read (size, mtime, inode), so that
	// an unchanged index need not be decoded again; "" when unknown.
	stamp string
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
	data := make([]byte, info.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("reading the git index: %w", err)
	}
	snap, decodeErr := decodeIndex(data, info.ModTime())
	if decodeErr == nil {
		snap.stamp = indexStamp(info)
		return snap, nil
	}
	snap, err = r.readIndexWithGit(ctx, info.ModTime())
	if err != nil {
		return nil, fmt.Errorf("reading the git index %s (%v): %w", r.indexPath, decodeErr, err)
	}
	return snap, nil
}

// add records one index entry, in the index's order; unmerged stages of a
// path, which follow one another, fold into one conflicted entry whose mode
// is ours (stage 2) when there is one. An entry out of order is an error:
// git refuses such an index too.
func (s *indexSnapshot) add(path string, stage int, e *indexEntry) error {
	n := len(s.paths)
	if n > 0 && path < s.paths[n-1] {
		return fmt.Errorf("the index lists %s after %s, out of order", path, s.paths[n-1])
	}
	if n == 0 || path != s.paths[n-1] {
		e.slot = n
		s.paths = append(s.paths, path)
		s.bySlot = append(s.bySlot, e)
	} else {
		e.slot = n - 1
	}
	if stage != 0 {
		e.conflicted = true
		if prev := s.bySlot[e.slot]; prev != e && (!prev.conflicted || stage != 2) {
			return nil
		}
	}
	s.bySlot[e.slot] = e
	return nil
}

// entry returns the index's entry for the file path.
func (s *indexSnapshot) entry(path string) (*indexEntry, bool) {
	return s.entryIn(0, len(s.paths), path)
}

// entryIn is entry for a path among the slots [lo, hi), such as a folder's
// (see under): a search in a few entries that sit together in memory.
func (s *indexSnapshot) entryIn(lo, hi int, path string) (*indexEntry, bool) {
	i, found := slices.BinarySearch(s.paths[lo:hi], path)
	if !found {
		return nil, false
	}
	return s.bySlot[lo+i], true
}

// under gives the run of slots [lo, hi) of the paths under dir, all of
// them for the root. Slots follow the index's order, which sorts paths
// byte by byte: the files under a folder are one run.
func (s *indexSnapshot) under(dir string) (lo, hi int) {
	if dir == "" {
		return 0, len(s.paths)
	}
	prefix := dir + "/"
	lo, _ = slices.BinarySearch(s.paths, prefix)
	hi = lo + sort.Search(len(s.paths)-lo, func(i int) bool { return !strings.HasPrefix(s.paths[lo+i], prefix) })
	return lo, hi
}

// isDir reports whether the index holds files under dir; the root always
// counts as a folder.
func (s *indexSnapshot) isDir(dir string) bool {
	lo, hi := s.under(dir)
	return dir == "" || lo < hi
}

// readIndexWithGit reads the index through git ls-files. A split index
// keeps entries in a shared index file too; taking the earliest write time
// of all of them can only make more entries racy, never fewer.
func (r *Repo) readIndexWithGit(ctx context.Context, indexWritten time.Time) (*indexSnapshot, error) {
	written := indexWritten
	for _, dir := range []string{r.GitDir, r.CommonDir} {
		shared, _ := filepath.Glob(filepath.Join(dir, "sharedindex.*"))
		for _, p := range shared {
			if info, err := os.Stat(p); err == nil && info.ModTime().Before(written) {
				written = info.ModTime()
			}
		}
	}
	out, err := r.runGit(ctx, nil, "ls-files", "--stage", "--debug", "-z")
	if err != nil {
		return nil, err
	}
	listed, err := parseLsFilesDebug(out)
	if err != nil {
		return nil, err
	}
	// ls-files lists in the index's order; sorted again all the same, as
	// the slots rely on it.
	slices.SortStableFunc(listed, func(a, b listedEntry) int {
		return cmp.Or(strings.Compare(a.path, b.path), cmp.Compare(a.stage, b.stage))
	})
	snap := &indexSnapshot{paths: make([]string, 0, len(listed)), bySlot: make([]*indexEntry, 0, len(listed)), written: written}
	for _, l := range listed {
		if err := snap.add(l.path, l.stage, l.entry); err != nil {
			return nil, err
		}
	}
	return snap, nil
}

// listedEntry is one record of git ls-files --stage --debug -z.
type listedEntry struct {
	path  string
	stage int
	entry *indexEntry
}

// Bits of git's in-memory cache entry flags, which ls-files --debug prints.
const (
	ceIntentToAdd  = 1 << 29
	ceSkipWorktree = 1 << 30
)

// parseLsFilesDebug reads the output of git ls-files --stage --debug -z:
// per entry "MODE OID STAGE\tPATH\0" then indented "key: value" lines
// (ctime, mtime, dev, ino, uid, gid, size, flags), tab-separated pairs
// ended by newlines. An entry whose stat lines are missing or unreadable
// gets hasStat false rather than failing the whole listing.
func parseLsFilesDebug(out []byte) ([]listedEntry, error) {
	var listed []listedEntry
	for len(out) > 0 {
		end := bytes.IndexByte(out, 0)
		if end < 0 {
			return nil, fmt.Errorf("git ls-files: entry %q is not NUL-terminated", truncate(string(out), 80))
		}
		l, err := parseStageRecord(out[:end])
		if err != nil {
			return nil, err
		}
		out = out[end+1:]
		var seen statFields
		for bytes.HasPrefix(out, []byte("  ")) {
			line := out
			if nl := bytes.IndexByte(out, '\n'); nl >= 0 {
				line, out = out[:nl], out[nl+1:]
			} else {
				out = nil
			}
			seen.parseDebugLine(l.entry, line)
		}
		l.entry.hasStat = seen == allStatFields
		listed = append(listed, l)
	}
	return listed, nil
}

// parseStageRecord reads "MODE OID STAGE\tPATH".
func parseStageRecord(rec []byte) (listedEntry, error) {
	tab := bytes.IndexByte(rec, '\t')
	if tab < 0 {
		return listedEntry{}, fmt.Errorf("git ls-files: no tab in entry %q", truncate(string(rec), 80))
	}
	meta := bytes.Fields(rec[:tab])
	path := string(rec[tab+1:])
	if len(meta) != 3 || path == "" {
		return listedEntry{}, fmt.Errorf("git ls-files: unexpected entry %q", truncate(string(rec), 80))
	}
	mode, err := strconv.ParseUint(string(meta[0]), 8, 32)
	if err != nil {
		return listedEntry{}, fmt.Errorf("git ls-files: bad mode in entry %q", truncate(string(rec), 80))
	}
	if !isObjectID(string(meta[1])) {
		return listedEntry{}, fmt.Errorf("git ls-files: bad object id in entry %q", truncate(string(rec), 80))
	}
	stage, err := strconv.Atoi(string(meta[2]))
	if err != nil || stage < 0 || stage > 3 {
		return listedEntry{}, fmt.Errorf("git ls-files: bad stage in entry %q", truncate(string(rec), 80))
	}
	return listedEntry{
		path:  path,
		stage: stage,
		entry: &indexEntry{id: plumbing.NewHash(string(meta[1])), mode: filemode.FileMode(mode)},
	}, nil
}

// statFields records which stat fields a debug block supplied.
type statFields uint8

const (
	seenCtime statFields = 1 << iota
	seenMtime
	seenInode
	seenSize
	allStatFields = seenCtime | seenMtime | seenInode | seenSize
)

// parseDebugLine reads one indented line such as "  dev: 65024\tino: 42".
func (seen *statFields) parseDebugLine(e *indexEntry, line []byte) {
	for _, pair := range bytes.Split(line, []byte{'\t'}) {
		key, value, ok := bytes.Cut(bytes.TrimSpace(pair), []byte(": "))
		if !ok {
			continue
		}
		switch string(key) {
		case "ctime":
			if sec, nsec, ok := parseSecNsec(value); ok {
				e.stat.ctimeSec, e.stat.ctimeNsec = sec, nsec
				*seen |= seenCtime
			}
		case "mtime":
			if sec, nsec, ok := parseSecNsec(value); ok {
				e.stat.mtimeSec, e.stat.mtimeNsec = sec, nsec
				*seen |= seenMtime
			}
		case "ino":
			if v, err := strconv.ParseUint(string(value), 10, 32); err == nil {
				e.stat.inode = uint32(v)
				*seen |= seenInode
			}
		case "size":
			if v, err := strconv.ParseUint(string(value), 10, 32); err == nil {
				e.stat.size = uint32(v)
				*seen |= seenSize
			}
		case "flags":
			if v, err := strconv.ParseUint(string(value), 16, 32); err == nil {
				e.intentToAdd = v&ceIntentToAdd != 0
				e.skipWorktree = v&ceSkipWorktree != 0
			}
		}
	}
}

// parseSecNsec reads "SECONDS:NANOSECONDS".
func parseSecNsec(v []byte) (sec, nsec uint32, ok bool) {
	s, n, found := bytes.Cut(v, []byte{':'})
	if !found {
		return 0, 0, false
	}
	secs, err1 := strconv.ParseUint(string(s), 10, 32)
	nsecs, err2 := strconv.ParseUint(string(n), 10, 32)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uint32(secs), uint32(nsecs), true
}
