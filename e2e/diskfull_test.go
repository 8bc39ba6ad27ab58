package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const diskFullPipeline = `stages:
  small:
    cmd: mkdir -p out && echo small > out/small.txt
    outs: [out/small.txt]
  big:
    cmd: mkdir -p out && head -c 4194304 /dev/zero | tr '\000' b > out/big.bin
    outs: [out/big.bin]
`

// TestDiskFullDuringIngest puts .git/dds on a 2 MiB tmpfs and has a stage
// write 4 MiB: storing it fails with a message naming the disk and the fix,
// the stage is not recorded, nothing is left half-stored, and once there is
// room the next run completes. Mounting needs root; elsewhere the test is
// skipped.
func TestDiskFullDuringIngest(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: simulating a full disk mounts a 2 MiB tmpfs, which takes root")
	}
	s := newSandbox(t)
	mnt := s.path("small-disk")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("skipped: mounting a tmpfs failed (%v): %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", mnt, err, out)
		}
	})

	s.write("repo/dds.yaml", diskFullPipeline)
	s.must("repo", "git", "init", "-q")
	s.must("repo", "git", "add", "-A")
	s.must("repo", "git", "commit", "-q", "-m", "pipeline")
	// The store lives on the small disk through a link, as it would on a
	// machine whose .git/dds was moved to another disk.
	if err := os.Symlink(filepath.Join(mnt, "dds"), s.path("repo/.git/dds")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(mnt, "dds"), 0o755); err != nil {
		t.Fatal(err)
	}

	res := s.exec("repo", "git", "dds", "run")
	if res.code != 1 {
		t.Fatalf("git dds run on a full disk exited with %d, want 1:\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"stage big: storing out/big.bin", "no space left on device", "free space on the disk holding", "git dds run again"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	status := s.must("repo", "git", "dds", "status")
	if !strings.Contains(status, "big    stale") || !strings.Contains(status, "small  fresh") {
		t.Errorf("after the full disk, status says:\n%s", status)
	}
	if leftovers, _ := os.ReadDir(filepath.Join(mnt, "dds", "tmp")); len(leftovers) > 0 {
		t.Errorf("a failed ingest left %d temporary files in the store", len(leftovers))
	}
	if res := s.exec("repo", "git", "dds", "fsck"); res.code != 0 {
		t.Errorf("fsck after the full disk exited with %d:\n%s%s", res.code, res.stdout, res.stderr)
	}

	if out, err := exec.Command("mount", "-o", "remount,size=16m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("growing the tmpfs: %v: %s", err, out)
	}
	s.must("repo", "git", "dds", "run")
	status = s.must("repo", "git", "dds", "status")
	if strings.Contains(status, "stale") {
		t.Errorf("with room again, the run left stale stages:\n%s", status)
	}
}
