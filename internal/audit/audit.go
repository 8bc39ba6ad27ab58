// Package audit watches a command and everything it starts for the files
// they open for reading and the programs they execute, so that git dds run
// --audit can tell which reads a stage's signature does not cover.
//
// It knows nothing of stages or repositories: it runs a command under a
// tracer and hands back absolute paths. What they mean is the caller's.
//
// Two back ends trace. The built-in one is git dds itself with a seccomp
// filter that singles out the calls that open a file or execute a
// program: everything else runs at full speed, and no program needs
// installing. Where the kernel allows (Linux 5.8), the filter makes those
// calls wait for git dds through seccomp user notification
// (notify_linux.go): no ptrace, no stop at a fork or a signal, and the
// filter is inherited by every process the command starts. Elsewhere git
// dds acts as a ptrace supervisor (builtin_linux.go), the filter stopping
// the command for it. The strace program is the other back end, for
// where the built-in one cannot run (an architecture it does not know).
// Find prefers the built-in one.
package audit

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// Observed is what a traced command did, every path absolute and clean.
type Observed struct {
	// Reads are the files and folders opened for reading (or reading and
	// writing), each once, sorted.
	Reads []string
	// Execs are the programs executed, each once, sorted.
	Execs []string
	// Writes are the files opened for writing only, each once, sorted:
	// a file the command wrote and read back is its own scratch file.
	Writes []string
	// Dropped counts paths left out beyond MaxPaths: a command that opens
	// more distinct files is told in part.
	Dropped int
}

// MaxPaths bounds the distinct paths one traced command yields, reads and
// programs and writes together: far above what a stage opens, low enough that a
// trace cannot make git dds hold it all in memory without end.
const MaxPaths = 1 << 18

// Tracer runs commands under observation.
type Tracer interface {
	// Name is what messages call the back end.
	Name() string
	// Start starts cmd, which must not have started, traced: in place of
	// cmd.Start. The caller then waits through the Trace, not through
	// cmd.Wait.
	Start(cmd *exec.Cmd) (Trace, error)
}

// Trace is one command started under a Tracer.
type Trace interface {
	// Wait waits for the command to end, in place of cmd.Wait, and
	// returns what cmd.Wait would.
	Wait() error
	// Observed returns what the command did, once Wait has returned.
	Observed() (*Observed, error)
	// Close ends whatever the command left running under the trace and
	// removes what the trace left behind, whether Observed was called or
	// not.
	Close()
}

// The back ends' names, as dds.auditTracer takes them.
const (
	Auto    = "auto"    // the built-in back end where it works, else strace
	Builtin = "builtin" // git dds itself, through seccomp (user notification, else ptrace)
	Strace  = "strace"  // the strace program
)

// ErrUnavailable means no back end can trace on this machine.
var ErrUnavailable = errors.New("audit unavailable")

// Find returns the back end named (Auto, Builtin or Strace; "" is Auto)
// once it has checked that it works here, or an error wrapping
// ErrUnavailable that says why it does not (each one's reason, for Auto).
// Programs are looked up in the process's PATH.
func Find(ctx context.Context, name string) (Tracer, error) {
	switch name {
	case Builtin:
		return findBuiltin(ctx)
	case Strace:
		return findStrace(ctx)
	case Auto, "":
		t, err := findBuiltin(ctx)
		if err == nil {
			return t, nil
		}
		t, err2 := findStrace(ctx)
		if err2 == nil {
			return t, nil
		}
		return nil, fmt.Errorf("%w: %s; %s", ErrUnavailable, reason(err), reason(err2))
	}
	return nil, fmt.Errorf("audit: %q is no back end; it takes auto, builtin or strace", name)
}

// reason is an ErrUnavailable's text without its prefix.
func reason(err error) string {
	return strings.TrimPrefix(err.Error(), ErrUnavailable.Error()+": ")
}
