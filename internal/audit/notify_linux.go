//go:build linux && (amd64 || arm64)

package audit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The structures of seccomp user notification (linux/seccomp.h), which
// golang.org/x/sys/unix does not define; its constants it does.
type (
	// seccompData is struct seccomp_data: the call a thread makes.
	seccompData struct {
		Nr                 int32
		Arch               uint32
		InstructionPointer uint64
		Args               [6]uint64
	}
	// seccompNotif is struct seccomp_notif, what SECCOMP_IOCTL_NOTIF_RECV
	// fills: a thread (Pid, its id in git dds's namespace) waiting in a
	// call.
	seccompNotif struct {
		ID    uint64
		Pid   uint32
		Flags uint32
		Data  seccompData
	}
	// seccompNotifResp is struct seccomp_notif_resp, the answer.
	seccompNotifResp struct {
		ID    uint64
		Val   int64
		Error int32
		Flags uint32
	}
)

// notifyTracer traces through seccomp user notification: the filter,
// inherited by every process and thread the command starts, makes each
// call that opens a file or executes a program wait until git dds, told
// of it through the listener, has read its path and answered "continue"
// (SECCOMP_USER_NOTIF_FLAG_CONTINUE, Linux 5.5): the kernel then makes
// the call as if nothing had stopped it. No ptrace: no stop at a fork, a
// clone or an exec, none for a signal.
//
// Go runs no code of its own between fork and exec, but a child inherits
// the filter of the thread that forks it: the filter is installed on a
// thread of git dds made for it (locked to one goroutine, which ends with
// the thread once the command has ended), which starts the command. The
// listener is born in git dds, and no second git-dds process is started.
type notifyTracer struct {
	// poll waits for each notification with poll(2), as on a kernel
	// whose SECCOMP_IOCTL_NOTIF_RECV would not return once no process is
	// under the filter (recvEndsWhenUnused): for the tests.
	poll bool
}

func (notifyTracer) Name() string { return "the built-in tracer (seccomp user notification)" }

// probeWait bounds the wait for the end of the probe's thread to show on
// its listener.
const probeWait = 2 * time.Second

// probeNotify checks, without starting a process, that this kernel lets
// git dds install a filter with a listener (Linux 5.0, no other listener
// above it), answer "continue" (5.5) and learn that every process under
// the filter has ended (5.8), which is how a trace knows it is complete.
func probeNotify() error {
	installed := make(chan error, 1)
	var listener int
	goOwnThread(func() {
		fd, err := installListener()
		listener = fd
		installed <- err
	})
	if err := <-installed; err != nil {
		return err
	}
	defer unix.Close(listener)
	// An answer to no call: a kernel that knows the flag looks the call up
	// (ENOENT); one that does not refuses the flag (EINVAL).
	resp := seccompNotifResp{Flags: unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE}
	if err := notifIoctl(listener, unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&resp)); !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("the kernel cannot let a call continue (SECCOMP_USER_NOTIF_FLAG_CONTINUE, Linux 5.5): %v", err)
	}
	fds := []unix.PollFd{{Fd: int32(listener), Events: unix.POLLIN}}
	deadline := time.Now().Add(probeWait)
	for time.Now().Before(deadline) {
		n, err := unix.Poll(fds, int(probeWait/time.Millisecond))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err == nil && n == 1 && fds[0].Revents&unix.POLLHUP != 0 {
			return nil
		}
		break
	}
	return errors.New("the kernel does not say when the processes under a filter have ended (Linux 5.8)")
}

// goOwnThread runs fn in a new goroutine locked to a thread that ends
// with it: a thread changed for good (a filter installed) must not run
// anything else, and the runtime starts no thread from a locked one.
// Never the main thread, which the runtime keeps when its goroutine ends.
func goOwnThread(fn func()) {
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() != unix.Getpid() {
			fn()
			return // locked still: the thread ends
		}
		// Held here, the main thread cannot take the goroutine below.
		locked := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			close(locked)
			fn()
		}()
		<-locked
		runtime.UnlockOSThread()
	}()
}

func notifIoctl(fd int, req uint, arg unsafe.Pointer) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg))
	if errno != 0 {
		return errno
	}
	return nil
}

func (t notifyTracer) Start(cmd *exec.Cmd) (Trace, error) {
	if cmd.Process != nil {
		return nil, errors.New("audit: the command has started already")
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	tr := &notifyTrace{
		cmd:      cmd,
		wake:     wake,
		released: make(chan struct{}),
		done:     make(chan struct{}),
		c:        newCollector(),
		seen:     map[int]uint64{},
		programs: map[int]string{},
		sites:    map[callSite]struct{}{},
		blocking: !t.poll && recvEndsWhenUnused(),
	}
	started := make(chan error, 1)
	goOwnThread(func() { tr.start(started) })
	if err := <-started; err != nil {
		tr.release()
		<-tr.done
		unix.Close(wake)
		return nil, err
	}
	return tr, nil
}

// notifyTrace is one command traced through a listener.
type notifyTrace struct {
	cmd      *exec.Cmd
	listener int
	// wake tells the supervisor, blocked in poll, that Close was called.
	wake int
	// starter is the thread that installed the filter and started the
	// command: its own calls (os/exec's opens of /dev/null) are not the
	// command's.
	starter int
	// released is closed when the command has been waited for or the
	// trace closed: the starter's thread ends then. It lives until then
	// for a SysProcAttr.Pdeathsig, which the kernel sends when the thread
	// that forked the command ends.
	released    chan struct{}
	releaseOnce sync.Once
	done        chan struct{} // closed when the supervisor has ended
	// Handles on /proc and on git dds's own /proc/self/fd, or -1.
	proc, selfFd int
	// blocking: the supervisor waits in SECCOMP_IOCTL_NOTIF_RECV itself,
	// not in poll(2) first (recvEndsWhenUnused).
	blocking bool
	// mu guards closing, abandoned, c, err and seen while a blocking
	// supervisor may still run: Close and Observed cannot wake it.
	mu sync.Mutex
	// closing: Close or Observed asked the supervisor to end.
	closing bool
	// abandoned: Close or Observed stopped waiting for a blocking
	// supervisor, which no longer records anything.
	abandoned bool
	// Written by the supervisor, read once done is closed or the
	// supervisor abandoned.
	c     *collector
	err   error
	notif seccompNotif
	buf   [unix.PathMax]byte
	// seen holds, per process that executed a program, a time at which
	// it was there: what Close kills if it is still there and started no
	// later, so as never to kill a process that took an id over.
	seen map[int]uint64
	// programs holds, per process, the program it was last seen running,
	// and sites the thread and calling addresses it was read at.
	programs map[int]string
	sites    map[callSite]struct{}
}

// callSite is a thread and the address it made a traced call from.
type callSite struct {
	tid int
	ip  uint64
}

// maxSeen bounds the processes a trace remembers for Close.
const maxSeen = 1 << 16

// start installs the filter on a thread of its own, starts the
// supervisor and then the command, and holds the thread until released.
func (tr *notifyTrace) start(started chan<- error) {
	fd, err := installListener()
	if err != nil {
		close(tr.done)
		started <- fmt.Errorf("audit: the kernel refused the filter: %w", err)
		return
	}
	tr.listener = fd
	tr.starter = unix.Gettid()
	go tr.supervise()
	if err := tr.cmd.Start(); err != nil {
		started <- err
		return
	}
	started <- nil
	<-tr.released
}

func (tr *notifyTrace) release() {
	tr.releaseOnce.Do(func() { close(tr.released) })
}

// supervise answers the listener until no process is left under the
// filter (the kernel hangs the listener up), or Close asks it to stop.
func (tr *notifyTrace) supervise() {
	defer close(tr.done)
	defer unix.Close(tr.listener)
	tr.proc, tr.selfFd = -1, -1
	if fd, err := unix.Open("/proc", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
		tr.proc = fd
		defer unix.Close(fd)
	}
	if fd, err := unix.Open("/proc/self/fd", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
		tr.selfFd = fd
		defer unix.Close(fd)
	}
	// The kernel wakes git dds on the CPU of the waiting thread where it
	// can (Linux 6.6): the two take turns, as they do here, at less cost.
	_, _, _ = unix.Syscall(unix.SYS_IOCTL, uintptr(tr.listener), unix.SECCOMP_IOCTL_NOTIF_SET_FLAGS, unix.SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)
	if tr.blocking {
		tr.superviseBlocking()
		return
	}
	fds := []unix.PollFd{{Fd: int32(tr.listener), Events: unix.POLLIN}, {Fd: int32(tr.wake), Events: unix.POLLIN}}
	timeout := -1
	for {
		fds[0].Revents, fds[1].Revents = 0, 0
		n, err := unix.Poll(fds, timeout)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			tr.fail(fmt.Errorf("waiting on the listener: %w", err))
			return
		}
		if n == 0 {
			// Closed, and no process under the filter made a call for
			// closeGrace: what is left (which Close could not find) runs
			// on without the trace, its traced calls failing (ENOSYS).
			return
		}
		if fds[1].Revents != 0 {
			var v [8]byte
			_, _ = unix.Read(tr.wake, v[:])
			tr.mu.Lock()
			tr.killSeen()
			tr.closing = true
			tr.mu.Unlock()
			timeout = int(closeGrace / time.Millisecond)
		}
		if fds[0].Revents&unix.POLLIN != 0 {
			tr.receive()
			continue
		}
		if fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 {
			return
		}
	}
}

// superviseBlocking answers the listener, waiting for each call in
// SECCOMP_IOCTL_NOTIF_RECV itself, until no process is left under the
// filter: a poll(2) before each call to learn that costs as much again
// as the wait. Close and Observed cannot wake it: stop kills in its
// place, and the calls of what it killed, or their end, wake it.
func (tr *notifyTrace) superviseBlocking() {
	for {
		tr.notif = seccompNotif{}
		err := notifIoctl(tr.listener, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(&tr.notif))
		switch {
		case err == nil:
			tr.mu.Lock()
			tr.answer()
			tr.mu.Unlock()
		case errors.Is(err, unix.ENOENT):
			// A thread left its call (a signal) before it was received,
			// or no process is left under the filter.
			fds := []unix.PollFd{{Fd: int32(tr.listener), Events: unix.POLLIN}}
			if _, err := unix.Poll(fds, 0); err == nil && fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 {
				return
			}
		case errors.Is(err, unix.EINTR):
		default:
			tr.mu.Lock()
			tr.fail(fmt.Errorf("waiting on the listener: %w", err))
			tr.mu.Unlock()
			return
		}
	}
}

// recvEndsWhenUnused says whether SECCOMP_IOCTL_NOTIF_RECV returns once
// no process is left under the filter (Linux 6.11), as poll(2) on the
// listener says by POLLHUP: before, it waits for ever then. No flag
// tells: the kernel's release does. A kernel that has it under an older
// number waits with poll(2), as before.
func recvEndsWhenUnused() bool {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return false
	}
	major, minor, ok := kernelRelease(unix.ByteSliceToString(u.Release[:]))
	return ok && (major > 6 || major == 6 && minor >= 11)
}

// kernelRelease reads the major and minor numbers of a kernel release
// such as 6.11.0-generic.
func kernelRelease(release string) (major, minor int, ok bool) {
	a, rest, found := strings.Cut(release, ".")
	if !found {
		return 0, 0, false
	}
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	major, err1 := strconv.Atoi(a)
	minor, err2 := strconv.Atoi(rest[:end])
	return major, minor, err1 == nil && err2 == nil
}

// closeGrace is how long a closed trace still answers the processes it
// killed, which end once they have.
const closeGrace = 2 * time.Second

func (tr *notifyTrace) fail(err error) {
	if tr.err == nil {
		tr.err = fmt.Errorf("audit: %w", err)
	}
}

// receive takes one notification and answers it.
func (tr *notifyTrace) receive() {
	tr.notif = seccompNotif{}
	if err := notifIoctl(tr.listener, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(&tr.notif)); err != nil {
		// ENOENT: the thread left the call (a signal) before it was
		// received.
		return
	}
	tr.mu.Lock()
	tr.answer()
	tr.mu.Unlock()
}

// answer answers the notification received, and records what it opens.
func (tr *notifyTrace) answer() {
	n := &tr.notif
	if tr.closing && int(n.Pid) != tr.starter && tr.valid(n) {
		// Closed: whatever still makes a call under the filter (a process
		// started too late to be among those seen) is the command's, and
		// ends.
		_ = syscall.Kill(int(n.Pid), syscall.SIGKILL)
	}
	prog, freshSite := tr.noteProgram(n)
	fd, kind, exec := tr.inspect(n)
	resp := seccompNotifResp{ID: n.ID, Flags: unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE}
	// The answer is also the check that what was read of the thread (its
	// memory, its folders, its program) is its own: the kernel takes it
	// only while the thread still waits in the call it was received in,
	// and never gives a call's id to another, so the thread waited all
	// along. ENOENT: it left the call (killed, or a signal, after which
	// the call comes again under a new id), and its id may have been
	// taken over.
	sendErr := notifIoctl(tr.listener, unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&resp))
	if sendErr != nil || tr.abandoned {
		if fd.fd >= 0 {
			unix.Close(fd.fd)
		}
		if sendErr != nil && freshSite {
			delete(tr.sites, callSite{int(n.Pid), n.Data.InstructionPointer})
		}
		return
	}
	if prog.path != "" {
		tr.programs[prog.pid] = prog.path
	}
	for _, run := range []programNote{prog, exec} {
		if run.path != "" {
			tr.remember(run)
			tr.c.add(tr.c.execs, run.path)
		}
	}
	if fd.fd < 0 && fd.known == "" {
		return
	}
	// The thread goes on while git dds reads which file its handle is
	// on: that handle names it whatever happens to the path next.
	p := tr.name(fd)
	if p == "" {
		return
	}
	switch kind {
	case openRead:
		tr.c.add(tr.c.reads, p)
	case openWrite:
		tr.c.add(tr.c.writes, p)
	}
}

// handle is a file git dds opened as a mere handle (O_PATH) in place of
// a thread, or a name already known (fd -1 with known set).
type handle struct {
	fd    int
	base  string // the name to join to the handle's path; "" for none
	known string // the path already made (a path with no link on the way)
}

func (tr *notifyTrace) name(h handle) string {
	if h.known != "" {
		return h.known
	}
	defer unix.Close(h.fd)
	p := tr.fdName(h.fd)
	if p == "" || h.base == "" {
		return p
	}
	return filepath.Join(p, h.base)
}

// fdName is the path of one of git dds's file descriptors.
func (tr *notifyTrace) fdName(fd int) string {
	var buf [unix.PathMax]byte
	var n int
	var err error
	if tr.selfFd >= 0 {
		n, err = unix.Readlinkat(tr.selfFd, strconv.Itoa(fd), buf[:])
	} else {
		n, err = unix.Readlink("/proc/self/fd/"+strconv.Itoa(fd), buf[:])
	}
	if err != nil || n <= 0 || n >= len(buf) || buf[0] != '/' {
		return ""
	}
	return filepath.Clean(string(buf[:n]))
}

var noHandle = handle{fd: -1}

// inspect reads the call a thread waits in while it waits, and returns
// what it will open, as a handle git dds opened on it: the thread's
// memory and working folder mean what they say only while it waits, and
// only if the notification is still valid once they were read (the
// thread could have been killed and its id taken over), which the
// answer to it tells.
func (tr *notifyTrace) inspect(n *seccompNotif) (handle, openKind, programNote) {
	pid := int(n.Pid)
	if pid == tr.starter || n.Data.Arch != auditArch {
		return noHandle, notOpening, programNote{}
	}
	var call tracedCall
	found := false
	for _, c := range tracedCalls() {
		if int32(c.nr) == n.Data.Nr {
			call, found = c, true
			break
		}
	}
	if !found {
		return noHandle, notOpening, programNote{}
	}
	pathArg := 0
	if call.at {
		pathArg = 1
	}
	name, ok := tr.readPath(pid, uintptr(n.Data.Args[pathArg]))
	kind := openRead
	switch {
	case call.exec:
		if !ok && call.at && n.Data.Args[4]&unix.AT_EMPTY_PATH != 0 {
			name, ok = "", true
		}
	case call.creat:
		kind = openWrite
	case call.openat2:
		flags, fine := readUint64(pid, uintptr(n.Data.Args[2]))
		if !fine {
			return noHandle, notOpening, programNote{}
		}
		kind = openKindOf(flags)
	default:
		kind = openKindOf(n.Data.Args[call.flagsArg])
	}
	if !ok || kind == notOpening {
		return noHandle, notOpening, programNote{}
	}
	if call.exec {
		return noHandle, notOpening, tr.program(pid, call, int32(n.Data.Args[0]), name)
	}
	h, ok := tr.fileHandle(underProc(pid, call.at, int32(n.Data.Args[0]), name), kind)
	if !ok {
		return noHandle, notOpening, programNote{}
	}
	return h, kind, programNote{}
}

// fileHandle is a handle on the file at p, or on its folder when kind is
// openWrite and p does not exist yet; false when neither exists (the
// open will fail).
func (tr *notifyTrace) fileHandle(p string, kind openKind) (handle, bool) {
	known, err := linkFree(p)
	if err == nil {
		return handle{fd: -1, known: known}, true
	}
	if !errors.Is(err, unix.ENOENT) {
		if fd, err := tr.openHandle(p); err == nil {
			return handle{fd: fd}, true
		}
	}
	if kind != openWrite {
		return noHandle, false
	}
	i := strings.LastIndexByte(p, '/')
	base := p[i+1:]
	if base == "" || base == "." || base == ".." {
		return noHandle, false
	}
	dir := p[:max(i, 1)]
	if known, err := linkFree(dir); err == nil {
		return handle{fd: -1, known: filepath.Join(known, base)}, true
	}
	fd, err := tr.openHandle(dir)
	if err != nil {
		return noHandle, false
	}
	return handle{fd: fd, base: base}, true
}

// linkFree is p cleaned if p is absolute, outside /proc, and names a file
// that exists with no symbolic link on the way to it: then that is the
// name the kernel gives the file it opens, which spares opening a handle
// and reading its name back. An open that refuses every link (openat2,
// RESOLVE_NO_SYMLINKS) checks it. ENOENT: no such file, and no link on
// the way to where it is missing, so the command's open fails too; any
// other error (ELOOP for a link) leaves p to openHandle.
func linkFree(p string) (string, error) {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "/proc/") {
		return "", unix.ELOOP
	}
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS}
	fd, err := unix.Openat2(unix.AT_FDCWD, p, &how)
	if err != nil {
		return "", err
	}
	unix.Close(fd)
	return filepath.Clean(p), nil
}

// valid says whether the thread of n still waits in that call: what was
// read of it through its id is its own.
func (tr *notifyTrace) valid(n *seccompNotif) bool {
	id := n.ID
	return notifIoctl(tr.listener, unix.SECCOMP_IOCTL_NOTIF_ID_VALID, unsafe.Pointer(&id)) == nil
}

// openHandle opens p as a mere handle: no access checked, nothing read, a
// FIFO not waited for. A path in /proc is opened from the trace's handle
// on it, which spares the kernel a lookup per file.
func (tr *notifyTrace) openHandle(p string) (int, error) {
	if rest, ok := strings.CutPrefix(p, "/proc/"); ok && tr.proc >= 0 {
		return unix.Openat(tr.proc, rest, unix.O_PATH|unix.O_CLOEXEC, 0)
	}
	return unix.Open(p, unix.O_PATH|unix.O_CLOEXEC, 0)
}

// program is the program a thread is about to execute, as it names it,
// made absolute against its working folder (or the folder at dirfd): the
// name the ptrace back end reads from AT_EXECFN. A name that is no
// executable file is "", as a shell tries each folder of PATH in turn.
func (tr *notifyTrace) program(pid int, call tracedCall, dirfd int32, name string) programNote {
	proc := underProc(pid, call.at, dirfd, name)
	if name == "" {
		// execveat(fd, "", AT_EMPTY_PATH): the file open at fd.
		proc = "/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.Itoa(int(dirfd))
		name = realPath(proc)
		if name == "" {
			return programNote{}
		}
	}
	var st unix.Stat_t
	if err := unix.Stat(proc, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Mode&0o111 == 0 {
		return programNote{}
	}
	if strings.HasPrefix(name, "/") {
		return noteOf(pid, filepath.Clean(name))
	}
	base := "/proc/" + strconv.Itoa(pid) + "/cwd"
	if call.at && dirfd != unix.AT_FDCWD {
		base = "/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.Itoa(int(dirfd))
	}
	dir, err := os.Readlink(base)
	if err != nil || !filepath.IsAbs(dir) {
		return programNote{}
	}
	return noteOf(pid, filepath.Join(dir, name))
}

// programNote is a program a waiting thread's process runs, kept once
// the answer to its call shows the thread waited all along: at, a time
// at which the process was certainly there (bootTicks).
type programNote struct {
	pid  int
	path string
	at   uint64
}

// noteOf notes path for the process pid, whose thread waits in a call.
func noteOf(pid int, path string) programNote {
	at, ok := bootTicks()
	if !ok {
		return programNote{}
	}
	return programNote{pid: pid, path: path, at: at}
}

// noteProgram notes the program a waiting thread's process runs, the
// first time one of its calls shows it (a process that executes another
// program shows it at its next call): executions do not wait at the
// filter (installListener says why). A program that opens no file once
// started goes unseen; the files a script is read from are opens.
//
// Reading /proc/PID/exe at every call would cost about as much as the
// rest of the call's handling: it is read once per thread and calling
// address. A program makes its opens from a few places in its loader and
// its C library, and an exec maps them elsewhere (address space layout
// randomization), so a new program shows as a new address.
//
// The site is known only once the answer shows the thread waited all
// along (the bool: it was new): the call of a thread interrupted meanwhile
// comes again from the same site, and is read again then.
func (tr *notifyTrace) noteProgram(n *seccompNotif) (programNote, bool) {
	pid := int(n.Pid)
	if pid == tr.starter || n.Data.Arch != auditArch {
		return programNote{}, false
	}
	site := callSite{pid, n.Data.InstructionPointer}
	if _, ok := tr.sites[site]; ok || len(tr.sites) >= maxSeen {
		return programNote{}, false
	}
	tr.sites[site] = struct{}{}
	var buf [unix.PathMax]byte
	k, err := unix.Readlink("/proc/"+strconv.Itoa(pid)+"/exe", buf[:])
	if err != nil || k <= 0 || k >= len(buf) || buf[0] != '/' {
		return programNote{}, true
	}
	if string(buf[:k]) == tr.programs[pid] || len(tr.programs) >= maxSeen {
		return programNote{}, true
	}
	return noteOf(pid, string(buf[:k])), true
}

// readPath reads a path argument of a waiting thread into the
// supervisor's buffer: at most PathMax bytes up to a NUL, as the kernel
// reads it.
func (tr *notifyTrace) readPath(pid int, addr uintptr) (string, bool) {
	return readPathArg(pid, addr, tr.buf[:])
}

// remember keeps a process that executes a program, for Close: its id,
// and a time at which it was there. Its start time is read only if Close
// has to kill it: a process started no later than that time is the one
// noted, as a process that took its id over started after it ended; a
// stage that starts a process per file pays no read of /proc per process.
func (tr *notifyTrace) remember(p programNote) {
	if _, ok := tr.seen[p.pid]; ok || len(tr.seen) >= maxSeen {
		return
	}
	tr.seen[p.pid] = p.at
}

// bootTicks is the time since boot in the clock ticks of /proc/PID/stat
// (USER_HZ, 100 on every architecture this file builds for), rounded
// down as the kernel rounds a start time: a process that started before
// it shows a start time no later than it.
func bootTicks() (uint64, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0, false
	}
	const userHZ = 100
	return uint64(ts.Nano()) / (uint64(time.Second) / userHZ), true
}

// startTime is when a process started, in clock ticks since boot: with
// its id, what names it for good.
func startTime(pid int) (uint64, bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The name, in parentheses, may hold anything: the fields follow its
	// last ")". The start time is the 22nd field, the 20th after it.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 20 {
		return 0, false
	}
	t, err := strconv.ParseUint(fields[19], 10, 64)
	return t, err == nil
}

// killSeen kills the processes that executed a program under the trace
// and are still there.
func (tr *notifyTrace) killSeen() {
	for pid, at := range tr.seen {
		if start, ok := startTime(pid); ok && start <= at {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		delete(tr.seen, pid)
	}
}

func (tr *notifyTrace) Wait() error {
	err := tr.cmd.Wait()
	tr.release()
	return err
}

func (tr *notifyTrace) Observed() (*Observed, error) {
	select {
	case <-tr.done:
	case <-time.After(observeWait):
		// A process that ended holds the filter until its parent reaps it,
		// and an orphan's parent may never do (a container's first process
		// that reaps nothing): the listener would never hang up. The
		// command was waited for and the caller ended what it left, so
		// what runs on is not the command's.
		tr.stop()
		tr.waitDone()
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.err != nil {
		return nil, tr.err
	}
	return tr.c.observed(), nil
}

// observeWait bounds the wait of Observed for the listener to hang up.
const observeWait = 5 * time.Second

// stop asks the supervisor to kill what is left under the trace and end;
// a blocking supervisor, which nothing wakes, it stands in for.
func (tr *notifyTrace) stop() {
	if tr.blocking {
		tr.mu.Lock()
		if !tr.closing {
			tr.killSeen()
			tr.closing = true
		}
		tr.mu.Unlock()
		return
	}
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	_, _ = unix.Write(tr.wake, one[:])
}

// waitDone waits for the supervisor to end once stopped. A blocking one
// ends once no process is under the filter; if one is left that neither
// ends nor calls for closeGrace (an ended process its parent never
// reaps), the trace stops waiting: the supervisor records nothing more,
// kills whatever still calls, and ends with the last process.
func (tr *notifyTrace) waitDone() {
	if !tr.blocking {
		<-tr.done
		return
	}
	select {
	case <-tr.done:
	case <-time.After(closeGrace):
		tr.mu.Lock()
		tr.abandoned = true
		tr.mu.Unlock()
	}
}

// Close kills what the command left under the trace and waits for the
// supervisor to end.
func (tr *notifyTrace) Close() {
	tr.release()
	select {
	case <-tr.done:
	default:
		// What the command left running is in its process group, or holds
		// its environment, where the caller ends it; a process beyond both
		// (a new session, a cleared environment) the supervisor kills if it
		// executed a program under the trace.
		if tr.cmd.Process != nil {
			_ = syscall.Kill(-tr.cmd.Process.Pid, syscall.SIGKILL)
		}
		tr.stop()
		tr.waitDone()
	}
	if tr.wake >= 0 {
		unix.Close(tr.wake)
		tr.wake = -1
	}
}
