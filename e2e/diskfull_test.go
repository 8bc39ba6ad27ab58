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
    cmd: mkdir -p out && head -c 25165824 /dev/zero | tr '\000' b > out/big.bin
    outs: [out/big.bin]
`

// TestDiskFullDuringIngest puts .git/dds on a 20 MiB tmpfs, room enough
// for the index, and has a stage write 24 MiB: storing it fails with a
// message naming the disk and the fix, the stage is not recorded, nothing is
// left half-stored, and once there is room the next run completes. Mounting
// needs root; elsewhere the test is skipped.
func TestDiskFullDuringIngest(t *testing.T) {
	s := newSandbox(t)
	mnt := smallDisk(t, s, "20m")

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
	if leftovers := storeTemps(s, "repo"); len(leftovers) > 0 {
		t.Errorf("a failed ingest left %d temporary files in the store", len(leftovers))
	}
	if res := s.exec("repo", "git", "dds", "fsck"); res.code != 0 {
		t.Errorf("fsck after the full disk exited with %d:\n%s%s", res.code, res.stdout, res.stderr)
	}

	if out, err := exec.Command("mount", "-o", "remount,size=64m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("growing the tmpfs: %v: %s", err, out)
	}
	s.must("repo", "git", "dds", "run")
	status = s.must("repo", "git", "dds", "status")
	if strings.Contains(status, "stale") {
		t.Errorf("with room again, the run left stale stages:\n%s", status)
	}
}

// smallDisk mounts a tmpfs of size (e.g. "32m") in the sandbox and gives
// its path; it skips the test where mounting is not allowed.
func smallDisk(t *testing.T, s *sandbox, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: simulating a full disk mounts a tmpfs, which takes root")
	}
	mnt := s.path("small-disk")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("skipped: mounting a tmpfs failed (%v): %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", mnt, err, out)
		}
	})
	return mnt
}

// fillDisk writes a file on the disk mounted at mnt until it is full, and
// gives the file's path.
func fillDisk(t *testing.T, mnt string) string {
	t.Helper()
	fill := filepath.Join(mnt, "fill")
	f, err := os.Create(fill)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	return fill
}

// TestDiskFullIndex fills the disk holding .git/dds once a pipeline is
// computed, then runs every command that writes the index, and a hook:
// each ends with exit 3 and a message that says the disk is full and which
// folder to free, never with a crash inside the index; status, ls and fsck still read
// the index meanwhile, and once there is room everything works again.
func TestDiskFullIndex(t *testing.T) {
	s := newSandbox(t)
	mnt := smallDisk(t, s, "48m")
	s.write("repo/dds.yaml", diskFullPipeline)
	s.must("repo", "git", "init", "-q")
	s.must("repo", "git", "add", "-A")
	s.must("repo", "git", "commit", "-q", "-m", "pipeline")
	if err := os.Mkdir(filepath.Join(mnt, "dds"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(mnt, "dds"), s.path("repo/.git/dds")); err != nil {
		t.Fatal(err)
	}
	s.must("repo", "git", "dds", "install")
	s.must("repo", "git", "dds", "run")
	if err := os.Remove(s.path("repo/out/small.txt")); err != nil {
		t.Fatal(err)
	}

	fill := fillDisk(t, mnt)
	ddsDir := s.path("repo/.git/dds")
	crashed := func(stderr string) bool {
		return strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "SIGBUS") || strings.Contains(stderr, "fatal error")
	}
	for _, args := range [][]string{
		{"fsck", "--repair"}, {"run"}, {"checkout"}, {"gc"}, {"hook", "post-commit"},
	} {
		// An output to restore, so that run and checkout have a note
		// to write.
		if err := os.RemoveAll(s.path("repo/out/small.txt")); err != nil {
			t.Fatal(err)
		}
		res := s.exec("repo", "git", append([]string{"dds"}, args...)...)
		name := "git dds " + strings.Join(args, " ")
		if crashed(res.stderr) {
			t.Errorf("%s on a full disk crashed (exit %d):\n%.2000s", name, res.code, res.stderr)
			continue
		}
		// A hook warns and lets git go on; every command exits 3.
		if want := 3; args[0] != "hook" && res.code != want {
			t.Errorf("%s on a full disk exited with %d, want %d:\n%s%s", name, res.code, want, res.stdout, res.stderr)
		}
		for _, want := range []string{"no space left on device", "free space on the disk holding " + ddsDir} {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("%s on a full disk: stderr lacks %q:\n%s", name, want, res.stderr)
			}
		}
	}
	// A hook never stops git: the commit lands, and the warning says why
	// the hook could not do its work.
	res := s.exec("repo", "git", "commit", "-q", "--allow-empty", "-m", "on a full disk")
	if res.code != 0 || crashed(res.stderr) || !strings.Contains(res.stderr, "no space left on device") {
		t.Errorf("git commit on a full disk exited with %d; its hook said:\n%.2000s", res.code, res.stderr)
	}
	// Reading needs no room.
	for _, cmd := range []string{"status", "ls", "fsck"} {
		if res := s.exec("repo", "git", "dds", cmd); res.code != 0 || !strings.Contains(res.stdout, "record") && !strings.Contains(res.stdout, "small") {
			t.Errorf("git dds %s on a full disk exited with %d:\n%s%.2000s", cmd, res.code, res.stdout, res.stderr)
		}
	}

	if err := os.Remove(fill); err != nil {
		t.Fatal(err)
	}
	status := s.must("repo", "git", "dds", "status")
	if !strings.Contains(status, "big    fresh") {
		t.Errorf("once room is made, status says:\n%s", status)
	}
	if res := s.exec("repo", "git", "dds", "fsck"); res.code != 0 {
		t.Errorf("fsck once room is made exited with %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
	s.must("repo", "git", "dds", "checkout")
	if got, err := os.ReadFile(s.path("repo/out/small.txt")); err != nil || string(got) != "small\n" {
		t.Errorf("checkout once room is made left out/small.txt = %q, %v", got, err)
	}
}
