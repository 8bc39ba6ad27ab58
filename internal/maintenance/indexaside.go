package maintenance

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"

	"github.com/git-dds/git-dds/internal/index"
)

// moveIndexAside renames the index folder of ddsDir to
// index.damaged-<UTC time>, so that the next open starts an empty index,
// and returns the new name. It holds the index lock meanwhile, as
// index.Open does: a damaged index cannot be opened, so the lock is
// taken here, on the same file.
func moveIndexAside(ctx context.Context, ddsDir string, opts index.Options) (string, error) {
	lock := flock.New(filepath.Join(ddsDir, "index.lock"))
	ok, err := lock.TryLock()
	if err != nil {
		return "", fmt.Errorf("locking the index: %w", err)
	}
	if !ok {
		wait := opts.Wait
		if wait < 0 {
			return "", fmt.Errorf("%w: another git dds holds it; try again when it finishes", index.ErrBusy)
		}
		if wait == 0 {
			wait = time.Minute
		}
		if opts.Notify != nil {
			opts.Notify("waiting for another git dds to release the index...")
		}
		waitCtx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		if ok, err = lock.TryLockContext(waitCtx, 50*time.Millisecond); !ok {
			return "", fmt.Errorf("%w: another git dds holds it; try again when it finishes (%w)", index.ErrBusy, err)
		}
	}
	defer lock.Unlock()

	index := filepath.Join(ddsDir, "index")
	if _, err := os.Stat(index); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	stamp := time.Now().UTC().Format("20060102T150405Z")
	aside := filepath.Join(ddsDir, "index.damaged-"+stamp)
	for n := 2; ; n++ {
		if _, err := os.Lstat(aside); errors.Is(err, fs.ErrNotExist) {
			break
		}
		aside = filepath.Join(ddsDir, fmt.Sprintf("index.damaged-%s-%d", stamp, n))
	}
	if err := os.Rename(index, aside); err != nil {
		return "", fmt.Errorf("moving the damaged index aside: %w", err)
	}
	return aside, nil
}
