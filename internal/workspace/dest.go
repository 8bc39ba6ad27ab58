package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/git-dds/git-dds/internal/signature"
)

// ErrUnsafeOutput marks an output path that would place content outside
// the working tree, in git's folder or in the store. A record naming one
// came from somewhere git dds does not trust: a remote, a shared store, an
// index changed by hand.
var ErrUnsafeOutput = errors.New("output path leaves the working tree")

// outputDest gives where the output at the slash path p goes in the
// working tree, after checking, at the point of use, that it stays there:
// p is a clean relative path with no ".." or ".git" segment, and no folder
// on the way is a symbolic link leading outside the working tree or into
// git's folder or the store. Records were checked when they arrived; this
// is the second line, for what a tampered index or store may hold.
func (w *Workspace) outputDest(p string) (string, error) {
	if err := signature.CheckOutputPath(p); err != nil {
		return "", fmt.Errorf("%w: %v; the record naming it was not written by git dds: git dds fsck --repair drops it", ErrUnsafeOutput, err)
	}
	root := w.Repo.Root
	dest := filepath.Join(root, filepath.FromSlash(p))
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	var forbidden []string
	for _, f := range []string{w.Repo.GitDir, w.Repo.CommonDir, w.Store.Dir()} {
		if real, err := filepath.EvalSymlinks(f); err == nil {
			f = real
		}
		// A working tree may itself live inside a bare repository's
		// folder; only what is beside it there is git's.
		if !within(f, realRoot) {
			forbidden = append(forbidden, f)
		}
	}
	// Walk down from the root: the first folder missing ends the walk,
	// since what does not exist yet is created as a plain folder.
	at := root
	segs := strings.Split(p, "/")
	for _, seg := range segs[:len(segs)-1] {
		at = filepath.Join(at, seg)
		info, err := os.Lstat(at)
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return "", err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		real, err := filepath.EvalSymlinks(at)
		if err != nil {
			return "", fmt.Errorf("%w: %s: folder %s is a symbolic link that does not resolve (%v); remove it, then run git dds checkout",
				ErrUnsafeOutput, p, at, err)
		}
		if !within(realRoot, real) {
			return "", fmt.Errorf("%w: %s: folder %s is a symbolic link to %s, outside the working tree; git dds writes outputs only inside it: replace the link with a folder, then run git dds checkout",
				ErrUnsafeOutput, p, at, real)
		}
		for _, f := range forbidden {
			if within(f, real) {
				return "", fmt.Errorf("%w: %s: folder %s is a symbolic link into %s, which holds git's or git dds's own files: remove the link, then run git dds checkout",
					ErrUnsafeOutput, p, at, f)
			}
		}
	}
	// The folders git and git dds keep may sit inside the working tree
	// under any name (GIT_DIR, dds.dir): an output must not land there.
	for _, f := range forbidden {
		if within(f, dest) || within(f, filepath.Join(realRoot, filepath.FromSlash(p))) {
			return "", fmt.Errorf("%w: %s is inside %s, which holds git's or git dds's own files; choose another output path in dds.yaml", ErrUnsafeOutput, p, f)
		}
	}
	return dest, nil
}

// within reports whether p is dir or inside it; both are absolute and
// clean.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
