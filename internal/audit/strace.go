package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// straceTracer runs commands under the strace program, which follows every
// process they start (-f), each into a file of its own (-ff) so that no
// line is split between two processes, keeping only calls that succeeded
// (-z), each file descriptor shown with its resolved path (-y).
type straceTracer struct {
	path string
	// seccomp stops the command only at the calls traced, not at every
	// call (--seccomp-bpf): several times cheaper where the kernel allows.
	seccomp bool
}

// straceCalls are the system calls that open a file or execute a program.
const straceCalls = "trace=open,openat,openat2,creat,execve,execveat"

// probeTimeout bounds the check that strace can trace here.
const probeTimeout = 10 * time.Second

func findStrace(ctx context.Context) (Tracer, error) {
	path, err := exec.LookPath("strace")
	if err != nil {
		return nil, fmt.Errorf("%w: no strace on PATH (install strace, e.g. apt-get install strace)", ErrUnavailable)
	}
	truePath, err := exec.LookPath("true")
	if err != nil {
		return nil, fmt.Errorf("%w: no true on PATH to check strace with", ErrUnavailable)
	}
	var why string
	for _, seccomp := range []bool{true, false} {
		t := &straceTracer{path: path, seccomp: seccomp}
		if why = t.probe(ctx, truePath); why == "" {
			return t, nil
		}
	}
	return nil, fmt.Errorf("%w: %s cannot trace here: %s", ErrUnavailable, path, why)
}

// probe runs true under strace, and says why it failed ("" when it did
// not): ptrace may be forbidden (a container without CAP_SYS_PTRACE, a
// Yama policy), or seccomp filters.
func (t *straceTracer) probe(ctx context.Context, truePath string) string {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	args := append(t.flags(), "-o", os.DevNull, "--", truePath)
	cmd := exec.CommandContext(ctx, t.path, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		line, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
		if line == "" {
			line = err.Error()
		}
		const longest = 200
		if len(line) > longest {
			line = line[:longest] + "..."
		}
		return line
	}
	return ""
}

func (t *straceTracer) flags() []string {
	f := []string{"-f", "-ff", "-qq", "-z", "-y", "-e", straceCalls}
	if t.seccomp {
		f = append(f, "--seccomp-bpf")
	}
	return f
}

func (t *straceTracer) Name() string {
	if t.seccomp {
		return "strace (seccomp)"
	}
	return "strace"
}

func (t *straceTracer) Start(cmd *exec.Cmd) (Trace, error) {
	if cmd.Process != nil {
		return nil, errors.New("audit: the command has started already")
	}
	dir, err := os.MkdirTemp("", "git-dds-audit-")
	if err != nil {
		return nil, fmt.Errorf("audit: a folder for the trace: %w", err)
	}
	tr := &straceTrace{cmd: cmd, dir: dir, base: cmd.Dir}
	args := append([]string{t.path}, t.flags()...)
	args = append(args, "-o", filepath.Join(dir, "trace"), "--", cmd.Path)
	cmd.Args = append(args, cmd.Args[1:]...)
	cmd.Path = t.path
	if tr.base == "" {
		if tr.base, err = os.Getwd(); err != nil {
			tr.Close()
			return nil, fmt.Errorf("audit: %w", err)
		}
	}
	if err := cmd.Start(); err != nil {
		tr.Close()
		return nil, err
	}
	return tr, nil
}

// straceTrace is a command running under strace, which writes its trace
// into dir, a file per process.
type straceTrace struct {
	cmd  *exec.Cmd
	dir  string
	base string // the folder the command started in
}

func (tr *straceTrace) Wait() error { return tr.cmd.Wait() }

func (tr *straceTrace) Close() { _ = os.RemoveAll(tr.dir) }

func (tr *straceTrace) Observed() (*Observed, error) {
	entries, err := os.ReadDir(tr.dir)
	if err != nil {
		return nil, fmt.Errorf("audit: reading the trace in %s: %w", tr.dir, err)
	}
	c := newCollector()
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "trace.") {
			continue
		}
		if err := c.readFile(filepath.Join(tr.dir, e.Name()), tr.base); err != nil {
			return nil, err
		}
	}
	return c.observed(), nil
}
