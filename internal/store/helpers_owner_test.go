package store

import (
	"io/fs"
	"path/filepath"
	"testing"
)

// tempFiles lists the temporary files under the store's tmp folder, but
// the lock of this process's own folder.
func tempFiles(t *testing.T, ddsDir string) []string {
	t.Helper()
	var files []string
	_ = filepath.WalkDir(filepath.Join(ddsDir, "tmp"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != ownerLockName {
			files = append(files, path)
		}
		return nil
	})
	return files
}
