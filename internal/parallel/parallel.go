// Package parallel runs the items of a list on a few goroutines.
package parallel

import (
	"context"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// ForEach calls fn for 0..n-1 on at most workers goroutines, and stops at
// the first error, which it returns (or ctx's, once it is done). A few
// workers take the indexes in turn rather than a goroutine per item: an
// item that calls deep into a library would grow a fresh stack every time.
// With one worker or fewer, the items run on the caller's goroutine.
func ForEach(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	if workers <= 1 {
		for i := range n {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(ctx, i); err != nil {
				return err
			}
		}
		return nil
	}
	g, ctx := errgroup.WithContext(ctx)
	var next atomic.Int64
	for range min(workers, n) {
		g.Go(func() error {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return nil
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := fn(ctx, i); err != nil {
					return err
				}
			}
		})
	}
	return g.Wait()
}
