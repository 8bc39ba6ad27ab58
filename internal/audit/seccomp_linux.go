//go:build linux && (amd64 || arm64)

package audit

import (
	"bytes"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Offsets in struct seccomp_data, which a filter reads.
const (
	offNr   = 0
	offArch = 4
	offArgs = 16 // args[i] at offArgs + 8*i, its low half first on these little-endian machines
)

// skipFlags are the open flags of a call that reads no content: a folder
// opened to list it or a mere handle (O_PATH). The filter lets them run
// without a stop, which saves the many opens of folders that interpreters
// and find make.
const skipFlags = unix.O_PATH | unix.O_DIRECTORY

// filter is the seccomp program: action (SECCOMP_RET_TRACE, a stop for
// a ptrace supervisor, or SECCOMP_RET_USER_NOTIF, a notification to the
// listener) for the calls that open a file (creat, openat2, and open and
// openat unless their flags name a folder or a handle), and with execs
// for those that execute a program, and SECCOMP_RET_ALLOW for every
// other call. A call of another ABI (32-bit code on a 64-bit kernel) is
// allowed untraced.
func filter(action uint32, execs bool) []unix.SockFilter {
	const (
		ld  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		jst = unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K
		ret = unix.BPF_RET | unix.BPF_K
	)
	var calls []tracedCall
	for _, c := range tracedCalls() {
		if execs || !c.exec {
			calls = append(calls, c)
		}
	}
	withFlags := 0
	for _, c := range calls {
		if c.flagsArg >= 0 {
			withFlags++
		}
	}
	// The layout: check the ABI, load the number, one comparison per
	// call, allow (no call matched), a check of two instructions per call
	// with flags, allow, trace. Jumps go forward and count the
	// instructions they skip.
	p := []unix.SockFilter{
		{Code: ld, K: offArch},
		{Code: jeq, K: auditArch, Jt: 1},
		{Code: ret, K: unix.SECCOMP_RET_ALLOW},
		{Code: ld, K: offNr},
	}
	checkAt := len(p) + len(calls) + 1
	allowAt := checkAt + 2*withFlags
	traceAt := allowAt + 1
	checks := 0
	for _, c := range calls {
		target := traceAt
		if c.flagsArg >= 0 {
			target = checkAt + 2*checks
			checks++
		}
		p = append(p, unix.SockFilter{Code: jeq, K: c.nr, Jt: uint8(target - len(p) - 1)})
	}
	p = append(p, unix.SockFilter{Code: ret, K: unix.SECCOMP_RET_ALLOW})
	for _, c := range calls {
		if c.flagsArg < 0 {
			continue
		}
		p = append(p, unix.SockFilter{Code: ld, K: uint32(offArgs + 8*c.flagsArg)})
		at := len(p)
		p = append(p, unix.SockFilter{Code: jst, K: skipFlags, Jt: uint8(allowAt - at - 1), Jf: uint8(traceAt - at - 1)})
	}
	p = append(p,
		unix.SockFilter{Code: ret, K: unix.SECCOMP_RET_ALLOW},
		unix.SockFilter{Code: ret, K: action})
	return p
}

// installFilter makes the calling thread's calls, and those of every
// process it becomes or starts, stop for its tracer at the calls the
// filter traces. no_new_privs is what lets a process without privileges
// install a filter; it also keeps a setuid program from gaining its
// owner's rights under the trace.
func installFilter() error {
	_, err := install(filter(unix.SECCOMP_RET_TRACE, false), 0)
	return err
}

// installListener makes the calling thread's calls, and those of every
// process it starts, wait at the calls the filter traces for an answer
// from the file descriptor it returns (the listener). The thread is
// changed for good: only a thread that ends after may call it.
//
// Executions do not wait: the thread that starts the command holds one of
// the runtime's processors from its fork (a vfork) to the child's exec,
// and an exec waiting for the supervisor, which needs a processor too,
// hangs git dds whenever no other one is free (GOMAXPROCS 1, or a garbage
// collection waiting on that thread). The supervisor learns programs
// from the calls the processes make after their exec instead.
func installListener() (int, error) {
	return install(filter(unix.SECCOMP_RET_USER_NOTIF, false), unix.SECCOMP_FILTER_FLAG_NEW_LISTENER)
}

// install installs prog with flags and SECCOMP_FILTER_FLAG_SPEC_ALLOW
// (Linux 4.17; without it where the kernel does not know it). Without
// that flag, a kernel whose speculation mitigations follow seccomp
// (spec_store_bypass_disable=seccomp, spectre_v2_user=seccomp, the
// default before 5.16) forces them on every process under a filter:
// the traced command would run with Speculative Store Bypass disabled and
// a barrier at each of its context switches, two per traced call, which
// it does not run with untraced. The filter observes; it guards nothing.
func install(prog []unix.SockFilter, flags uintptr) (int, error) {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return -1, fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	fd, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags|unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW, uintptr(unsafe.Pointer(&fprog)))
	if errno == unix.EINVAL {
		fd, _, errno = unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&fprog)))
	}
	runtime.KeepAlive(prog)
	if errno != 0 {
		return -1, fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER): %w", errno)
	}
	return int(fd), nil
}

// readPathArg reads a path argument of a waiting thread into buf: at most
// len(buf) bytes up to a NUL, as the kernel reads it.
func readPathArg(pid int, addr uintptr, buf []byte) (string, bool) {
	if addr == 0 {
		return "", false
	}
	n := readMemory(pid, addr, buf)
	i := bytes.IndexByte(buf[:n], 0)
	if i <= 0 {
		return "", false
	}
	return string(buf[:i]), true
}
