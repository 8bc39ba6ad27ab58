//go:build linux

package e2e

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExpInterrupt interrupts a sweep with Ctrl-C, as a person would, while
// two experiments execute a stage in their temporary worktrees: git dds
// must end the stages, remove every worktree, and leave the user's HEAD,
// branch, git index (its file byte for byte), working tree with its
// uncommitted and staged changes, and git status exactly as they were,
// exiting 130 with no process of the session left.
func TestExpInterrupt(t *testing.T) {
	s := newSandbox(t)
	started := s.path("started")
	s.write("repo/dds.yaml", `stages:
  train:
    cmd: mkdir -p out && echo partial > out/model.txt && touch `+started+` && while :; do sleep 0.1; done
    params: {params.yaml: [train.lr]}
    outs: [out/model.txt]
`)
	s.write("repo/params.yaml", "train:\n  lr: 0.1 # the rate\n")
	s.must("repo", "git", "init", "-q")
	s.must("repo", "git", "add", "-A")
	s.must("repo", "git", "commit", "-q", "-m", "pipeline")
	s.must("repo", "git", "dds", "install")
	s.write("repo/notes.txt", "untracked, the user's\n")
	// Uncommitted work the experiments take: a params file edited, staged,
	// then edited again, and a staged new file.
	s.write("repo/params.yaml", "train:\n  lr: 0.1 # the rate, staged\n")
	s.write("repo/extra.txt", "staged, new\n")
	s.must("repo", "git", "add", "params.yaml", "extra.txt")
	s.write("repo/params.yaml", "train:\n  lr: 0.1 # the rate, edited after\n")

	snapshot := func() string {
		var b strings.Builder
		for _, argv := range [][]string{
			{"rev-parse", "HEAD"}, {"symbolic-ref", "HEAD"}, {"ls-files", "-s"},
			{"status", "--porcelain", "--untracked-files=all"}, {"diff"}, {"diff", "--cached"}, {"worktree", "list", "--porcelain"},
		} {
			b.WriteString("$ git " + strings.Join(argv, " ") + "\n" + s.must("repo", "git", argv...))
		}
		// Last, as git status above may refresh it first.
		index, err := os.ReadFile(s.path("repo/.git/index"))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(fmt.Sprintf("git's index: %x\n", sha256.Sum256(index)))
		return b.String()
	}
	before := snapshot()

	r := startInPty(t, s.command("repo", "git", "dds", "exp", "run", "-S", "train.lr=0.2,0.3,0.4", "-j", "2"))
	waitFor(t, started, 30*time.Second, &r.out)
	time.Sleep(200 * time.Millisecond) // the second experiment's stage too, most likely
	if err := sendCtrlC(r.tty); err != nil {
		t.Fatal(err)
	}
	waitErr := r.waitExit(t, 30*time.Second, "git dds exp run", "Ctrl-C")
	r.checkSessionEnded(t)
	text := r.text(t)
	if got := shellStatus(t, r.cmd.ProcessState, waitErr); got != 130 {
		t.Errorf("the shell would say $? = %d, want 130", got)
	}
	if !strings.Contains(text, "git dds: interrupted: train (nothing recorded)\n") {
		t.Errorf("the terminal did not show the interruption")
	}

	if after := snapshot(); after != before {
		t.Errorf("the sweep changed the user's repository:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// The experiments made before the interruption hold the uncommitted work.
	if got := s.must("repo", "git", "show", "refs/dds/exp/lr=0.2:params.yaml"); got != "train:\n  lr: 0.2 # the rate, edited after\n" {
		t.Errorf("the experiment's params.yaml:\n%s", got)
	}
	if got := s.must("repo", "git", "show", "refs/dds/exp/lr=0.2:extra.txt"); got != "staged, new\n" {
		t.Errorf("the experiment's extra.txt: %q", got)
	}
	if _, err := os.Lstat(s.path("repo/out")); err == nil {
		t.Errorf("an output appeared in the user's working tree")
	}
	left, _ := filepath.Glob(s.path("repo/.git/dds/tmp/*/exp-*"))
	admin, _ := filepath.Glob(s.path("repo/.git/worktrees/*"))
	if len(left)+len(admin) > 0 {
		t.Errorf("worktrees left behind: %v %v", left, admin)
	}
	status := s.must("repo", "git", "dds", "status", "--json")
	if !strings.Contains(status, `"state": "fresh"`) && !strings.Contains(status, `"state": "stale"`) {
		t.Errorf("git dds status after the interrupt:\n%s", status)
	}
}
