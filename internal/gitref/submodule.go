package gitref

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// A submodule is a commit id in its superproject's trees (a gitlink), and a
// repository of its own on disk. git dds reads a submodule the way git
// status and git commit -a do: the working tree's submodule is the commit
// it has checked out, a commit's is the gitlink the commit records. A path
// inside a submodule stands for the submodule itself: its files live in
// another repository's objects, which a commit of the superproject does not
// hold, so a dep on one changes whenever the submodule's commit does.

// submoduleHead returns the commit the submodule at abs has checked out.
// ok is false when none is: the submodule is not initialized (no .git in
// its folder) or its HEAD names no commit yet; git then keeps the gitlink
// the index holds, and so does the caller.
func submoduleHead(abs string) (id plumbing.Hash, ok bool, err error) {
	if _, err := os.Lstat(filepath.Join(abs, ".git")); errors.Is(err, fs.ErrNotExist) {
		return plumbing.ZeroHash, false, nil
	} else if err != nil {
		return plumbing.ZeroHash, false, err
	}
	storage, err := openGitDirOf(abs)
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("opening the submodule's repository: %w", err)
	}
	head, err := storer.ResolveReference(storage, plumbing.HEAD)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, false, nil
	}
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("reading the submodule's HEAD: %w", err)
	}
	return head.Hash(), true, nil
}

// enclosingSubmodule finds the submodule entry of the index that holds p,
// a path no index entry names: the nearest folder above p that the index
// holds as something decides. Callers hold o.mu.
func (o *Overlay) enclosingSubmodule(p string) (*indexEntry, bool) {
	for dir := parentDir(p); dir != ""; dir = parentDir(dir) {
		if e, isFile := o.index.entry(dir); isFile {
			return e, e.mode == filemode.Submodule
		}
		if o.index.isDir(dir) {
			return nil, false
		}
	}
	return nil, false
}

// submoduleLacks reports whether the submodule at sub, checked out, has
// nothing at p: a misspelt dep inside it is then reported as missing. A
// submodule that is not initialized cannot tell, and lacks nothing. Callers
// hold o.mu.
func (o *Overlay) submoduleLacks(sub, p string) bool {
	if _, err := os.Lstat(filepath.Join(o.abs(sub), ".git")); err != nil {
		return false
	}
	_, err := os.Lstat(o.abs(p))
	return isMissing(err)
}

// enclosingSubmodule finds the gitlink of the tree that holds p, a path
// the tree does not name. Callers hold t.repo.objects.
func (t *objectTree) enclosingSubmodule(p string) (plumbing.Hash, bool, error) {
	for dir := parentDir(p); dir != ""; dir = parentDir(dir) {
		e, ok, err := t.entry(dir)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		if ok {
			return e.id, e.mode == filemode.Submodule, nil
		}
	}
	return plumbing.ZeroHash, false, nil
}
