package workspace

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/git-dds/git-dds/internal/index"
)

// errCollected means an object of a record about to be written was taken
// by a git dds gc since the outputs were stored.
var errCollected = errors.New("a git dds gc running beside this run removed an output's object before it was recorded")

// maxIngests bounds how often a stage's outputs are stored again after a gc
// took one of their objects.
const maxIngests = 3

// storingError says that an output could not be stored, and what to do
// when the disk holding the store is full.
func (w *Workspace) storingError(stage, out string, err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("stage %s: storing %s: %w; free space on the disk holding %s (or point git config dds.dir at a larger one) and run git dds run again",
			stage, out, err, w.Dir)
	}
	if index.IsNotWritable(err) {
		return fmt.Errorf("stage %s: storing %s: %w", stage, out, index.NotWritable(w.Dir, err))
	}
	return fmt.Errorf("stage %s: storing %s: %w", stage, out, err)
}
