package gitref

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/git-dds/git-dds/internal/parallel"
)

// hashFile returns the blob id of a file's bytes, streaming them: data
// files can be large.
func hashFile(abs string) (plumbing.Hash, error) {
	f, err := os.Open(abs)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	h := plumbing.NewHasher(plumbing.BlobObject, info.Size())
	n, err := io.Copy(h, io.LimitReader(f, info.Size()))
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if n != info.Size() {
		return plumbing.ZeroHash, fmt.Errorf("it shrank from %d to %d bytes while being read; try again once it is written", info.Size(), n)
	}
	return h.Sum(), nil
}

// Stat and hash workers: enough to keep a disk's queue busy, few enough
// for a laptop. Each gets at least filesPerWorker files; a batch too small
// for two runs on the caller's goroutine.
const (
	maxWorkers     = 8
	filesPerWorker = 32
)

// forEachParallel calls fn(i) for every i in [0, n) on a few goroutines,
// and returns the first error, or ctx's once it is done.
func forEachParallel(ctx context.Context, n int, fn func(i int) error) error {
	return parallel.ForEach(ctx, n, min(maxWorkers, n/filesPerWorker), func(_ context.Context, i int) error { return fn(i) })
}
