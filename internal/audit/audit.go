// Package audit watches a command and everything it starts for the files
// they open for reading and the programs they execute, so that git dds run
// --audit can tell which reads a stage's signature does not cover.
//
// It knows nothing of stages or repositories: it runs a command under a
// tracer and hands back absolute paths. What they mean is the caller's.
package audit

import (
	"context"
	"errors"
	"os/exec"
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
	// Wrap changes cmd, not yet started, so that it runs traced. Once cmd
	// has ended, collect returns what it observed; cleanup removes what
	// the trace left behind, whether collect was called or not.
	Wrap(cmd *exec.Cmd) (collect func() (*Observed, error), cleanup func(), err error)
}

// ErrUnavailable means no back end can trace on this machine.
var ErrUnavailable = errors.New("audit unavailable")

// Find returns the first back end that works here, or an error wrapping
// ErrUnavailable that says why none does. Programs are looked up in the
// process's PATH.
func Find(ctx context.Context) (Tracer, error) {
	return findStrace(ctx)
}
