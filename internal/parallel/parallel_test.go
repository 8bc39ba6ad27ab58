package parallel

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

func TestForEach(t *testing.T) {
	for _, tt := range []struct{ n, workers int }{{0, 4}, {1, 4}, {100, 1}, {100, 8}, {5, 0}} {
		var seen [100]atomic.Int32
		var running, most atomic.Int32
		err := ForEach(context.Background(), tt.n, tt.workers, func(_ context.Context, i int) error {
			now := running.Add(1)
			for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
			}
			seen[i].Add(1)
			running.Add(-1)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := range tt.n {
			if c := seen[i].Load(); c != 1 {
				t.Errorf("n=%d workers=%d: item %d ran %d times", tt.n, tt.workers, i, c)
			}
		}
		if limit := int32(max(tt.workers, 1)); most.Load() > limit {
			t.Errorf("n=%d workers=%d: %d at once", tt.n, tt.workers, most.Load())
		}
	}
}

func TestForEachStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	var ran atomic.Int32
	err := ForEach(context.Background(), 1000, 1, func(_ context.Context, i int) error {
		ran.Add(1)
		if i == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || ran.Load() != 4 {
		t.Errorf("ForEach = %v after %d items; want boom after 4", err, ran.Load())
	}
}

func TestForEachStopsWhenCancelled(t *testing.T) {
	for _, workers := range []int{1, 4} {
		ctx, cancel := context.WithCancel(context.Background())
		var ran atomic.Int32
		// The first item cancels; every other waits for it, so that no
		// worker can run the list to its end before the cancel lands.
		err := ForEach(ctx, 1000, workers, func(ctx context.Context, i int) error {
			if ran.Add(1) == 1 {
				cancel()
			} else {
				<-ctx.Done()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) || ran.Load() >= 1000 {
			t.Errorf("workers=%d: ForEach = %v after %d items; want context.Canceled before the end", workers, err, ran.Load())
		}
	}
}
