package workspace

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/signature"
)

// SyncResult says what bringing the working tree to a view did.
type SyncResult struct {
	// Restored counts the outputs written from the store.
	Restored int `json:"restored"`
	// Promoted lists the outputs restored whose signature changed from the
	// previous namespace: already computed, no run needed.
	Promoted []namespace.Artifact `json:"promoted"`
	// PromotedBytes and SavedSeconds are the size of the promoted outputs
	// and the compute their computations took.
	PromotedBytes int64   `json:"promoted_bytes"`
	SavedSeconds  float64 `json:"saved_seconds"`
	// Stale names the stages the local store does not hold: git dds run
	// computes them (or pulls them, where the remote has them).
	Stale []string `json:"stale"`
	// StaleRows are the status rows of those stages, for asking a remote
	// about them as git dds status does.
	StaleRows []StageStatus `json:"-"`
	// Edited lists outputs edited by hand, left as they are.
	Edited []string `json:"edited"`
	// Removed lists the outputs git dds had placed, that nobody edited
	// since, and that the working tree must not hold: a stale stage's (they
	// were computed for other inputs) or an output no longer declared.
	Removed []string `json:"removed"`
	// Undeclared lists the outputs no longer declared that were edited by
	// hand: kept, and still git-ignored while they are there.
	Undeclared []string `json:"undeclared"`
	// Pins says what became of the local files the pins stand for.
	Pins *PlacedPins `json:"pins"`
}

// Sync brings the working tree to view (nil when the working tree has no
// dds.yaml): it materializes every output whose computation is in the
// store, keeps outputs edited by hand, removes what git dds placed that
// view does not have (see Tidy), and says what changed against previous
// (the namespace the working tree reflected before; nil when unknown). It
// is what the hooks run after git moved the working tree. then, when not
// nil, runs in the same visit to the index as Sync's own writes (the hooks
// bind the branch's namespace there): one writable opening rather than two.
func (w *Workspace) Sync(ctx context.Context, view *namespace.View, previous *namespace.Namespace, then func(ix *index.Index) error) (*SyncResult, error) {
	res := &SyncResult{Promoted: []namespace.Artifact{}, Stale: []string{}, Edited: []string{}, Removed: []string{}, Undeclared: []string{}}
	var rows []StageStatus
	if view != nil {
		var err error
		if rows, err = w.Status(ctx, view); err != nil {
			return nil, err
		}
	}
	before := map[string]string{}
	if previous != nil {
		for _, a := range previous.Artifacts {
			before[a.Path] = a.Signature
		}
	}
	var todo []signature.Output
	var staleOuts []string
	for _, r := range rows {
		switch r.State {
		case Stale:
			res.Stale = append(res.Stale, r.Name)
			res.StaleRows = append(res.StaleRows, r)
			staleOuts = append(staleOuts, r.Outputs...)
			continue
		case Modified:
			res.Edited = append(res.Edited, r.Edited...)
			continue
		case Fresh:
			// Already in place: the working tree had them before git moved.
			continue
		case Cached:
			todo = append(todo, r.Record.Outputs...)
		}
		promoted := false
		for _, o := range r.Record.Outputs {
			if sig, ok := before[o.Path]; ok && sig != r.Signature {
				res.Promoted = append(res.Promoted, namespace.Artifact{Path: o.Path, Stage: r.Name, Signature: r.Signature})
				res.PromotedBytes += o.Size
				promoted = true
			}
		}
		if promoted {
			res.SavedSeconds += r.Record.Duration.Seconds()
		}
	}
	t, err := w.Tidy(ctx, view, staleOuts)
	if err != nil {
		return nil, err
	}
	res.Removed, res.Undeclared = t.Removed, t.Kept
	if err := w.place(ctx, todo); err != nil {
		return nil, err
	}
	if res.Pins, err = w.placeAfterTidy(ctx, t, false, true); err != nil {
		return nil, err
	}
	res.Restored = len(todo)
	if len(todo) == 0 && len(t.forget) == 0 && then == nil {
		return res, nil
	}
	err = w.WithIndexJournal(ctx, func(ix *index.Index) error {
		if err := w.writeNotes(ix, todo); err != nil {
			return err
		}
		if err := w.forget(ix, t.forget); err != nil || then == nil {
			return err
		}
		return then(ix)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Tidied says what Tidy did.
type Tidied struct {
	// Removed lists the outputs deleted from the working tree.
	Removed []string
	// Kept lists the outputs no longer declared that were edited by hand:
	// left in place, and still git-ignored while they are there, so that
	// git add -A does not commit them.
	Kept []string
	// forget lists the paths whose placed note goes: removed, or missing.
	forget []string
	// pinned are the local files the working tree's pins stand for, which
	// count as declared; refused says which pins were refused, and why.
	pinned  []PinnedFile
	refused []error
}

// Tidy writes the ignore rules for the outputs of view, the working
// tree's pipeline (nil when it has no dds.yaml), and deletes from the
// working tree what git dds placed there and nobody edited since but that must not stay: every output no
// longer declared (a commit without dds.yaml, an orphan branch, an output
// renamed or removed from dds.yaml), wherever git dds placed it in this
// working tree, and the outputs listed in stale, which hold the bytes of
// other inputs than the working tree's. The contents stay in the store.
// An output edited by hand is kept; one no longer declared stays ignored
// while it is there (its note is kept, so that the next sync knows it). Only the files go here; the notes of
// what was placed are dropped by forget, in the caller's writable visit.
//
// When view is the working tree's, the pin files are found in its overlay,
// whose reading of git's index the caller already paid for: a hook reads
// the index once.
func (w *Workspace) Tidy(ctx context.Context, view *namespace.View, stale []string) (*Tidied, error) {
	t := &Tidied{}
	var declared []string
	if view != nil {
		declared = view.Pipeline.Outs()
	}
	var err error
	if t.pinned, t.refused, err = w.pinnedFilesOf(ctx, view); err != nil {
		return nil, err
	}
	declared = slices.Concat(declared, pinnedPaths(t.pinned))
	isDeclared := make(map[string]bool, len(declared))
	for _, o := range declared {
		isDeclared[o] = true
	}
	type candidate struct {
		path       string
		note       index.Placed
		undeclared bool
	}
	var cands []candidate
	err = w.WithIndexRead(ctx, func(ix *index.Index) error {
		err := ix.PlacedIn(w.worktreeKey(), func(p string, note index.Placed) error {
			if isDeclared[p] {
				return nil
			}
			// A note that does not decode has no fingerprint: never removed.
			cands = append(cands, candidate{path: p, note: note, undeclared: true})
			return nil
		})
		if err != nil || len(stale) == 0 {
			return err
		}
		placedAt, err := w.loadPlaced(ix, stale)
		for _, p := range stale {
			if pl, ok := placedAt[p]; ok {
				cands = append(cands, candidate{path: p, note: pl})
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, c := range cands {
		// The paths come from the index: one that would lead out of the
		// working tree (by ".." or a symbolic link) is not git dds's to
		// delete, whatever the index says; its note goes.
		abs, err := w.outputDest(c.path)
		if err != nil {
			t.forget = append(t.forget, c.path)
			continue
		}
		fp, err := fingerprint(abs)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			t.forget = append(t.forget, c.path)
		case err == nil && c.note.Fingerprint != "" && fp == c.note.Fingerprint:
			if err := os.RemoveAll(abs); err != nil {
				return nil, fmt.Errorf("removing %s, an output the working tree's dds.yaml no longer gives these bytes: %w", c.path, err)
			}
			t.Removed = append(t.Removed, c.path)
			t.forget = append(t.forget, c.path)
		case c.undeclared:
			t.Kept = append(t.Kept, c.path)
		}
	}
	slices.Sort(t.Removed)
	slices.Sort(t.Kept)
	// Written after the removals, so that a file no longer declared is
	// never listed as untracked meanwhile, and before any output is placed.
	if err := w.writeExclude(slices.Concat(declared, t.Kept)); err != nil {
		return nil, err
	}
	return t, nil
}

// forget drops the placed notes of paths.
func (w *Workspace) forget(ix *index.Index, paths []string) error {
	const perBatch = 1000
	for chunk := range slices.Chunk(paths, perBatch) {
		err := ix.Batch(func(b *index.Batch) error {
			for _, p := range chunk {
				if err := b.DeletePlaced(w.worktreeKey(), p); err != nil {
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

// TidyAll is Tidy with its own visit to the index for the notes, for the
// commands that write nothing else there.
func (w *Workspace) TidyAll(ctx context.Context, view *namespace.View, stale []string) (*Tidied, error) {
	t, err := w.Tidy(ctx, view, stale)
	if err != nil || len(t.forget) == 0 {
		return t, err
	}
	return t, w.WithIndex(ctx, func(ix *index.Index) error { return w.forget(ix, t.forget) })
}
