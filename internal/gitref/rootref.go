package gitref

import (
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// maxRootRefSize bounds the read of a root ref's file: one id and a line
// feed. A larger file holds something else (FETCH_HEAD's list, several
// MERGE_HEAD lines), which git reads.
const maxRootRefSize = 64

// readRootRef reads a root ref such as ORIG_HEAD or CHERRY_PICK_HEAD from
// its file in the worktree's git folder, where git looks for it first
// (before refs/NAME and the other rules), without starting a git. The
// post-merge and post-rewrite hooks resolve ORIG_HEAD at every merge and
// rebase, where a git process is a large part of the hook's own time.
// Only a file holding exactly one full object id is read here; a missing
// file, a symbolic ref or anything else leaves the answer to git (ok
// false). Every version of git reads a capitalised name ending in _HEAD
// from the git folder; other capitalised names only some versions read.
func (r *Repo) readRootRef(name string) (plumbing.Hash, bool) {
	if name == "HEAD" || !strings.HasSuffix(name, "_HEAD") ||
		strings.Trim(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != "" || r.GitDir == "" {
		return plumbing.ZeroHash, false
	}
	data, ok := readSmallFile(filepath.Join(r.GitDir, name), maxRootRefSize)
	if !ok {
		return plumbing.ZeroHash, false
	}
	id := strings.TrimSuffix(string(data), "\n")
	if !isObjectID(id) {
		return plumbing.ZeroHash, false
	}
	return r.peelToCommit(plumbing.NewHash(id))
}
