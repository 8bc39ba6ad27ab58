package maintenance

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/store"
	"github.com/git-dds/git-dds/internal/workspace"
)

// removeStaleWorktreeTemps removes what interrupted restores left beside
// the outputs of the working tree's pipeline: the names outputs are built
// under before they are renamed into place (store.WorkTreeTempGlob), as
// soon as the process that made one has ended, and any once older than
// maxAge (a name made by an earlier version does not say its owner). A working tree whose dds.yaml cannot be read has nothing to
// clean.
func removeStaleWorktreeTemps(ctx context.Context, ws *workspace.Workspace, maxAge time.Duration) (int, error) {
	view, err := namespace.Load(ctx, ws.Repo, namespace.WorktreeRev, ws.Env)
	if err != nil {
		return 0, nil
	}
	folders := map[string]bool{}
	for _, out := range view.Pipeline.Outs() {
		folders[filepath.Dir(filepath.Join(ws.Repo.Root, filepath.FromSlash(out)))] = true
	}
	cutoff := time.Now().Add(-maxAge)
	removed := 0
	for folder := range folders {
		temps, err := filepath.Glob(filepath.Join(folder, store.WorkTreeTempGlob))
		if err != nil {
			return removed, err
		}
		for _, tmp := range temps {
			info, err := os.Lstat(tmp)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return removed, err
			}
			if info.ModTime().After(cutoff) && !ws.Store.WorkTreeTempDead(tmp) {
				continue
			}
			if err := os.RemoveAll(tmp); err != nil {
				return removed, fmt.Errorf("removing %s, left by an interrupted restore: %w", tmp, err)
			}
			removed++
		}
	}
	return removed, nil
}
