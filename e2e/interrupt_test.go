//go:build linux

package e2e

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// interruptPipeline has a stage that writes part of its output, then waits
// in a child that prints a traceback when interrupted, as Python does, and
// beside it two that ignore SIGINT and SIGTERM and must be ended all the
// same, one of them in a session of its own; a stage downstream must never
// run.
const interruptPipeline = `stages:
  train:
    cmd: >-
      mkdir -p out && echo partial > out/model.txt &&
      (trap '' INT TERM; sleep 60) &
      setsid sh -c 'trap "" INT TERM; sleep 60' </dev/null >/dev/null 2>&1 &
      sh -c 'trap "echo Traceback: KeyboardInterrupt >&2; exit 130" INT TERM; touch ../started; while :; do sleep 0.1; done'
    deps: [data.txt]
    outs: [out/model.txt]
  report:
    cmd: mkdir -p out && cp out/model.txt out/report.txt
    deps: [out/model.txt]
    outs: [out/report.txt]
`

// TestInterrupt runs git dds run in a real terminal and interrupts it as a
// person would, with Ctrl-C, which the terminal sends to its foreground
// process group, and as a CI runner cancelling a job does, with SIGTERM to
// git. git dds must end the stage's processes (even one ignoring the
// signal, after a grace period), remove what the stage wrote, record
// nothing, say so once, and exit 128 plus the signal, leaving no process
// of the session behind.
func TestInterrupt(t *testing.T) {
	ctrlC := func(tty *os.File, _ *os.Process) error { _, err := tty.Write([]byte{3}); return err }
	for _, c := range []struct {
		name      string
		argv      []string
		interrupt func(tty *os.File, git *os.Process) error
		status    int
	}{
		{"ctrl-c", []string{"git", "dds", "run"}, ctrlC, 130},
		{"sigterm", []string{"git", "dds", "run"}, func(_ *os.File, git *os.Process) error { return git.Signal(syscall.SIGTERM) }, 143},
		// Without git in between, the exit code is git dds's own.
		{"ctrl-c-without-git", []string{filepath.Join(gitDDSDir, "git-dds"), "run", "-j", "2"}, ctrlC, 130},
		// Traced by git dds itself, and under strace, which must go with
		// them.
		{"ctrl-c-audit", []string{"git", "dds", "run", "--audit"}, ctrlC, 130},
		{"ctrl-c-audit-strace", []string{"git", "-c", "dds.auditTracer=strace", "dds", "run", "--audit"}, ctrlC, 130},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newSandbox(t)
			s.write("repo/dds.yaml", interruptPipeline)
			s.write("repo/data.txt", "data\n")
			s.must("repo", "git", "init", "-q")
			s.must("repo", "git", "add", "-A")
			s.must("repo", "git", "commit", "-q", "-m", "pipeline")

			cmd := s.command("repo", c.argv[0], c.argv[1:]...)
			tty, err := pty.Start(cmd) // a session of its own, the terminal its controlling one
			if err != nil {
				t.Fatal(err)
			}
			defer tty.Close()
			var out lockedBuffer
			copied := make(chan struct{})
			go func() { _, _ = io.Copy(&out, tty); close(copied) }()

			waitFor(t, s.path("started"), 20*time.Second, &out)
			if err := c.interrupt(tty, cmd.Process); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			var waitErr error
			select {
			case waitErr = <-exited:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("git dds run still running 30 s after the interrupt:\n%s", out.String())
			}
			session := cmd.Process.Pid
			if left := inSession(session); len(left) > 0 {
				for _, pid := range left {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
				t.Errorf("processes of the session left running after git dds exited: %v", left)
			}
			if left := withEnv("HOME=" + s.path("home")); len(left) > 0 {
				for _, pid := range left {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
				t.Errorf("processes the stage started left running after git dds exited, outside its session: %v", left)
			}
			_ = tty.Close()
			select {
			case <-copied:
			case <-time.After(2 * time.Second):
			}
			text := strings.ReplaceAll(out.String(), "\r\n", "\n")
			t.Logf("the terminal showed:\n%s", text)

			if got := shellStatus(t, cmd.ProcessState, waitErr); got != c.status {
				t.Errorf("the shell would say $? = %d, want %d; the terminal showed:\n%s", got, c.status, text)
			}
			if n := strings.Count(text, "git dds: interrupted: train (nothing recorded)\n"); n != 1 {
				t.Errorf("the terminal showed the interruption %d times, want once:\n%s", n, text)
			}
			for _, noise := range []string{"signal: killed", "signal: interrupt", "last lines of its output", "failed"} {
				if strings.Contains(text, noise) {
					t.Errorf("the terminal showed %q:\n%s", noise, text)
				}
			}
			if n := strings.Count(text, "Traceback"); n > 1 {
				t.Errorf("the stage's traceback shows %d times:\n%s", n, text)
			}
			if _, err := os.Lstat(s.path("repo/out/model.txt")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the interrupted stage's partial output is still there (%v)", err)
			}
			if _, err := os.Lstat(s.path("repo/out/report.txt")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the stage downstream of the interrupted one ran (%v)", err)
			}
			status := s.must("repo", "git", "dds", "status", "--json")
			if strings.Count(status, `"state": "stale"`) != 2 {
				t.Errorf("after the interrupt, status says:\n%s", status)
			}
			if res := s.exec("repo", "git", "dds", "log", "out/model.txt"); strings.Contains(res.stdout, "commit") {
				t.Errorf("the interrupted computation was recorded:\n%s", res.stdout)
			}
		})
	}
}

// shellStatus is $? as a shell reports it: the exit code, or 128 plus the
// signal that ended the process (git re-raises the signal it forwarded).
func shellStatus(t *testing.T, ps *os.ProcessState, err error) int {
	t.Helper()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatal(err)
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// inSession lists the processes whose session is sid.
func inSession(sid int) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// After the command name in parentheses: state, ppid, pgrp, session.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) > 3 && fields[3] == strconv.Itoa(sid) && fields[0] != "Z" {
			pids = append(pids, pid)
		}
	}
	return pids
}

// withEnv lists the processes whose environment holds kv.
func withEnv(kv string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue
		}
		for _, v := range bytes.Split(env, []byte{0}) {
			if string(v) == kv {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

func waitFor(t *testing.T, path string, limit time.Duration, out *lockedBuffer) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stage did not start within %s:\n%s", limit, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
