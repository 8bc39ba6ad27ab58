//go:build !linux

package gitref

import (
	"io/fs"
	"os"
	"path/filepath"
)

// statRoot stats paths relative to the repository root.
type statRoot struct{ root string }

func openStatRoot(root string) (statRoot, error) { return statRoot{root: root}, nil }

func (r statRoot) Close() {}

// Lstat is os.Lstat of the relative path rel.
func (r statRoot) Lstat(rel string) (fs.FileInfo, error) {
	return os.Lstat(filepath.Join(r.root, filepath.FromSlash(rel)))
}
