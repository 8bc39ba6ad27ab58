//go:build linux && (amd64 || arm64)

package audit

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// tracedCall is a call the filter stops at.
type tracedCall struct {
	nr       uint32
	flagsArg int  // the argument holding the open flags, -1 when none is
	creat    bool // creat: opens for writing
	openat2  bool // openat2: the flags are in a struct in memory
	// exec: executes a program (execve, execveat), which the ptrace
	// back end learns of from its exec event instead.
	exec bool
	// at: the path is the second argument, relative to the folder of the
	// file descriptor in the first (openat); else it is the first, relative
	// to the working folder (open).
	at bool
}

// helperEnv marks the process git dds starts to be traced: the git-dds
// binary itself (any binary that links this package), which installs the
// filter on itself and becomes the command. Go runs no code of its own
// between fork and exec, so the filter cannot be installed in the child
// before it executes the command: this step is that code.
const helperEnv = "GIT_DDS_AUDIT_EXEC"

// helperFailed is the exit code of a helper that could not become the
// command.
const helperFailed = 127

// The helper's entry: it runs before main and before any other of the
// package's callers, on the main thread (the runtime keeps the main
// goroutine there during initialization), which is the thread that was
// traced from birth and that must install the filter and execute.
func init() {
	if _, ok := os.LookupEnv(helperEnv); ok {
		err := runHelper(os.Args[1:])
		fmt.Fprintf(os.Stderr, "git dds: audit: %v\n", err)
		os.Exit(helperFailed)
	}
}

// runHelper installs the filter and executes args[0] with the arguments
// args[1:] (its name first), in an environment without helperEnv. It
// returns only on failure.
func runHelper(args []string) error {
	if len(args) < 2 {
		return errors.New("the helper of git dds run --audit takes a program and its arguments")
	}
	// Untraced, every call the filter traces would fail (ENOSYS): a
	// process that finds helperEnv in its environment by accident must
	// not install it.
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return fmt.Errorf("reading /proc/self/status: %w", err)
	}
	if bytes.Contains(status, []byte("\nTracerPid:\t0\n")) {
		return fmt.Errorf("%s is set but nothing traces this process: it is git dds run --audit's own; unset it", helperEnv)
	}
	if err := installFilter(); err != nil {
		return fmt.Errorf("the kernel refused the filter: %w", err)
	}
	env := os.Environ()
	kept := env[:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, helperEnv+"=") {
			kept = append(kept, kv)
		}
	}
	err = unix.Exec(args[0], args[1:], kept)
	return fmt.Errorf("executing %s: %w", args[0], err)
}

// builtinTracer traces with ptrace from a thread of git dds itself.
type builtinTracer struct{}

// probeBuiltin bounds the check that the built-in tracer works here.
const probeBuiltin = 10 * time.Second

// findBuiltin is the built-in tracer through seccomp user notification
// where the kernel allows it, else through ptrace.
func findBuiltin(ctx context.Context) (Tracer, error) {
	errNotify := probeNotify()
	if errNotify == nil {
		return notifyTracer{}, nil
	}
	t, err := findPtrace(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w (nor through seccomp user notification: %v)", err, errNotify)
	}
	return t, nil
}

// findPtrace checks the ptrace tracer by tracing true, which it must see
// executed.
func findPtrace(ctx context.Context) (Tracer, error) {
	truePath, err := exec.LookPath("true")
	if err != nil {
		return nil, fmt.Errorf("%w: no true on PATH to check the built-in tracer with", ErrUnavailable)
	}
	ctx, cancel := context.WithTimeout(ctx, probeBuiltin)
	defer cancel()
	t := builtinTracer{}
	cmd := exec.CommandContext(ctx, truePath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	why := func(err error) error {
		line, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
		if line == "" {
			line = err.Error()
		}
		const longest = 200
		if len(line) > longest {
			line = line[:longest] + "..."
		}
		if scope, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope"); err == nil {
			if v := strings.TrimSpace(string(scope)); v >= "2" && len(v) == 1 {
				line += " (kernel.yama.ptrace_scope is " + v + ", which forbids ptrace to unprivileged processes)"
			}
		}
		return fmt.Errorf("%w: the built-in tracer cannot trace here: %s", ErrUnavailable, line)
	}
	tr, err := t.Start(cmd)
	if err != nil {
		return nil, why(err)
	}
	defer tr.Close()
	if err := tr.Wait(); err != nil {
		return nil, why(err)
	}
	o, err := tr.Observed()
	if err != nil {
		return nil, why(err)
	}
	real, _ := filepath.EvalSymlinks(truePath)
	for _, p := range o.Execs {
		if p == truePath || p == real {
			return t, nil
		}
	}
	return nil, why(fmt.Errorf("it did not see %s run", truePath))
}

func (builtinTracer) Name() string { return "the built-in tracer (ptrace, seccomp)" }

func (builtinTracer) Start(cmd *exec.Cmd) (Trace, error) {
	if cmd.Process != nil {
		return nil, errors.New("audit: the command has started already")
	}
	tr := &builtinTrace{
		cmd:      cmd,
		started:  make(chan error, 1),
		mainGone: make(chan struct{}),
		done:     make(chan struct{}),
		procs:    map[int]*tracee{},
		c:        newCollector(),
	}
	cmd.Env = append(cmd.Environ(), helperEnv+"=1")
	cmd.Args = append([]string{"git-dds", cmd.Path}, cmd.Args...)
	// The running binary, even if its file was replaced since.
	cmd.Path = "/proc/self/exe"
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Ptrace = true
	go tr.supervise()
	if err := <-tr.started; err != nil {
		<-tr.done
		return nil, err
	}
	return tr, nil
}

// tracee is what the supervisor knows of one traced thread.
type tracee struct {
	// attached: its first stop, the SIGSTOP that a new tracee starts
	// with, has been seen (and not passed on).
	attached bool
	// opening is the kind of open the thread is in, between the stop at
	// its entry and the stop at its exit.
	opening openKind
}

type openKind uint8

const (
	notOpening openKind = iota
	openRead
	openWrite
)

// builtinTrace is one command traced by a goroutine of its own, locked
// to its thread: ptrace answers only the thread that attached.
type builtinTrace struct {
	cmd     *exec.Cmd
	started chan error
	main    int // the command's process id
	tracer  int // the supervisor's thread id
	// mainGone is closed once the supervisor has reaped the command's
	// process itself (mainStatus), which cmd.Wait then cannot.
	mainGone   chan struct{}
	mainStatus unix.WaitStatus
	done       chan struct{} // closed when the supervisor has no tracee left
	// Written by the supervisor only, read once done is closed.
	procs   map[int]*tracee
	options bool // the options are set on the command's process
	c       *collector
	err     error
	buf     [unix.PathMax]byte // for the paths read from tracees
}

// ptraceOptions: a stop at each call the filter traces, every thread and
// process started followed, each exec reported, and the command killed
// if git dds dies, so that no tracee is left stopped without a tracer.
const ptraceOptions = unix.PTRACE_O_TRACESECCOMP | unix.PTRACE_O_TRACESYSGOOD |
	unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK | unix.PTRACE_O_TRACECLONE |
	unix.PTRACE_O_TRACEEXEC | unix.PTRACE_O_EXITKILL

func (tr *builtinTrace) supervise() {
	// Never unlocked: the thread ends with the goroutine, once no tracee
	// is left, and no other goroutine may ever run on a thread that
	// traces.
	runtime.LockOSThread()
	defer close(tr.done)
	tr.tracer = unix.Gettid()
	if err := tr.cmd.Start(); err != nil {
		tr.started <- err
		return
	}
	tr.main = tr.cmd.Process.Pid
	tr.procs[tr.main] = &tracee{attached: true}
	tr.started <- nil
	defer func() {
		select {
		case <-tr.mainGone:
		default:
			close(tr.mainGone)
		}
	}()
	for {
		var ws unix.WaitStatus
		// __WNOTHREAD: only this thread's tracees, not the children of
		// the rest of git dds (the git it runs, another traced stage).
		pid, err := unix.Wait4(-1, &ws, unix.WALL|unix.WNOTHREAD, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.ECHILD) {
			return
		}
		if err != nil {
			tr.fail(fmt.Errorf("waiting for the traced command: %w", err))
			return
		}
		tr.handle(pid, ws)
	}
}

// fail keeps the first error of the supervisor, which Observed returns.
func (tr *builtinTrace) fail(err error) {
	if tr.err == nil {
		tr.err = fmt.Errorf("audit: %w", err)
	}
}

func (tr *builtinTrace) handle(pid int, ws unix.WaitStatus) {
	if ws.Exited() || ws.Signaled() {
		delete(tr.procs, pid)
		if pid == tr.main {
			tr.mainStatus = ws
			close(tr.mainGone)
		}
		return
	}
	if !ws.Stopped() {
		return
	}
	t := tr.procs[pid]
	if t == nil {
		// A new thread or process can stop before its parent's event
		// names it.
		t = &tracee{}
		tr.procs[pid] = t
	}
	sig := ws.StopSignal()
	if pid == tr.main && !tr.options {
		// The first stop of the command: the SIGTRAP of the helper's
		// execution, before anything traced ran.
		tr.options = true
		if err := unix.PtraceSetOptions(pid, ptraceOptions); err != nil {
			tr.fail(fmt.Errorf("setting the trace's options: %w", err))
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		tr.resume(pid, passed(sig, unix.SIGTRAP))
		return
	}
	switch {
	case sig == unix.SIGTRAP|0x80:
		tr.syscallExit(pid, t)
	case sig == unix.SIGTRAP && ws.TrapCause() > 0:
		tr.event(pid, t, ws.TrapCause())
	case !t.attached && sig == unix.SIGSTOP:
		t.attached = true
		tr.resume(pid, 0)
	default:
		// A signal on its way to the tracee, passed on; or the tracee
		// stopping (SIGSTOP, SIGTSTP), which the trace does not keep
		// stopped: there is no way to tell it apart that keeps it so
		// without PTRACE_SEIZE, and a stage's process group has no
		// terminal to stop it.
		var si unix.Siginfo
		if err := ptraceGetSiginfo(pid, &si); errors.Is(err, unix.EINVAL) {
			tr.resume(pid, 0)
			return
		}
		tr.resume(pid, sig)
	}
}

// passed is sig, or 0 when it is the one the trace itself caused.
func passed(sig, own syscall.Signal) syscall.Signal {
	if sig == own {
		return 0
	}
	return sig
}

func (tr *builtinTrace) resume(pid int, sig syscall.Signal) {
	// ESRCH: the tracee died in the meantime (a SIGKILL); its exit
	// comes next.
	_ = unix.PtraceCont(pid, int(sig))
}

func (tr *builtinTrace) event(pid int, t *tracee, cause int) {
	switch cause {
	case unix.PTRACE_EVENT_SECCOMP:
		tr.seccompStop(pid, t)
		return
	case unix.PTRACE_EVENT_EXEC:
		// A thread other than the leader that executes takes the
		// leader's id: the id it had is gone.
		if former, err := unix.PtraceGetEventMsg(pid); err == nil && int(former) != pid {
			delete(tr.procs, int(former))
		}
		t.opening = notOpening
		if p := execPath(pid); p != "" {
			tr.c.add(tr.c.execs, p)
		}
	case unix.PTRACE_EVENT_FORK, unix.PTRACE_EVENT_VFORK, unix.PTRACE_EVENT_CLONE:
		if child, err := unix.PtraceGetEventMsg(pid); err == nil && tr.procs[int(child)] == nil {
			tr.procs[int(child)] = &tracee{}
		}
	}
	tr.resume(pid, 0)
}

// seccompStop is a thread entering a call the filter traces: if the call
// opens for reading or for writing only, the thread goes on to the call's
// exit, where the file it opened, if any, is known; else it goes on.
func (tr *builtinTrace) seccompStop(pid int, t *tracee) {
	info, err := syscallInfo(pid)
	if err != nil || info.Op != ptraceSyscallInfoSeccomp || info.Arch != auditArch {
		tr.resume(pid, 0)
		return
	}
	kind := notOpening
	var call tracedCall
	for _, c := range tracedCalls() {
		if uint64(c.nr) != info.Nr || c.exec {
			continue
		}
		call = c
		switch {
		case c.creat:
			kind = openWrite
		case c.openat2:
			if flags, ok := readUint64(pid, uintptr(info.Args[2])); ok {
				kind = openKindOf(flags)
			}
		default:
			kind = openKindOf(info.Args[c.flagsArg])
		}
	}
	if kind == notOpening {
		tr.resume(pid, 0)
		return
	}
	// The file is resolved here, at the call's entry, as the kernel is
	// about to, which spares a second stop at its exit per file opened:
	// the cost of tracing a stage that reads many files.
	if p, ok := tr.entryPath(pid, call, info); ok {
		if kind == openRead {
			if p = resolved(p, false); p != "" {
				tr.c.add(tr.c.reads, p)
			}
		} else if p = resolved(p, true); p != "" {
			tr.c.add(tr.c.writes, p)
		}
		tr.resume(pid, 0)
		return
	}
	// Where the path cannot be read, the call's exit says which file it
	// opened, if any.
	t.opening = kind
	if err := unix.PtraceSyscall(pid, 0); err != nil {
		t.opening = notOpening
	}
}

// entryPath is the path a thread stopped at the entry of call is about
// to open, as git dds can open it in its place: its argument, read from
// the thread's memory, under the folder of the file descriptor it is
// relative to.
func (tr *builtinTrace) entryPath(pid int, call tracedCall, info syscallInfoView) (string, bool) {
	pathArg := 0
	if call.at {
		pathArg = 1
	}
	name, ok := tr.readPath(pid, uintptr(info.Args[pathArg]))
	if !ok {
		return "", false
	}
	return underProc(pid, call.at, int32(info.Args[0]), name), true
}

// underProc is name as the thread pid resolves it, for git dds to open:
// an absolute name as it is, a relative one under the link in /proc of
// the thread's working folder, or of the folder open at dirfd (when at),
// which the kernel follows to that very folder. The text is not cleaned:
// "link/.." is the parent of the link's target for the kernel, not the
// folder the link is in.
func underProc(pid int, at bool, dirfd int32, name string) string {
	if strings.HasPrefix(name, "/") {
		return name
	}
	proc := "/proc/" + strconv.Itoa(pid)
	if at && dirfd != unix.AT_FDCWD {
		return proc + "/fd/" + strconv.Itoa(int(dirfd)) + "/" + name
	}
	return proc + "/cwd/" + name
}

// readPath reads a path argument of a tracee, into the supervisor's
// buffer: at most PathMax bytes up to a NUL, as the kernel reads it.
func (tr *builtinTrace) readPath(pid int, addr uintptr) (string, bool) {
	return readPathArg(pid, addr, tr.buf[:])
}

// resolved is the file at p with every symbolic link resolved, as the
// link of an open file descriptor shows it, or "" when p does not exist
// (the open will fail). With created, p may not exist yet: its folder's
// links are resolved then.
func resolved(p string, created bool) string {
	if r := realPath(p); r != "" || !created {
		return r
	}
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return ""
	}
	base := p[i+1:]
	if base == "" || base == "." || base == ".." {
		return ""
	}
	dir := realPath(p[:max(i, 1)])
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, base)
}

// realPath opens p as a mere handle (O_PATH: no access checked, nothing
// read, a FIFO not waited for) and asks the kernel which file it is.
func realPath(p string) string {
	fd, err := unix.Open(p, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return ""
	}
	defer unix.Close(fd)
	var buf [unix.PathMax]byte
	n, err := unix.Readlink("/proc/self/fd/"+strconv.Itoa(fd), buf[:])
	if err != nil || n <= 0 || n >= len(buf) || buf[0] != '/' {
		return ""
	}
	return filepath.Clean(string(buf[:n]))
}

// openKindOf says what open flags open a file for: reading (or reading
// and writing), writing only, or neither (a folder, a mere handle).
func openKindOf(flags uint64) openKind {
	if flags&skipFlags != 0 {
		return notOpening
	}
	switch flags & unix.O_ACCMODE {
	case unix.O_RDONLY, unix.O_RDWR:
		return openRead
	case unix.O_WRONLY:
		return openWrite
	}
	return notOpening
}

// syscallExit is a thread leaving a call that opened: the file
// descriptor it returned names the file as the kernel resolved it.
func (tr *builtinTrace) syscallExit(pid int, t *tracee) {
	kind := t.opening
	t.opening = notOpening
	info, err := syscallInfo(pid)
	if err == nil && info.Op == ptraceSyscallInfoEntry {
		// Kernels before 4.8 stop at the entry after the seccomp stop.
		t.opening = kind
		_ = unix.PtraceSyscall(pid, 0)
		return
	}
	if err == nil && info.Op == ptraceSyscallInfoExit && kind != notOpening && info.IsError == 0 && info.Rval >= 0 {
		if p := fdPath(pid, info.Rval); p != "" {
			if kind == openRead {
				tr.c.add(tr.c.reads, p)
			} else {
				tr.c.add(tr.c.writes, p)
			}
		}
	}
	tr.resume(pid, 0)
}

func (tr *builtinTrace) Wait() error {
	// The kernel reports a tracee's stops to every wait of its tracer's
	// process, even one for exits only, as cmd.Wait's: it must not wait
	// until the supervisor has reaped the command's process, whose status
	// is then the supervisor's to tell. cmd.Wait still ends the copying
	// of its output, within its WaitDelay.
	<-tr.mainGone
	err := tr.cmd.Wait()
	if errors.Is(err, syscall.ECHILD) {
		return exitErrorOf(tr.mainStatus)
	}
	return err
}

func (tr *builtinTrace) Observed() (*Observed, error) {
	<-tr.done
	if tr.err != nil {
		return nil, tr.err
	}
	return tr.c.observed(), nil
}

// Close kills what the command left under the trace and waits for the
// supervisor to end with it.
func (tr *builtinTrace) Close() {
	select {
	case <-tr.done:
		return
	default:
	}
	// What the command left running is in its process group, or holds its
	// environment, where the caller ends it; a tracee left beyond both
	// (a new session, a cleared environment) is found by its tracer.
	_ = syscall.Kill(-tr.main, syscall.SIGKILL)
	for {
		killTracees(tr.tracer)
		select {
		case <-tr.done:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// killTracees kills every process that the thread tracer traces.
func killTracees(tracer int) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	want := []byte("\nTracerPid:\t" + strconv.Itoa(tracer) + "\n")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		status, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err == nil && bytes.Contains(status, want) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// exitError words a wait status as os.ProcessState does.
type exitError unix.WaitStatus

func (e exitError) Error() string {
	ws := unix.WaitStatus(e)
	if ws.Signaled() {
		s := "signal: " + ws.Signal().String()
		if ws.CoreDump() {
			s += " (core dumped)"
		}
		return s
	}
	return "exit status " + strconv.Itoa(ws.ExitStatus())
}

func exitErrorOf(ws unix.WaitStatus) error {
	if ws.Exited() && ws.ExitStatus() == 0 {
		return nil
	}
	return exitError(ws)
}

// fdPath is the file a thread's file descriptor is open on, "" when it is
// not a file by a path (a pipe, a socket).
func fdPath(pid int, fd int64) string {
	var buf [unix.PathMax]byte
	name := "/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.FormatInt(fd, 10)
	n, err := unix.Readlink(name, buf[:])
	if err != nil || n <= 0 || n >= len(buf) || buf[0] != '/' {
		return ""
	}
	return filepath.Clean(string(buf[:n]))
}

// execPath is the program a process just executed, as it named it (the
// kernel keeps that name for it, AT_EXECFN), resolved against its working
// folder; or, when that cannot be read, the file the kernel executed.
func execPath(pid int) string {
	proc := "/proc/" + strconv.Itoa(pid)
	if auxv, err := os.ReadFile(proc + "/auxv"); err == nil {
		for i := 0; i+16 <= len(auxv); i += 16 {
			key := binary.NativeEndian.Uint64(auxv[i:])
			if key != atExecFn {
				continue
			}
			name := readString(pid, uintptr(binary.NativeEndian.Uint64(auxv[i+8:])))
			if name == "" {
				break
			}
			if !filepath.IsAbs(name) {
				cwd, err := os.Readlink(proc + "/cwd")
				if err != nil {
					break
				}
				name = filepath.Join(cwd, name)
			}
			return filepath.Clean(name)
		}
	}
	if exe, err := os.Readlink(proc + "/exe"); err == nil && filepath.IsAbs(exe) {
		return filepath.Clean(exe)
	}
	return ""
}

// atExecFn is the auxiliary vector's entry holding the address of the
// name a program was executed by.
const atExecFn = 31

// readString reads a NUL-terminated string of at most PathMax bytes from
// a tracee's memory.
func readString(pid int, addr uintptr) string {
	if addr == 0 {
		return ""
	}
	buf := make([]byte, unix.PathMax)
	n := readMemory(pid, addr, buf)
	if i := bytes.IndexByte(buf[:n], 0); i >= 0 {
		return string(buf[:i])
	}
	return ""
}

// readUint64 reads a word of a tracee's memory.
func readUint64(pid int, addr uintptr) (uint64, bool) {
	var b [8]byte
	if readMemory(pid, addr, b[:]) < len(b) {
		return 0, false
	}
	return binary.NativeEndian.Uint64(b[:]), true
}

// readMemory reads what it can of buf's length at addr in a tracee's
// memory, stopping after a NUL: through process_vm_readv, a page at a
// time so that a string near the end of a mapping is read up to it, or
// else PTRACE_PEEKDATA, a word at a time (a kernel or a policy without
// process_vm_readv).
func readMemory(pid int, addr uintptr, buf []byte) int {
	const page = 4096
	// Most paths are short: the first read copies a few hundred bytes,
	// not the rest of the page, and the next ones a page each.
	const first = 256
	n := 0
	for n < len(buf) {
		chunk := min(len(buf)-n, page-int((addr+uintptr(n))%page))
		if n == 0 {
			chunk = min(chunk, first)
		}
		local := []unix.Iovec{{Base: &buf[n]}}
		local[0].SetLen(chunk)
		remote := []unix.RemoteIovec{{Base: addr + uintptr(n), Len: chunk}}
		got, err := unix.ProcessVMReadv(pid, local, remote, 0)
		if err != nil {
			if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) {
				return n + peekMemory(pid, addr+uintptr(n), buf[n:])
			}
			return n
		}
		n += got
		if got < chunk || bytes.IndexByte(buf[n-got:n], 0) >= 0 {
			return n
		}
	}
	return n
}

// peekMemory is readMemory through PTRACE_PEEKDATA.
func peekMemory(pid int, addr uintptr, buf []byte) int {
	const piece = 64
	n := 0
	for n < len(buf) {
		want := min(len(buf)-n, piece)
		got, err := unix.PtracePeekData(pid, addr+uintptr(n), buf[n:n+want])
		if got > 0 && bytes.IndexByte(buf[n:n+got], 0) >= 0 {
			return n + got
		}
		n += got
		if err != nil || got < want {
			return n
		}
	}
	return n
}

// ptraceSyscallInfo is struct ptrace_syscall_info, which
// PTRACE_GET_SYSCALL_INFO (Linux 5.3) fills: which stop a thread is at
// and its call's number, arguments or result, on any architecture.
type ptraceSyscallInfo struct {
	Op                 uint8
	_                  [3]uint8
	Arch               uint32
	InstructionPointer uint64
	StackPointer       uint64
	// The union: entry and seccomp {nr, args[6]}, exit {rval, is_error}.
	Nr   uint64
	Args [6]uint64
	_    uint32 // seccomp's ret_data
	_    uint32
}

const (
	ptraceSyscallInfoEntry   = 1
	ptraceSyscallInfoExit    = 2
	ptraceSyscallInfoSeccomp = 3
)

func syscallInfo(pid int) (syscallInfoView, error) {
	var info ptraceSyscallInfo
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GET_SYSCALL_INFO, uintptr(pid), unsafe.Sizeof(info), uintptr(unsafe.Pointer(&info)), 0, 0)
	if errno != 0 {
		return syscallInfoView{}, errno
	}
	v := syscallInfoView{Op: info.Op, Arch: info.Arch, Nr: info.Nr, Args: info.Args}
	if info.Op == ptraceSyscallInfoExit {
		v.Rval = int64(info.Nr)
		v.IsError = uint8(info.Args[0])
	}
	return v, nil
}

// syscallInfoView is what the supervisor reads of a ptraceSyscallInfo.
type syscallInfoView struct {
	Op      uint8
	Arch    uint32
	Nr      uint64
	Args    [6]uint64
	Rval    int64
	IsError uint8
}

func ptraceGetSiginfo(pid int, si *unix.Siginfo) error {
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETSIGINFO, uintptr(pid), 0, uintptr(unsafe.Pointer(si)), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
