package index

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMoveAside(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix, err := Open(ctx, dir, Options{Wait: -1})
	if err != nil {
		t.Fatal(err)
	}
	// The open index holds the lock: moving it aside must wait for it.
	if _, err := MoveAside(ctx, dir, Options{Wait: -1}); !errors.Is(err, ErrBusy) {
		t.Errorf("MoveAside beside an open index = %v; want ErrBusy", err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	aside, err := MoveAside(ctx, dir, Options{Wait: -1})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(aside), "index.damaged-") {
		t.Errorf("the index moved to %s", aside)
	}
	if _, err := os.Stat(filepath.Join(dir, "index")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the index is still in place: %v", err)
	}
	// The lock is free again, and there is nothing left to move.
	if again, err := MoveAside(ctx, dir, Options{Wait: -1}); again != "" || err != nil {
		t.Errorf("MoveAside with no index = %q, %v", again, err)
	}
}
