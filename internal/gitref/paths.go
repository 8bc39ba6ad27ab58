package gitref

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// errNotInTree is what reading a path that a tree does not hold wraps, so
// callers can test for fs.ErrNotExist whichever tree they read.
var errNotInTree = fmt.Errorf("not in the tree: %w", fs.ErrNotExist)

// cleanPath turns a repository-relative, slash-separated path into the form
// trees are keyed by: "" for the root, no "./", no trailing slash. A path
// that leaves the repository is an error.
func cleanPath(p string) (string, error) {
	clean := path.Clean(p)
	switch {
	case clean == ".":
		return "", nil
	case strings.HasPrefix(clean, "/"):
		return "", fmt.Errorf("path %q is absolute; give it relative to the repository root", p)
	case clean == ".." || strings.HasPrefix(clean, "../"):
		return "", fmt.Errorf("path %q leaves the repository", p)
	}
	return clean, nil
}

// splitPath splits a clean non-root path into its folder ("" at the root)
// and its last name.
func splitPath(p string) (dir, name string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

// joinPath joins a clean folder path ("" for the root) and a name.
func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// displayPath names a path in messages, the root included.
func displayPath(p string) string {
	if p == "" {
		return "the root folder"
	}
	return p
}
