package index

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// MoveAside renames the index folder of ddsDir to
// index.damaged-<UTC time>, so that the next Open starts an empty index,
// and returns the new name ("" when there was no index). A damaged index
// cannot be opened, so it takes the lock Open takes, waiting as Open does
// (see Options), and holds it meanwhile.
func MoveAside(ctx context.Context, ddsDir string, opts Options) (string, error) {
	// Moving is a write: a store no one here can write fails to lock.
	opts.ReadOnly = false
	lock, err := acquireLock(ctx, ddsDir, opts)
	if err != nil {
		return "", err
	}
	aside, err := moveAside(ddsDir)
	return aside, errors.Join(err, lock.release())
}

func moveAside(ddsDir string) (string, error) {
	dir := filepath.Join(ddsDir, dirName)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	stamp := time.Now().UTC().Format("20060102T150405Z")
	aside := filepath.Join(ddsDir, dirName+".damaged-"+stamp)
	for n := 2; ; n++ {
		if _, err := os.Lstat(aside); errors.Is(err, fs.ErrNotExist) {
			break
		}
		aside = filepath.Join(ddsDir, fmt.Sprintf("%s.damaged-%s-%d", dirName, stamp, n))
	}
	if err := os.Rename(dir, aside); err != nil {
		return "", fmt.Errorf("moving the damaged index aside: %w", err)
	}
	return aside, nil
}
