package store

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// FlushAhead runs beside a command, over paths the command may have made
// anything: a FIFO must not block it (stop would then never return), and
// nothing it touches may change.
func TestFlushAheadLeavesOutputsAlone(t *testing.T) {
	s, _ := newStore(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "out.bin")
	writeFile(t, file, "content", false)
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	paths := []string{fifo, file, link, dir, filepath.Join(dir, "missing")}

	stopped := make(chan struct{})
	go func() {
		stop := s.FlushAhead(paths, Hardlink)
		time.Sleep(3 * flushAheadEvery)
		stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("FlushAhead did not stop: a FIFO among the outputs blocked it")
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "content" {
		t.Errorf("the output reads %q, %v after FlushAhead", b, err)
	}
	if target, err := os.Readlink(link); err != nil || target != file {
		t.Errorf("the symlink reads %q, %v", target, err)
	}
}
