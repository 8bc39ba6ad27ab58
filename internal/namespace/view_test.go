package namespace

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Committed gives the working tree's view itself when the working tree
// holds the commit's inputs, and the commit's own evaluation as soon as
// dds.yaml, a dep or a params file differs, staged or not.
func TestCommitted(t *testing.T) {
	ctx := context.Background()
	repo := testRepo(t)
	write := func(path, content string) {
		t.Helper()
		abs := filepath.Join(repo.Root, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(abs, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
		cmd.Dir = repo.Root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write("dds.yaml", "stages:\n  a: {cmd: make, deps: [src/a.py], params: {p.yaml: [k]}, outs: [out/a]}\n  b: {cmd: make, deps: [out/a], outs: [out/b]}\n")
	write("src/a.py", "print(1)\n")
	write("p.yaml", "k: 1\n")
	write("notes.md", "not read\n")
	git("add", "-A")
	git("commit", "-q", "-m", "one")
	_, head, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	loader := NewLoader(repo, os.LookupEnv)
	check := func(name string, same bool) {
		t.Helper()
		wt, err := loader.Load(ctx, WorktreeRev)
		if err != nil {
			t.Fatal(err)
		}
		got, err := loader.Committed(ctx, wt, head)
		if err != nil {
			t.Fatal(err)
		}
		if (got == wt) != same {
			t.Errorf("%s: Committed returned the working tree's view: %v, want %v", name, got == wt, same)
		}
		want, err := loader.Load(ctx, head)
		if err != nil {
			t.Fatal(err)
		}
		for i, sv := range want.Stages {
			if got.Stages[i].Signature != sv.Signature {
				t.Errorf("%s: stage %s signature %s, want the commit's %s", name, sv.Stage.Name, got.Stages[i].Signature, sv.Signature)
			}
		}
	}
	check("clean", true)
	write("notes.md", "edited, still not read\n")
	check("a file no stage reads", true)
	write("p.yaml", "k: 2\n")
	check("a params file", false)
	git("add", "p.yaml")
	check("a staged params file", false)
	git("checkout", "-q", "HEAD", "--", "p.yaml")
	write("src/a.py", "print(2)\n")
	check("a dep", false)
	git("checkout", "-q", "--", "src/a.py")
	write("dds.yaml", "stages:\n  a: {cmd: make2, deps: [src/a.py], params: {p.yaml: [k]}, outs: [out/a]}\n  b: {cmd: make, deps: [out/a], outs: [out/b]}\n")
	check("dds.yaml", false)
}
