package remote

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
)

// A tree mark says that every artifact of one tree's view was seen in the
// remote, as a push found it. The pre-push hook of a push that brings no
// new data (a commit that changed code only, or none of the pipeline's
// inputs) then answers from one small file, without the index. A view
// depends on its tree alone unless a stage declares environment variables,
// whose values may differ from one push to the next: such trees get no
// mark. Marks live beside the index, under <dds dir>/remotes/<remote>/trees/,
// and go with everything else a clone remembers of a remote.

const markContent = "git-dds tree mark 1\n"

func (r *Remote) marksDir(local Local) string {
	return marksDir(local, r.cacheID)
}

func marksDir(local Local, cacheID string) string {
	return filepath.Join(local.Dir, "remotes", cacheID, "trees")
}

// HoldsTree reports whether a mark says the remote holds every artifact of
// tree's view.
func (r *Remote) HoldsTree(local Local, tree string) bool {
	return holdsTree(local, r.cacheID, tree)
}

// HoldsTree is Remote.HoldsTree for the remote c describes, without
// opening it: a push that brings no new data needs nothing more (an S3
// client costs milliseconds of CPU to set up).
func (c Config) HoldsTree(local Local, tree string) bool {
	return holdsTree(local, cacheIDOf(c), tree)
}

func holdsTree(local Local, cacheID, tree string) bool {
	if local.Dir == "" {
		return false
	}
	data, err := os.ReadFile(filepath.Join(marksDir(local, cacheID), tree))
	return err == nil && string(data) == markContent
}

// MarkTree notes that the remote holds every artifact of tree's view, a
// view that depends on the tree alone.
func (r *Remote) MarkTree(local Local, tree string) error {
	if local.Dir == "" {
		return nil
	}
	dir := r.marksDir(local)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("noting what remote %s holds: %w", r.Name, err)
	}
	return renameio.WriteFile(filepath.Join(dir, tree), []byte(markContent), 0o644)
}

// forgetMarks drops every tree mark of the remote: something it was seen
// holding has gone.
func (r *Remote) forgetMarks(local Local) error {
	if local.Dir == "" {
		return nil
	}
	return os.RemoveAll(filepath.Join(local.Dir, "remotes", r.cacheID))
}
