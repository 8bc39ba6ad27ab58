//go:build !linux

package gitref

import (
	"os"
	"path/filepath"
)

// statRoot stats paths relative to the repository root.
type statRoot struct{ root string }

func openStatRoot(root string) (statRoot, error) { return statRoot{root: root}, nil }

func (r statRoot) Close() {}

// lstat is os.Lstat of the relative path rel, reduced to what the overlay
// compares.
func (r statRoot) lstat(rel string) (diskStat, error) {
	info, err := os.Lstat(filepath.Join(r.root, filepath.FromSlash(rel)))
	if err != nil {
		return diskStat{}, err
	}
	return statOf(info), nil
}

// openDir opens a folder for listing.
func openDir(dir string) (*os.File, error) { return os.Open(dir) }
