package index

import (
	"context"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// TestReopenWhileForking reopens the index while other goroutines start
// processes, as run -j does: a child forked while the index is open holds
// a copy of its descriptors until it execs, and that must not make the
// next open fail.
func TestReopenWhileForking(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					_ = exec.Command("true").Run()
				}
			}
		})
	}
	defer func() {
		close(stop)
		wg.Wait()
	}()
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
		ix, err := Open(ctx, dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
