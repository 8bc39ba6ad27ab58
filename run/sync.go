package run

import (
	"context"
	"fmt"
	"os"

	"github.com/git-dds/git-dds/namespace"
	"github.com/git-dds/git-dds/sigindex"
)

// SyncResult says what bringing the working tree to a branch's view did.
type SyncResult struct {
	// Restored counts the outputs written from the store.
	Restored int `json:"restored"`
	// Promoted lists the outputs whose signature changed from the previous
	// namespace and that were already computed: no run needed.
	Promoted []namespace.Artifact `json:"promoted"`
	// PromotedBytes and SavedSeconds are the size of the promoted outputs
	// and the compute their computations took.
	PromotedBytes int64   `json:"promoted_bytes"`
	SavedSeconds  float64 `json:"saved_seconds"`
	// Stale names the stages computed nowhere: git dds run computes them.
	Stale []string `json:"stale"`
	// Edited lists outputs edited by hand, left as they are.
	Edited []string `json:"edited"`
	// Removed lists outputs of the previous namespace that the view no
	// longer has: git dds had placed them and nobody edited them since.
	Removed []string `json:"removed"`
}

// Sync materializes every output of view whose computation is in the store,
// keeps outputs edited by hand, and says what changed against previous (the
// namespace the working tree reflected before; nil when unknown). It is what
// the hooks run after git moved HEAD. then, when not nil, runs in the same
// visit to the index as Sync's own writes (the hooks bind the branch's
// namespace there): one writable opening rather than two.
func (w *Workspace) Sync(ctx context.Context, view *namespace.View, previous *namespace.Namespace, then func(ix *sigindex.Index) error) (*SyncResult, error) {
	if err := SyncGitignore(w.Repo.Root, view.Pipeline.Outs()); err != nil {
		return nil, err
	}
	rows, err := w.Status(ctx, view)
	if err != nil {
		return nil, err
	}
	res := &SyncResult{Promoted: []namespace.Artifact{}, Stale: []string{}, Edited: []string{}, Removed: []string{}}
	before := map[string]string{}
	if previous != nil {
		for _, a := range previous.Artifacts {
			before[a.Path] = a.Signature
		}
	}
	var todo []sigindex.Output
	for _, r := range rows {
		switch r.State {
		case Stale:
			res.Stale = append(res.Stale, r.Name)
			continue
		case Modified:
			res.Edited = append(res.Edited, r.Edited...)
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
	if err := w.place(ctx, todo); err != nil {
		return nil, err
	}
	res.Restored = len(todo)
	gone := goneOutputs(view, previous)
	if len(todo) == 0 && len(gone) == 0 && then == nil {
		return res, nil
	}
	err = w.WithIndex(ctx, func(ix *sigindex.Index) error {
		if err := w.writeNotes(ix, todo); err != nil {
			return err
		}
		removed, err := w.removeGone(ix, gone)
		res.Removed = removed
		if err != nil || then == nil {
			return err
		}
		return then(ix)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// goneOutputs lists the outputs of previous (nil: none) that view does not
// declare.
func goneOutputs(view *namespace.View, previous *namespace.Namespace) []string {
	if previous == nil {
		return nil
	}
	declared := map[string]bool{}
	for _, o := range view.Pipeline.Outs() {
		declared[o] = true
	}
	var gone []string
	for _, a := range previous.Artifacts {
		if !declared[a.Path] {
			gone = append(gone, a.Path)
		}
	}
	return gone
}

// removeGone deletes the outputs a branch no longer declares, so that they
// do not linger as untracked files once .gitignore no longer lists them.
// Only what git dds placed and nobody edited is removed; the content stays
// in the store.
func (w *Workspace) removeGone(ix *sigindex.Index, gone []string) ([]string, error) {
	if len(gone) == 0 {
		return nil, nil
	}
	var removed []string
	placedAt, err := w.loadPlaced(ix, gone)
	if err != nil {
		return nil, err
	}
	err = ix.Batch(func(b *sigindex.Batch) error {
		for _, p := range gone {
			last, known := placedAt[p]
			if !known {
				continue
			}
			// The previous namespace comes from the index: a path that
			// would lead out of the working tree is not git dds's to
			// delete, whatever the index says.
			abs, err := w.outputDest(p)
			if err != nil {
				continue
			}
			if fp, err := fingerprint(abs); err != nil || fp != last.Fingerprint {
				continue // missing already, or edited: not ours to delete
			}
			if err := os.RemoveAll(abs); err != nil {
				return fmt.Errorf("removing %s, an output the branch no longer has: %w", p, err)
			}
			removed = append(removed, p)
			if err := b.DeleteRaw(w.placedKey(p)); err != nil {
				return err
			}
		}
		return nil
	})
	return removed, err
}
