package gitref

import (
	"context"
	"os"
	"path/filepath"
)

// An overlay refreshes git's index only when what it hashed in vain is
// worth a git process and git's own pass over the index: that pass lstats
// every tracked file and hashes the stale ones once more, so it pays for
// itself within a few later statuses only if they would each hash enough.
// A hundredth of the tracked files (at least staleFilesMin), or
// staleBytesMin of content whatever the count, is that point: below it
// the hashing every status repeats costs a few milliseconds, about what a
// git process costs to start.
const (
	staleFilesMin  = 64
	staleFilesPart = 100
	staleBytesMin  = 64 << 20
)

// StaleStat reports how many tracked files this overlay hashed only because
// their stat data no longer matched git's index, their content being
// unchanged.
func (o *Overlay) StaleStat() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.staleFiles
}

// RefreshGitIndex has git refresh its index's stat data when this overlay
// hashed enough files whose content the index already holds, as git status
// rewrites the index on its way: after a cp -a every file has a new inode
// and ctime, and each status would hash every dep again until git
// rewrote the index. It reports whether git was asked.
//
// git update-index --refresh changes stat data only: it stages nothing and
// takes git's index.lock, so a git command at work makes it fail, which is
// ignored, as git status ignores it. It is not asked when the index is not
// the repository's own (a hook's temporary index, GIT_INDEX_FILE), when
// GIT_OPTIONAL_LOCKS=0 asks git itself to take no optional lock, or when
// the index changed since the overlay read it (someone else wrote it).
func (o *Overlay) RefreshGitIndex(ctx context.Context) bool {
	o.mu.Lock()
	stale, staleBytes, tracked := o.staleFiles, o.staleBytes, o.index.len()
	o.mu.Unlock()
	worth := stale >= max(staleFilesMin, tracked/staleFilesPart) || staleBytes >= staleBytesMin
	if !worth || !o.repo.ownIndex() || os.Getenv("GIT_OPTIONAL_LOCKS") == "0" {
		return false
	}
	info, err := os.Stat(o.repo.indexPath)
	if err != nil || o.index.stamp == "" || indexStamp(info) != o.index.stamp {
		return false
	}
	// Not cancelled with ctx: a git killed while it holds index.lock
	// leaves the lock behind, and every later git command fails on it.
	// An interrupt reaches git too, which removes its lock as it exits.
	_, _ = o.repo.runGit(context.WithoutCancel(ctx), nil, "update-index", "-q", "--ignore-submodules", "--refresh")
	return true
}

// ownIndex reports whether the index is the working tree's own file rather
// than one a hook or script named in GIT_INDEX_FILE, such as the
// index.lock of a commit in progress.
func (r *Repo) ownIndex() bool {
	return r.indexPath == filepath.Join(r.GitDir, "index")
}
