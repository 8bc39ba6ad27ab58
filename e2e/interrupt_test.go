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
	ctrlC := func(tty *os.File, _ *os.Process) error { return sendCtrlC(tty) }
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

			r := startInPty(t, s.command("repo", c.argv[0], c.argv[1:]...))
			waitFor(t, s.path("started"), 20*time.Second, &r.out)
			if err := c.interrupt(r.tty, r.cmd.Process); err != nil {
				t.Fatal(err)
			}
			waitErr := r.waitExit(t, 30*time.Second, "git dds run", "the interrupt")
			r.checkSessionEnded(t)
			killLeft(t, withEnv("HOME="+s.path("home")), "processes the stage started left running after git dds exited, outside its session")
			text := r.text(t)

			if got := shellStatus(t, r.cmd.ProcessState, waitErr); got != c.status {
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

// ptyRun is a command running in a session of its own whose controlling
// terminal is a pseudo-terminal, what the terminal shows copied to out.
type ptyRun struct {
	cmd    *exec.Cmd
	tty    *os.File
	out    lockedBuffer
	copied chan struct{}
}

// startInPty starts cmd in a new session with a new pseudo-terminal as its
// controlling one, as a terminal emulator starts a shell, and copies what
// the terminal shows.
func startInPty(t *testing.T, cmd *exec.Cmd) *ptyRun {
	t.Helper()
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tty.Close() })
	r := &ptyRun{cmd: cmd, tty: tty, copied: make(chan struct{})}
	go func() { _, _ = io.Copy(&r.out, tty); close(r.copied) }()
	return r
}

// sendCtrlC types Ctrl-C on the terminal, which then sends SIGINT to its
// foreground process group.
func sendCtrlC(tty *os.File) error {
	_, err := tty.Write([]byte{3})
	return err
}

// waitExit waits for the command to exit, for at most limit after what
// ended it, killing it and failing the test past that; it returns what
// Wait returned.
func (r *ptyRun) waitExit(t *testing.T, limit time.Duration, name, after string) error {
	t.Helper()
	exited := make(chan error, 1)
	go func() { exited <- r.cmd.Wait() }()
	select {
	case err := <-exited:
		return err
	case <-time.After(limit):
		_ = r.cmd.Process.Kill()
		t.Fatalf("%s still running %d s after %s:\n%s", name, int(limit.Seconds()), after, r.out.String())
		return nil
	}
}

// checkSessionEnded fails the test, and kills them, if processes of the
// command's session outlive it.
func (r *ptyRun) checkSessionEnded(t *testing.T) {
	t.Helper()
	killLeft(t, inSession(r.cmd.Process.Pid), "processes of the session left running after git dds exited")
}

// text closes the terminal and returns, and logs, all it showed, with
// plain newlines.
func (r *ptyRun) text(t *testing.T) string {
	t.Helper()
	_ = r.tty.Close()
	select {
	case <-r.copied:
	case <-time.After(2 * time.Second):
	}
	text := strings.ReplaceAll(r.out.String(), "\r\n", "\n")
	t.Logf("the terminal showed:\n%s", text)
	return text
}

// killLeft kills the processes left, failing the test with what if there
// are any.
func killLeft(t *testing.T, left []int, what string) {
	t.Helper()
	if len(left) == 0 {
		return
	}
	for _, pid := range left {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	t.Errorf("%s: %v", what, left)
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
