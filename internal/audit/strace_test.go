package audit

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TestStraceFollowsChildren traces a shell whose child reads a file, and
// a program it executes.
func TestStraceFollowsChildren(t *testing.T) {
	tr, err := Find(context.Background())
	if errors.Is(err, ErrUnavailable) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"in.txt", "other.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("sh", "-c", `cat in.txt > out.txt && sh -c 'cat other.txt' > /dev/null`)
	cmd.Dir = dir
	collect, cleanup, err := tr.Wrap(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	o, err := collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"in.txt", "other.txt"} {
		if !slices.Contains(o.Reads, filepath.Join(dir, want)) {
			t.Errorf("%s is not among the reads %q", want, o.Reads)
		}
	}
	if slices.Contains(o.Reads, filepath.Join(dir, "out.txt")) {
		t.Errorf("out.txt, written only, is among the reads")
	}
	cat, _ := exec.LookPath("cat")
	if !slices.ContainsFunc(o.Execs, func(p string) bool { return filepath.Base(p) == filepath.Base(cat) }) {
		t.Errorf("cat is not among the programs %q", o.Execs)
	}
}

func TestUnavailableWithoutStrace(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := Find(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Find without strace on PATH: %v, want ErrUnavailable", err)
	}
}
