package e2e

import (
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zeebo/blake3"
)

// TestLateWriters has a stage whose command returns while a process it
// started keeps writing its output for longer than run waits for it (2 s):
// a background job with its output redirected, and one that left the
// session with setsid. In copy and in hardlink mode, the run must not
// record what is still being written: the stage fails, naming the
// processes it ended, and the late write never lands; nothing in the store
// differs from its id (fsck). A job that ends within the wait is waited
// for, and its bytes are recorded, as they are once the command waits for
// its job itself.
func TestLateWriters(t *testing.T) {
	for _, link := range []string{"copy", "hardlink"} {
		for name, late := range map[string]string{
			"background": `(sleep 3; echo late >> out/x.txt) >/dev/null 2>&1 &`,
			"setsid":     `setsid sh -c 'sleep 3; echo late >> out/x.txt' </dev/null >/dev/null 2>&1 &`,
		} {
			t.Run(link+"/"+name, func(t *testing.T) {
				s := newSandbox(t)
				s.write("repo/dds.yaml", "stages:\n  x:\n    cmd: mkdir -p out && echo first > out/x.txt && "+late+"\n    outs: [out/x.txt]\n")
				s.must("repo", "git", "init", "-q")
				s.must("repo", "git", "config", "dds.link", link)
				s.must("repo", "git", "add", "-A")
				s.must("repo", "git", "commit", "-q", "-m", "pipeline")

				res := s.exec("repo", "git", "dds", "run")
				time.Sleep(1500 * time.Millisecond) // past the late write, 3 s after the start
				if res.code != 1 || !strings.Contains(res.stderr, "left processes running") || !strings.Contains(res.stderr, "nothing was recorded") {
					t.Errorf("git dds run of a stage leaving a writer behind exited with %d, want 1 and a message:\n%s%s", res.code, res.stdout, res.stderr)
				}
				if got, _ := os.ReadFile(s.path("repo/out/x.txt")); strings.Contains(string(got), "late") {
					t.Errorf("the late writer still wrote out/x.txt: %q", got)
				}
				if res := s.exec("repo", "git", "dds", "fsck"); res.code != 0 {
					t.Errorf("fsck after a late writer exited with %d:\n%s%s", res.code, res.stdout, res.stderr)
				}
				if status := s.must("repo", "git", "dds", "status"); !strings.Contains(status, "x  stale") {
					t.Errorf("after a stage that failed, status says:\n%s", status)
				}

				// A job that ends within the wait, and the fix the message
				// gives: wait for the job.
				for i, cmd := range []string{
					strings.ReplaceAll(late, "sleep 3", "sleep 1"),
					strings.ReplaceAll(late, "sleep 3", "sleep 1") + " wait",
				} {
					s.write("repo/dds.yaml", "stages:\n  x:\n    cmd: mkdir -p out && echo first > out/x.txt && "+cmd+"\n    outs: [out/x.txt]\n")
					s.must("repo", "git", "add", "-A")
					s.must("repo", "git", "commit", "-q", "-m", "waited "+strconv.Itoa(i))
					s.must("repo", "git", "dds", "run")
					if got, _ := os.ReadFile(s.path("repo/out/x.txt")); string(got) != "first\nlate\n" {
						t.Errorf("%s: out/x.txt is %q", cmd, got)
					}
					checkFreshBytes(t, s, "repo", "out/x.txt", "first\nlate\n")
				}
			})
		}
	}
}

// checkFreshBytes checks that the store is whole (fsck rehashes every
// object against its id), that status calls the stages fresh, and that the
// record of out names the content id of want, the bytes a user expects.
func checkFreshBytes(t *testing.T, s *sandbox, repo, out, want string) {
	t.Helper()
	if res := s.exec(repo, "git", "dds", "fsck"); res.code != 0 {
		t.Errorf("fsck exited with %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
	status := s.must(repo, "git", "dds", "status", "--json")
	if !strings.Contains(status, `"fresh"`) || strings.Contains(status, `"stale"`) {
		t.Errorf("status says:\n%s", status)
	}
	sum := blake3.Sum256([]byte(want))
	log := s.must(repo, "git", "dds", "--json", "log", out)
	// The newest computation comes first.
	_, newest, _ := strings.Cut(log, `"content_id": "`)
	if id := hex.EncodeToString(sum[:]); !strings.HasPrefix(newest, id+`"`) {
		t.Errorf("the record of %s does not name the content id %s of %q:\n%s", out, id, want, log)
	}
}

// TestRestoreRefusesAChangedObject changes an object after it was recorded
// (in hardlink mode the object is the output's own inode, so an append to
// the output reaches it): restoring it must not serve the changed bytes
// as good.
func TestRestoreRefusesAChangedObject(t *testing.T) {
	s := newSandbox(t)
	s.write("repo/dds.yaml", "stages:\n  x:\n    cmd: mkdir -p out && echo first > out/x.txt\n    outs: [out/x.txt]\n")
	s.must("repo", "git", "init", "-q")
	s.must("repo", "git", "config", "dds.link", "hardlink")
	s.must("repo", "git", "add", "-A")
	s.must("repo", "git", "commit", "-q", "-m", "pipeline")
	s.must("repo", "git", "dds", "run")
	f, err := os.OpenFile(s.path("repo/out/x.txt"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Skipf("skipped: the object cannot be written here (%v)", err)
	}
	if _, err := f.WriteString("late\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Remove(s.path("repo/out/x.txt")); err != nil {
		t.Fatal(err)
	}
	res := s.exec("repo", "git", "dds", "checkout")
	got, _ := os.ReadFile(s.path("repo/out/x.txt"))
	if strings.Contains(string(got), "late") {
		t.Errorf("checkout of a changed object exited with %d and placed %q:\n%s%s", res.code, got, res.stdout, res.stderr)
	}
	// The object is set aside and the stage is to compute again: the
	// message says so and how.
	if !strings.Contains(res.stderr, "never served") || !strings.Contains(res.stderr, "git dds run") {
		t.Errorf("checkout of a changed object does not say how to repair:\n%s", res.stderr)
	}
	if status := s.must("repo", "git", "dds", "status", "--json"); !strings.Contains(status, `"stale"`) {
		t.Errorf("after its object was set aside, the stage is not stale:\n%s", status)
	}
}
