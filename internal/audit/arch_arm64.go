//go:build linux

package audit

import "golang.org/x/sys/unix"

// auditArch is the ABI whose calls the filter traces.
const auditArch = unix.AUDIT_ARCH_AARCH64

// tracedCalls are the calls that open a file, with the argument holding
// their flags (-1: none, or not in a register), and those that execute a
// program. arm64 has neither open nor creat.
func tracedCalls() []tracedCall {
	return []tracedCall{
		{nr: unix.SYS_OPENAT, flagsArg: 2, at: true},
		{nr: unix.SYS_OPENAT2, flagsArg: -1, openat2: true, at: true},
		{nr: unix.SYS_EXECVE, flagsArg: -1, exec: true},
		{nr: unix.SYS_EXECVEAT, flagsArg: -1, exec: true, at: true},
	}
}
