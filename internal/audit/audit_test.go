package audit

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// backEnds runs test once per back end that works here, and once per
// mechanism of the built-in one.
func backEnds(t *testing.T, test func(t *testing.T, tr Tracer)) {
	finds := builtinMechanisms()
	finds = append(finds, mechanism{Strace, func() (Tracer, error) { return Find(context.Background(), Strace) }})
	for _, m := range finds {
		t.Run(m.name, func(t *testing.T) {
			tr, err := m.find()
			if errors.Is(err, ErrUnavailable) {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			test(t, tr)
		})
	}
}

// mechanism is one way to trace, as a test finds it.
type mechanism struct {
	name string
	find func() (Tracer, error)
}

// traced runs script with sh -c in dir under tr, and returns what it saw
// and what Wait returned.
func traced(t *testing.T, tr Tracer, dir, script string) (*Observed, error) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	trace, err := tr.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer trace.Close()
	waitErr := trace.Wait()
	o, err := trace.Observed()
	if err != nil {
		t.Fatal(err)
	}
	return o, waitErr
}

func tempDir(t *testing.T, files ...string) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestFollowsChildren traces a shell whose child reads a file, and a
// program it executes.
func TestFollowsChildren(t *testing.T) {
	backEnds(t, func(t *testing.T, tr Tracer) {
		dir := tempDir(t, "in.txt", "other.txt", "sub/deep.txt")
		o, err := traced(t, tr, dir, `cat in.txt > out.txt && sh -c 'cat other.txt' > /dev/null && (cd sub && cat deep.txt >/dev/null) && ls sub >/dev/null && { cat missing.txt 2>/dev/null; ln -s sub/deep.txt link.txt && cat link.txt >/dev/null; }`)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"in.txt", "other.txt", "sub/deep.txt"} {
			if !slices.Contains(o.Reads, filepath.Join(dir, want)) {
				t.Errorf("%s is not among the reads %q", want, o.Reads)
			}
		}
		if slices.Contains(o.Reads, filepath.Join(dir, "out.txt")) {
			t.Errorf("out.txt, written only, is among the reads")
		}
		if !slices.Contains(o.Writes, filepath.Join(dir, "out.txt")) {
			t.Errorf("out.txt is not among the writes %q", o.Writes)
		}
		if slices.Contains(o.Reads, filepath.Join(dir, "sub")) {
			t.Errorf("the folder sub, listed, is among the reads")
		}
		if slices.Contains(o.Reads, filepath.Join(dir, "missing.txt")) {
			t.Errorf("a file that could not be opened is among the reads")
		}
		if slices.Contains(o.Reads, filepath.Join(dir, "link.txt")) {
			t.Errorf("the symbolic link link.txt, not the file it names, is among the reads")
		}
		cat, _ := exec.LookPath("cat")
		if !slices.ContainsFunc(o.Execs, func(p string) bool { return filepath.Base(p) == filepath.Base(cat) }) {
			t.Errorf("cat is not among the programs %q", o.Execs)
		}
	})
}

// TestExecutedByRelativeName names a script executed by a path relative
// to the working folder of the process that executes it.
func TestExecutedByRelativeName(t *testing.T) {
	backEnds(t, func(t *testing.T, tr Tracer) {
		if strings.HasPrefix(tr.Name(), "strace") {
			t.Skip("strace shows a process's working folder only beside a call that takes it (openat), not after a cd")
		}
		dir := tempDir(t)
		if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "bin/tool.sh"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		o, err := traced(t, tr, dir, `cd bin && ./tool.sh`)
		if err != nil {
			t.Fatal(err)
		}
		// Seen run (an exec the tracer stops at) or read (by the
		// interpreter the kernel starts for it, where execs do not stop).
		want := filepath.Join(dir, "bin/tool.sh")
		if !slices.Contains(o.Execs, want) && !slices.Contains(o.Reads, want) {
			t.Errorf("bin/tool.sh is neither among the programs %q nor the reads %q", o.Execs, o.Reads)
		}
	})
}

// TestStatus: the command's exit status or signal comes back as cmd.Wait
// words it.
func TestStatus(t *testing.T) {
	backEnds(t, func(t *testing.T, tr Tracer) {
		dir := tempDir(t)
		for script, want := range map[string]string{
			"exit 3":           "exit status 3",
			"kill -TERM $$":    "signal: terminated",
			"true":             "",
			"sleep 0.1 & wait": "",
		} {
			_, err := traced(t, tr, dir, script)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != want {
				t.Errorf("%s: Wait returned %q, want %q", script, got, want)
			}
		}
	})
}

// TestManyThreadsAndProcesses: a busy command is followed in full.
func TestManyThreadsAndProcesses(t *testing.T) {
	backEnds(t, func(t *testing.T, tr Tracer) {
		var files []string
		for i := range 50 {
			files = append(files, "d/f"+strings.Repeat("x", i%3)+string(rune('a'+i%26))+string(rune('a'+i/26)))
		}
		dir := tempDir(t, files...)
		o, err := traced(t, tr, dir, `for f in d/*; do cat "$f" & done; wait`)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if !slices.Contains(o.Reads, filepath.Join(dir, f)) {
				t.Errorf("%s is not among the reads", f)
			}
		}
	})
}

func TestUnavailableWithoutStrace(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := Find(context.Background(), Strace); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Find without strace on PATH: %v, want ErrUnavailable", err)
	}
}

func TestUnknownBackEnd(t *testing.T) {
	if _, err := Find(context.Background(), "dtrace"); err == nil || errors.Is(err, ErrUnavailable) {
		t.Fatalf("Find(dtrace): %v, want a refusal", err)
	}
}

// TestCloseEndsWhatIsLeft: a process the command left running, in a
// session of its own, ends with the trace.
func TestCloseEndsWhatIsLeft(t *testing.T) {
	backEnds(t, func(t *testing.T, tr Tracer) {
		if strings.HasPrefix(tr.Name(), "strace") {
			t.Skip("strace waits for every process it traces")
		}
		dir := tempDir(t)
		cmd := exec.Command("sh", "-c", `setsid env -i sleep 60 </dev/null >/dev/null 2>&1 & echo $! > pid`)
		cmd.Dir = dir
		trace, err := tr.Start(cmd)
		if err != nil {
			t.Fatal(err)
		}
		if err := trace.Wait(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { trace.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("Close still waiting 20 s after the command ended")
		}
		pid, err := os.ReadFile(filepath.Join(dir, "pid"))
		if err != nil {
			t.Fatal(err)
		}
		stat := "/proc/" + strings.TrimSpace(string(pid)) + "/stat"
		for deadline := time.Now().Add(5 * time.Second); ; {
			b, err := os.ReadFile(stat)
			if err != nil || strings.Contains(string(b), ") Z ") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the process left behind still runs 5 s after Close: %s", b)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// TestResolvesLikeTheKernel: a path that goes through a symbolic link and
// then "..", relative or absolute, names what the kernel opens (the
// parent of the link's target), not what cleaning the text would give;
// one with no link on the way names its file cleaned, and so do files
// created for writing, through a link or not.
func TestResolvesLikeTheKernel(t *testing.T) {
	backEnds(t, func(t *testing.T, tr Tracer) {
		dir := tempDir(t, "a/x.txt", "a/b/y.txt", "x.txt")
		if err := os.Symlink("a/b", filepath.Join(dir, "sym")); err != nil {
			t.Fatal(err)
		}
		o, err := traced(t, tr, dir, `cat sym/../x.txt >/dev/null && cat "$PWD/sym/../b/y.txt" "$PWD/a/b/../x.txt" >/dev/null && echo >"$PWD/sym/new.txt" && echo >"$PWD/a/./new.txt"`)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"a/x.txt", "a/b/y.txt"} {
			if !slices.Contains(o.Reads, filepath.Join(dir, want)) {
				t.Errorf("%s is not among the reads %q", want, o.Reads)
			}
		}
		for _, want := range []string{"a/b/new.txt", "a/new.txt"} {
			if !slices.Contains(o.Writes, filepath.Join(dir, want)) {
				t.Errorf("%s is not among the writes %q", want, o.Writes)
			}
		}
		if slices.Contains(o.Reads, filepath.Join(dir, "x.txt")) {
			t.Errorf("x.txt, which nothing opened, is among the reads")
		}
	})
}

// TestKeepsSpeculationMitigations: the filter does not change the
// speculation mitigations the command runs with (a kernel that follows
// seccomp for them would force them on under a filter).
func TestKeepsSpeculationMitigations(t *testing.T) {
	status := func(b []byte) string {
		var lines []string
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "Speculation") {
				lines = append(lines, l)
			}
		}
		return strings.Join(lines, "\n")
	}
	untraced, err := exec.Command("cat", "/proc/self/status").Output()
	if err != nil || status(untraced) == "" {
		t.Skip("/proc/PID/status says nothing of speculation here")
	}
	backEnds(t, func(t *testing.T, tr Tracer) {
		if strings.HasPrefix(tr.Name(), "strace") {
			t.Skip("strace installs its own filter")
		}
		cmd := exec.Command("cat", "/proc/self/status")
		var out strings.Builder
		cmd.Stdout = &out
		trace, err := tr.Start(cmd)
		if err != nil {
			t.Fatal(err)
		}
		defer trace.Close()
		if err := trace.Wait(); err != nil {
			t.Fatal(err)
		}
		if got, want := status([]byte(out.String())), status(untraced); got != want {
			t.Errorf("traced, the command runs with\n%s\nuntraced with\n%s", got, want)
		}
	})
}
