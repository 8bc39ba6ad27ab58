package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestReadOnlyStore shares a store (dds.dir) that is then mounted
// read-only: status, ls and fsck still read it; run and checkout, which must
// write it, exit 3 with the cause (the path and "read-only file system")
// and the fix (a writable dds.dir), and no stage executes for nothing.
func TestReadOnlyStore(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: a read-only store is a read-only bind mount, which takes root")
	}
	s := newSandbox(t)
	s.write("repo/dds.yaml", `stages:
  small:
    cmd: mkdir -p out && echo small > out/small.txt
    outs: [out/small.txt]
`)
	s.must("repo", "git", "init", "-q")
	s.must("repo", "git", "add", "-A")
	s.must("repo", "git", "commit", "-q", "-m", "pipeline")
	store := s.path("store")
	if err := os.Mkdir(store, 0o755); err != nil {
		t.Fatal(err)
	}
	s.must("repo", "git", "config", "dds.dir", store)
	s.must("repo", "git", "dds", "run")

	if out, err := exec.Command("mount", "--bind", store, store).CombinedOutput(); err != nil {
		t.Skipf("skipped: bind-mounting the store failed (%v): %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", store).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", store, err, out)
		}
	})
	if out, err := exec.Command("mount", "-o", "remount,bind,ro", store).CombinedOutput(); err != nil {
		t.Fatalf("making the store read-only: %v: %s", err, out)
	}
	if err := os.Remove(s.path("repo/out/small.txt")); err != nil {
		t.Fatal(err)
	}

	if res := s.exec("repo", "git", "dds", "status"); res.code != 0 || !strings.Contains(res.stdout, "small  cached") {
		t.Errorf("status on a read-only store exited with %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
	if res := s.exec("repo", "git", "dds", "ls"); res.code != 0 || !strings.Contains(res.stdout, "out/small.txt") {
		t.Errorf("ls on a read-only store exited with %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
	if res := s.exec("repo", "git", "dds", "fsck"); res.code != 0 || !strings.Contains(res.stdout, "1 record") {
		t.Errorf("fsck on a read-only store exited with %d:\n%s%s", res.code, res.stdout, res.stderr)
	}

	wantAll := []string{"the store in " + store + " cannot be written", "read-only file system", "point git config dds.dir at a writable folder"}
	check := func(name string, res result) {
		t.Helper()
		if res.code != 3 {
			t.Errorf("%s on a read-only store exited with %d, want 3:\n%s%s", name, res.code, res.stdout, res.stderr)
		}
		for _, want := range wantAll {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("%s on a read-only store: stderr lacks %q:\n%s", name, want, res.stderr)
			}
		}
		if strings.Contains(res.stderr, "unlocking") {
			t.Errorf("%s on a read-only store speaks of unlocking:\n%s", name, res.stderr)
		}
	}
	check("git dds checkout", s.exec("repo", "git", "dds", "checkout"))

	// A stage to execute: its result could not be stored, so it must not
	// run at all.
	s.write("repo/dds.yaml", `stages:
  small:
    cmd: mkdir -p out && echo ran > ran.txt && echo changed > out/small.txt
    outs: [out/small.txt]
`)
	check("git dds run", s.exec("repo", "git", "dds", "run"))
	if _, err := os.Stat(s.path("repo/ran.txt")); err == nil {
		t.Errorf("git dds run on a read-only store executed a stage whose outputs it could not store")
	}
}
