package workspace

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/signature"
)

// ErrEdited means an output holds a user's edit that an operation would
// have overwritten.
var ErrEdited = errors.New("outputs were edited by hand")

// CheckoutResult says what checkout did.
type CheckoutResult struct {
	Restored []string `json:"restored"` // output paths written from the store
	Fresh    []string `json:"fresh"`    // already right
	Stale    []string `json:"stale"`    // stages computed nowhere
	Edited   []string `json:"edited"`   // left alone: edited by hand (without force)
	Removed  []string `json:"removed"`  // placed by git dds for other inputs, or no longer declared
	// Pins says what became of the local files the pins stand for.
	Pins *PlacedPins `json:"pins"`
}

// Checkout materializes the outputs of every computed stage of view (nil
// when the working tree has no dds.yaml) from the store. An output edited
// by hand is kept unless force is set.
func (w *Workspace) Checkout(ctx context.Context, view *namespace.View, force bool) (*CheckoutResult, error) {
	res := &CheckoutResult{Restored: []string{}, Fresh: []string{}, Stale: []string{}, Edited: []string{}, Removed: []string{}}
	var statuses []StageStatus
	if view != nil {
		var err error
		if statuses, err = w.Status(ctx, view); err != nil {
			return nil, err
		}
		if statuses, err = w.refetchLost(ctx, view, statuses, force); err != nil {
			return nil, err
		}
	}
	var todo []signature.Output
	var staleOuts []string
	for _, st := range statuses {
		switch st.State {
		case Stale:
			res.Stale = append(res.Stale, st.Name)
			staleOuts = append(staleOuts, st.Outputs...)
		case Fresh:
			res.Fresh = append(res.Fresh, st.Outputs...)
		case Modified:
			if !force {
				res.Edited = append(res.Edited, st.Edited...)
				continue
			}
			if st.Record == nil {
				// Its stored objects are gone or were damaged, and no
				// remote gave them back: nothing can restore it, the edit
				// least of all. --force discards the edit, as it would
				// by restoring, and leaves the stage to git dds run.
				for _, p := range st.Edited {
					if err := os.RemoveAll(filepath.Join(w.Repo.Root, filepath.FromSlash(p))); err != nil {
						return nil, fmt.Errorf("discarding the edited %s: %w", p, err)
					}
				}
				res.Stale = append(res.Stale, st.Name)
				continue
			}
			todo = append(todo, st.Record.Outputs...)
		case Cached:
			todo = append(todo, st.Record.Outputs...)
		}
	}
	// What git dds placed for other inputs, or for outputs no longer
	// declared, goes first, as after a hook: git reset --hard and git
	// stash move the working tree with no hook to run.
	t, err := w.TidyAll(ctx, view, staleOuts)
	if err != nil {
		return nil, err
	}
	res.Removed = t.Removed
	if err := w.materialize(ctx, todo); err != nil {
		return nil, err
	}
	if res.Pins, err = w.placeAfterTidy(ctx, t, force, false); err != nil {
		return nil, err
	}
	if len(t.refused) > 0 {
		return res, fmt.Errorf("%w; the files they pin were not placed: fix or remove the pin files", errors.Join(t.refused...))
	}
	if len(res.Pins.Edited) > 0 && !force {
		res.Edited = append(res.Edited, res.Pins.Edited...)
	}
	for _, o := range todo {
		res.Restored = append(res.Restored, o.Path)
	}
	if len(res.Edited) > 0 {
		return res, fmt.Errorf("%w: %s; run git dds checkout --force to discard the edits, or move them elsewhere first",
			ErrEdited, strings.Join(res.Edited, ", "))
	}
	return res, nil
}

// refetchLost downloads again, from w.Remote, the computations recorded
// here whose objects are gone or were found damaged, and reports the stages
// anew; without a remote, or when it fails (said as a warning), the
// statuses stay as they are.
func (w *Workspace) refetchLost(ctx context.Context, view *namespace.View, statuses []StageStatus, force bool) ([]StageStatus, error) {
	if w.Remote == nil {
		return statuses, nil
	}
	var lost []Computation
	for _, st := range statuses {
		if st.objectsLost && (st.State == Stale || force && st.State == Modified) {
			lost = append(lost, Computation{Stage: st.Name, Signature: st.Signature})
		}
	}
	if len(lost) == 0 {
		return statuses, nil
	}
	res, err := w.Fetch(ctx, w.Remote, lost, nil)
	if err != nil {
		fmt.Fprintf(w.Stderr, "git dds: warning: fetching again what the store lost: %v\n", err)
		return statuses, nil
	}
	if res.Count(Downloaded) == 0 {
		return statuses, nil
	}
	return w.Status(ctx, view)
}

// materialize writes outputs from the store into the working tree and
// remembers what it placed.
func (w *Workspace) materialize(ctx context.Context, outs []signature.Output) error {
	if err := w.place(ctx, outs); err != nil {
		return err
	}
	return w.notePlacedAll(ctx, outs)
}

// place writes outputs from the store into the working tree.
func (w *Workspace) place(ctx context.Context, outs []signature.Output) error {
	for _, o := range outs {
		dest, err := w.outputDest(o.Path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return fmt.Errorf("creating the folder of %s: %w", o.Path, err)
		}
		w.removeDeadWorkTreeTemps(dest)
		if !o.Dir {
			if err := w.Store.CheckSize(o.ContentID, o.Size); err != nil {
				return fmt.Errorf("restoring %s: %w", o.Path, err)
			}
		}
		if err := w.Store.Materialize(ctx, o.ContentID, o.Dir, dest, w.Link); err != nil {
			return fmt.Errorf("restoring %s: %w", o.Path, err)
		}
	}
	return nil
}

// notePlacedAll remembers, in one visit to the index, what was placed.
func (w *Workspace) notePlacedAll(ctx context.Context, outs []signature.Output) error {
	if len(outs) == 0 {
		return nil
	}
	// Notes are few writes, and caches: the journal takes them.
	return w.WithIndexJournal(ctx, func(ix *index.Index) error { return w.writeNotes(ix, outs) })
}

// writeNotes records the stat data of outputs that hold what git dds placed.
func (w *Workspace) writeNotes(ix *index.Index, outs []signature.Output) error {
	// A batch holds a few hundred KiB: a note is about 200 bytes.
	const perBatch = 1000
	for chunk := range slices.Chunk(outs, perBatch) {
		err := ix.Batch(func(b *index.Batch) error {
			for _, o := range chunk {
				if err := w.notePlaced(b, o.Path, o.ContentID, o.Dir); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
