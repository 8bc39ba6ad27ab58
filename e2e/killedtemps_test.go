package e2e

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const bigOutputPipeline = `stages:
  big:
    cmd: mkdir -p out && head -c 100000000 /dev/urandom > out/big.bin
    outs: [out/big.bin]
`

// killWhen starts git-dds with args in dir and kills it with SIGKILL as
// soon as seen() is true, or lets it end; it reports whether the kill
// came before the end.
func killWhen(t *testing.T, s *sandbox, dir string, seen func() bool, args ...string) bool {
	t.Helper()
	cmd := exec.Command(filepath.Join(gitDDSDir, "git-dds"), args...)
	cmd.Dir = s.path(dir)
	cmd.Env = s.env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case <-done:
			return false
		case <-time.After(2 * time.Millisecond):
		}
		if seen() {
			_ = cmd.Process.Kill()
			<-done
			return true
		}
	}
}

// storeTemps lists the files under .git/dds/tmp but the owner locks of
// processes' own folders.
func storeTemps(s *sandbox, repo string) []string {
	var files []string
	_ = filepath.WalkDir(s.path(repo+"/.git/dds/tmp"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != "owner.lock" {
			files = append(files, path)
		}
		return nil
	})
	return files
}

// TestKilledIngestTempsAreReclaimed kills git dds run while it stores a
// 100 MB output, three times: each kill leaves a temporary object in
// .git/dds/tmp. The next command that writes the index reclaims them at
// once, seconds old: their owners are dead. The same for the temporary
// name a killed checkout builds an output under, beside it.
func TestKilledIngestTempsAreReclaimed(t *testing.T) {
	s := newSandbox(t)
	s.write("repo/dds.yaml", bigOutputPipeline)
	s.must("repo", "git", "init", "-q")
	s.must("repo", "git", "add", "-A")
	s.must("repo", "git", "commit", "-q", "-m", "pipeline")

	kills := 0
	for attempt := 0; attempt < 20 && kills < 3; attempt++ {
		before := len(storeTemps(s, "repo"))
		if killWhen(t, s, "repo", func() bool { return len(storeTemps(s, "repo")) > before }, "run") {
			kills++
		}
	}
	left := storeTemps(s, "repo")
	if kills == 0 || len(left) == 0 {
		t.Skipf("skipped: no kill landed while an output was stored (%d kills, %d files left)", kills, len(left))
	}
	t.Logf("%d kills left %d temporary files", kills, len(left))

	s.must("repo", "git", "dds", "run")
	if left := storeTemps(s, "repo"); len(left) > 0 {
		t.Errorf("after %d killed ingests, the next run left %d temporary files of dead processes: %s", kills, len(left), strings.Join(left, ", "))
	}

	// A checkout killed while it builds the output beside its place.
	want, err := os.ReadFile(s.path("repo/out/big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	worktreeTemps := func() []string {
		m, _ := filepath.Glob(s.path("repo/out/.big.bin.dds-tmp-*"))
		return m
	}
	landed := false
	for attempt := 0; attempt < 20 && !landed; attempt++ {
		if err := os.Remove(s.path("repo/out/big.bin")); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		landed = killWhen(t, s, "repo", func() bool { return len(worktreeTemps()) > 0 }, "checkout") && len(worktreeTemps()) > 0
	}
	if !landed {
		t.Skip("skipped: no kill landed while checkout built the output")
	}
	s.must("repo", "git", "dds", "checkout")
	if left := worktreeTemps(); len(left) > 0 {
		t.Errorf("the next checkout left the temporary names a killed checkout made: %s", strings.Join(left, ", "))
	}
	if got, _ := os.ReadFile(s.path("repo/out/big.bin")); string(got) != string(want) {
		t.Errorf("out/big.bin after the checkouts differs from what the run wrote")
	}
	if res := s.exec("repo", "git", "dds", "fsck"); res.code != 0 {
		t.Errorf("fsck exited with %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
}
