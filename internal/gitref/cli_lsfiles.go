package gitref

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

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
	snap := newSnapshot(len(listed), written)
	var text strings.Builder
	for _, l := range listed {
		newSlot, err := snap.add(l.path, l.stage, *l.entry)
		if err != nil {
			return nil, err
		}
		if newSlot {
			text.WriteString(l.path)
		}
	}
	snap.finish(text.String())
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
