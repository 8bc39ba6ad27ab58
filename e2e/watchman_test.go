package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestStatusWatchman runs git dds status with the file-system monitor git
// ships for Watchman (the fsmonitor-watchman hook of git's templates) as
// core.fsmonitor, through a series of changes to the working tree: after
// each, status with the monitor answers byte for byte what a status
// without it answers. It is skipped where Watchman is not installed;
// status_fsmonitor.txtar tests the protocol everywhere with a polling
// hook.
func TestStatusWatchman(t *testing.T) {
	if _, err := exec.LookPath("watchman"); err != nil {
		t.Skip("skipped: watchman is not installed")
	}
	if _, err := exec.LookPath("perl"); err != nil {
		t.Skip("skipped: git's Watchman hook is a perl script, and perl is not installed")
	}
	s := newSandbox(t)
	s.write("repo/dds.yaml", `stages:
  count:
    cmd: mkdir -p out && cat data/*.txt | wc -l > out/count.txt
    deps: [data]
    outs: [out/count.txt]
  deep:
    cmd: mkdir -p out && cat data/sub/* > out/deep.txt
    deps: [data/sub]
    outs: [out/deep.txt]
`)
	for i := range 200 {
		s.write(fmt.Sprintf("repo/data/f%03d.txt", i), fmt.Sprintf("row %d\n", i))
	}
	s.write("repo/data/sub/a.txt", "a\n")
	s.write("repo/data/sub/b.txt", "b\n")
	s.must("repo", "git", "init", "-q")
	hook, err := os.ReadFile(s.path("repo/.git/hooks/fsmonitor-watchman.sample"))
	if err != nil {
		t.Skipf("skipped: git's templates have no fsmonitor-watchman hook: %v", err)
	}
	s.write("repo/.git/hooks/query-watchman", string(hook))
	if err := os.Chmod(s.path("repo/.git/hooks/query-watchman"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The server lives in the sandbox's TMPDIR: it is this test's own.
	t.Cleanup(func() {
		_ = s.command("repo", "watchman", "watch-del", s.path("repo")).Run()
		_ = s.command("repo", "watchman", "shutdown-server").Run()
	})
	s.must("repo", "git", "add", "-A")
	s.must("repo", "git", "commit", "-q", "-m", "data")
	s.must("repo", "git", "dds", "run")
	s.must("repo", "git", "config", "core.fsmonitor", ".git/hooks/query-watchman")

	same := func(step string) {
		t.Helper()
		for _, args := range [][]string{{"dds", "status", "--json"}, {"dds", "status"}} {
			with := s.exec("repo", "git", args...)
			without := s.exec("repo", "git", append([]string{"-c", "core.fsmonitor="}, args...)...)
			if with != without {
				t.Fatalf("%s: git %s with Watchman:\n%s%s(exit %d)\nwithout:\n%s%s(exit %d)", step, strings.Join(args, " "),
					with.stdout, with.stderr, with.code, without.stdout, without.stderr, without.code)
			}
		}
	}
	same("the first status, which sets the watch up")
	same("the second status")
	state, err := os.ReadFile(s.path("repo/.git/dds-fsmonitor"))
	if err != nil || !strings.Contains(string(state), "\nc:") {
		t.Fatalf("status saved no Watchman clock as its token (%v):\n%.200q", err, state)
	}
	steps := []struct{ name, sh string }{
		{"an edit", `echo "row 3, edited" > data/f003.txt`},
		{"the edit undone", `git -c core.fsmonitor= checkout -q -- data`},
		{"a file deleted", `rm data/sub/b.txt`},
		{"a file added, untracked", `echo new > data/sub/c.txt`},
		{"a file replaced by a symlink", `rm data/f010.txt && ln -s f011.txt data/f010.txt`},
		{"a mode changed", `chmod +x data/f020.txt`},
		{"stat data alone", `touch data/f030.txt`},
		{"a folder replaced", `rm -r data/sub && mkdir data/sub && echo a > data/sub/a.txt && echo x > data/sub/b.txt`},
		{"all restored", `rm -f data/sub/c.txt && git -c core.fsmonitor= checkout -q -- data`},
	}
	for _, step := range steps {
		s.must("repo", "sh", "-c", step.sh)
		same(step.name)
		same(step.name + ", asked again")
	}
}
