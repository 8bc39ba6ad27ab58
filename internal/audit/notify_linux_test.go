//go:build linux && (amd64 || arm64)

package audit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// builtinMechanisms are the built-in tracer through seccomp user
// notification (its supervisor waiting in the listener's ioctl where the
// kernel allows, and in poll(2)) and through ptrace, each where it works.
func builtinMechanisms() []mechanism {
	return []mechanism{
		{"notify", func() (Tracer, error) { return notifyMechanism(notifyTracer{}) }},
		{"notify-poll", func() (Tracer, error) { return notifyMechanism(notifyTracer{poll: true}) }},
		{"ptrace", func() (Tracer, error) { return findPtrace(context.Background()) }},
	}
}

func notifyMechanism(t notifyTracer) (Tracer, error) {
	if err := probeNotify(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return t, nil
}

// notifyModes runs test with the supervisor waiting in the listener's
// ioctl (where the kernel allows) and in poll(2).
func notifyModes(t *testing.T, test func(t *testing.T, tr notifyTracer)) {
	if err := probeNotify(); err != nil {
		t.Skip(err)
	}
	for _, tr := range []notifyTracer{{}, {poll: true}} {
		name := "recv"
		if tr.poll || !recvEndsWhenUnused() {
			name = "poll"
		}
		t.Run(name, func(t *testing.T) { test(t, tr) })
	}
}

func TestKernelRelease(t *testing.T) {
	for release, want := range map[string][3]int{
		"6.11.0-generic":   {6, 11, 1},
		"6.18.44-fc-v1098": {6, 18, 1},
		"5.15.0":           {5, 15, 1},
		"10.2":             {10, 2, 1},
		"6":                {0, 0, 0},
		"x.1":              {0, 0, 0},
		"6.x":              {0, 0, 0},
		"":                 {0, 0, 0},
	} {
		major, minor, ok := kernelRelease(release)
		if ok != (want[2] == 1) || ok && (major != want[0] || minor != want[1]) {
			t.Errorf("kernelRelease(%q) = %d, %d, %v, want %v", release, major, minor, ok, want)
		}
	}
}

// TestBuiltinPrefersNotify: where the kernel allows seccomp user
// notification, the built-in tracer uses it, and says so.
func TestBuiltinPrefersNotify(t *testing.T) {
	if err := probeNotify(); err != nil {
		t.Skip(err)
	}
	tr, err := Find(context.Background(), Builtin)
	if err != nil {
		t.Fatal(err)
	}
	if want := "the built-in tracer (seccomp user notification)"; tr.Name() != want {
		t.Fatalf("Find(builtin) is %q, want %q", tr.Name(), want)
	}
}

// childEnv makes this test binary the program of
// TestRelativeAndDirfdPaths.
const childEnv = "AUDIT_TEST_CHILD"

// TestHelperChild is the traced program of TestRelativeAndDirfdPaths,
// when childEnv says which part to play; a test that passes otherwise.
func TestHelperChild(t *testing.T) {
	switch os.Getenv(childEnv) {
	case "":
		return
	case "grandchild":
		mustOpen(unix.AT_FDCWD, "../grand.txt", unix.O_RDONLY)
		os.Exit(0)
	}
	sub, err := unix.Open("sub", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		fail(err)
	}
	mustOpen(sub, "deep.txt", unix.O_RDONLY)
	mustOpen(sub, "../in.txt", unix.O_RDONLY)
	mustOpen(sub, "made.txt", unix.O_WRONLY|unix.O_CREAT)
	// Threads other than the first, each its own id in the notification.
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			mustOpen(unix.AT_FDCWD, fmt.Sprintf("t%d.txt", i), unix.O_RDONLY)
		}()
	}
	wg.Wait()
	if err := os.Chdir("sub"); err != nil {
		fail(err)
	}
	mustOpen(unix.AT_FDCWD, "rel.txt", unix.O_RDONLY)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperChild$")
	cmd.Env = append(os.Environ(), childEnv+"=grandchild")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		fail(err)
	}
	os.Exit(0)
}

func mustOpen(dirfd int, name string, flags int) {
	fd, err := unix.Openat(dirfd, name, flags|unix.O_CLOEXEC, 0o644)
	if err != nil {
		fail(fmt.Errorf("opening %s: %w", name, err))
	}
	unix.Close(fd)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(3)
}

// TestRelativeAndDirfdPaths traces a program that opens files relative
// to a folder's descriptor (openat), to its working folder after a
// chdir, from several threads, and starts a child that opens one
// relative to its own working folder: each is named by its absolute
// path, and the file made by a write only is no read.
func TestRelativeAndDirfdPaths(t *testing.T) {
	backEnds(t, func(t *testing.T, tr Tracer) {
		dir := tempDir(t, "in.txt", "grand.txt", "sub/deep.txt", "sub/rel.txt", "t0.txt", "t1.txt", "t2.txt", "t3.txt")
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperChild$")
		cmd.Env = append(os.Environ(), childEnv+"=child")
		cmd.Dir = dir
		var stderr strings.Builder
		cmd.Stderr = &stderr
		trace, err := tr.Start(cmd)
		if err != nil {
			t.Fatal(err)
		}
		defer trace.Close()
		if err := trace.Wait(); err != nil {
			t.Fatalf("%v: %s", err, stderr.String())
		}
		o, err := trace.Observed()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"in.txt", "grand.txt", "sub/deep.txt", "sub/rel.txt", "t0.txt", "t1.txt", "t2.txt", "t3.txt"} {
			if !slices.Contains(o.Reads, filepath.Join(dir, want)) {
				t.Errorf("%s is not among the reads %q", want, o.Reads)
			}
		}
		made := filepath.Join(dir, "sub/made.txt")
		if slices.Contains(o.Reads, made) || !slices.Contains(o.Writes, made) {
			t.Errorf("sub/made.txt, written only, is not among the writes alone: reads %q, writes %q", o.Reads, o.Writes)
		}
		if n := strings.Count(strings.Join(o.Execs, "\n"), filepath.Base(os.Args[0])); n == 0 {
			t.Errorf("the program is not among the programs %q", o.Execs)
		}
	})
}

// TestObservedIsBounded: a process left under the filter once the
// command was waited for (here a live one the caller did not end; in a
// container, an ended one that its parent never reaps) does not keep
// Observed waiting without end.
func TestObservedIsBounded(t *testing.T) {
	notifyModes(t, testObservedIsBounded)
}

func testObservedIsBounded(t *testing.T, tr notifyTracer) {
	cmd := exec.Command("sh", "-c", `setsid sleep 60 </dev/null >/dev/null 2>&1 & exit 0`)
	trace, err := tr.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer trace.Close()
	if err := trace.Wait(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := trace.Observed(); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Observed still waiting 30 s after the command ended")
	}
}

// TestStartsOnOneProcessor: starting the command holds a processor of the
// runtime while the child is forked (vfork), until its exec: a filter
// that made that exec wait for the supervisor, which needs a processor
// too, hung git dds whenever none was free (one processor, or the other
// one taken by a garbage collection waiting on the forking thread).
func TestStartsOnOneProcessor(t *testing.T) {
	notifyModes(t, testStartsOnOneProcessor)
}

func testStartsOnOneProcessor(t *testing.T, tr notifyTracer) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	done := make(chan error, 1)
	go func() {
		obs, err := observe(tr, exec.Command("cat", "/dev/null"))
		if err == nil && !slices.ContainsFunc(obs.Execs, func(p string) bool { return filepath.Base(p) == "cat" }) {
			err = fmt.Errorf("the trace did not see cat run: %v", obs.Execs)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("starting a traced command on one processor still waits after 20 s")
	}
}

func observe(tr notifyTracer, cmd *exec.Cmd) (*Observed, error) {
	trace, err := tr.Start(cmd)
	if err != nil {
		return nil, err
	}
	defer trace.Close()
	if err := trace.Wait(); err != nil {
		return nil, err
	}
	return trace.Observed()
}

// TestCloseSparesATakenOverId: Close kills a process it saw only if the
// process under that id started no later than the time it was seen, so
// that a process that took the id over is spared.
func TestCloseSparesATakenOverId(t *testing.T) {
	before, ok := bootTicks()
	if !ok {
		t.Skip("no CLOCK_BOOTTIME")
	}
	// A tick later, the sleep starts after the time noted as before.
	for now, _ := bootTicks(); now == before; now, _ = bootTicks() {
		time.Sleep(time.Millisecond)
	}
	for _, c := range []struct {
		name   string
		noted  func(started uint64) uint64
		killed bool
	}{
		{"seen while it ran", func(started uint64) uint64 { return started }, true},
		{"seen before it started", func(uint64) uint64 { return before }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command("sleep", "60")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			go func() { _ = cmd.Wait(); close(exited) }()
			defer func() { _ = cmd.Process.Kill(); <-exited }()
			started, ok := startTime(cmd.Process.Pid)
			if !ok {
				t.Fatal("no start time")
			}
			tr := &notifyTrace{seen: map[int]uint64{cmd.Process.Pid: c.noted(started)}}
			tr.killSeen()
			select {
			case <-exited:
				if !c.killed {
					t.Fatal("killSeen killed a process that started after the time noted")
				}
			case <-time.After(2 * time.Second):
				if c.killed {
					t.Fatal("killSeen spared the process it saw")
				}
			}
		})
	}
}

// TestReadsLongPaths: a path argument is read whole up to its NUL,
// whatever its length up to PathMax and wherever it starts in a page.
func TestReadsLongPaths(t *testing.T) {
	mem := make([]byte, 3*4096)
	for _, n := range []int{1, 255, 256, 257, 1000, unix.PathMax - 1} {
		for _, at := range []int{0, 1, 4096 - 300, 4096 - 1} {
			want := strings.Repeat("a/", n/2) + strings.Repeat("b", n%2)
			clear(mem)
			copy(mem[at:], want)
			var buf [unix.PathMax]byte
			got, ok := readPathArg(os.Getpid(), uintptr(unsafe.Pointer(&mem[at])), buf[:])
			runtime.KeepAlive(mem)
			if !ok || got != want {
				t.Errorf("length %d at %d: read %d bytes (%v), want %d", n, at, len(got), ok, len(want))
			}
		}
	}
}
