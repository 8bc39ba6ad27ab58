package workspace

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"

	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/parallel"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/store"
)

// State is where a stage's computation stands, in the words git dds status
// prints and its --json carries (its help, in docs/reference): scripts
// match them.
type State string

const (
	Fresh    State = "fresh"    // computed, and the working tree holds exactly its outputs
	Cached   State = "cached"   // computed and in the local store
	Stale    State = "stale"    // computed nowhere
	Modified State = "modified" // computed, but an output was edited by hand
	// Missing is set by VerifyExternal alone: computed, but an external
	// output is gone from the lake.
	Missing State = "missing"
)

// StageStatus is one row of `git dds status`.
type StageStatus struct {
	Name      string   `json:"name"`
	Signature string   `json:"signature"`
	State     State    `json:"state"`
	Outputs   []string `json:"outputs"`
	Changed   []string `json:"changed"`
	// Edited lists outputs changed by hand (state modified).
	Edited []string `json:"edited,omitempty"`
	// Damaged lists outputs whose stored object was found changed after it
	// was stored (an in-place write into a hardlinked output): the object
	// is quarantined, and the stage must be fetched again or recomputed.
	Damaged []string `json:"damaged,omitempty"`
	// Missing lists the external outputs (ext:NAME) VerifyExternal found
	// gone from the lake, or empty (state missing).
	Missing []string `json:"missing,omitempty"`
	// Undeclared lists what the last audited run of the stage (that of
	// Record, else of Last) read that its signature still does not cover.
	Undeclared []signature.Undeclared `json:"undeclared,omitempty"`
	// CutOff, for a stale stage, says whether run may cut it off instead
	// of executing it: CutOffReady or CutOffPossible; empty otherwise.
	CutOff string `json:"cut_off,omitempty"`
	// objectsLost is set when the stage's record is here but not all of
	// its objects are: a remote may have them again.
	objectsLost bool
	// Why says in words what changed since the last computation.
	Why []string `json:"-"`
	// Record is the computation behind a non-stale state.
	Record *signature.Record `json:"-"`
	// Last is, for a stale stage, the last computation of the stage on the
	// current branch's history, else the newest on any branch: what
	// Changed and Why are measured against, and an estimate of a run.
	Last *signature.Record `json:"-"`
	// LastOnBranch says Last was found on the current branch's history,
	// at the commit LastCommit.
	LastOnBranch bool   `json:"-"`
	LastCommit   string `json:"-"`
}

// Status reports every stage of view against the index, the store and the
// working tree.
func (w *Workspace) Status(ctx context.Context, view *namespace.View) ([]StageStatus, error) {
	rows := make([]StageStatus, len(view.Stages))
	refresh := make([][]signature.Output, len(view.Stages))
	hist := &branchHistory{w: w, view: view}
	err := w.WithIndexRead(ctx, func(ix *index.Index) error {
		// Each stage is a few look-ups, stats and a record to decode: in a
		// pipeline of thousands, worth every core.
		return parallel.ForEach(ctx, len(view.Stages), runtime.GOMAXPROCS(0), func(ctx context.Context, i int) error {
			var err error
			rows[i], refresh[i], err = w.stageStatus(ctx, ix, hist, view.Stages[i])
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	if notes := slices.Concat(refresh...); len(notes) > 0 {
		// Best effort: a note that is not refreshed costs a hash next time.
		_ = w.WithIndexJournal(ctx, func(ix *index.Index) error { return w.writeNotes(ix, notes) })
	}
	return rows, nil
}

// stageStatus reports one stage; refresh lists the outputs whose notes no
// longer match their stat data though they hold what git dds placed.
func (w *Workspace) stageStatus(ctx context.Context, ix *index.Index, hist *branchHistory, sv namespace.StageView) (row StageStatus, refresh []signature.Output, err error) {
	row = StageStatus{Name: sv.Stage.Name, Signature: sv.Signature, Outputs: sv.Stage.Outs, Changed: []string{}}
	rec, ok, err := ix.Get(sv.Signature)
	if err != nil {
		return row, nil, err
	}
	if ok && (!namesExactly(rec, sv.Stage.Outs) || !externalsExactly(rec, sv.Stage)) {
		// A record naming other outputs than the stage declares was not
		// written by git dds (its signature covers the outputs' paths):
		// it is ignored, and a run replaces it.
		ok = false
	}
	var damaged []string
	if ok {
		ok, damaged = w.checkObjects(ctx, rec, false)
		row.objectsLost = !ok
	}
	if !ok {
		row.State = Stale
		if last, commit, onBranch, err := hist.last(ctx, ix, sv); err != nil {
			return row, nil, err
		} else if last != nil {
			row.Last, row.LastCommit, row.LastOnBranch = last, commit, onBranch
			row.Changed = signature.Changed(last.Inputs, sv.Inputs)
			row.Why = signature.Describe(last.Inputs, sv.Inputs)
			row.Undeclared = stillUndeclared(sv.Stage, last)
		}
		if row.objectsLost {
			return w.lostStatus(ctx, ix, row, rec, damaged)
		}
		if row.CutOff, err = w.cutOffHint(ctx, ix, sv, row.Last); err != nil {
			return row, nil, err
		}
		return row, nil, nil
	}
	placedAt, err := w.loadPlaced(ix, sv.Stage.Outs)
	if err != nil {
		return row, nil, err
	}
	row.Record = rec
	row.Undeclared = stillUndeclared(sv.Stage, rec)
	row.State = Fresh
	for _, out := range rec.Outputs {
		last, known := placedAt[out.Path]
		cond, stale, err := w.condition(ctx, out.Path, out, last, known)
		if err != nil {
			return row, nil, err
		}
		if stale && cond == outputMatches {
			refresh = append(refresh, out)
		}
		switch cond {
		case outputEdited:
			row.State = Modified
			row.Edited = append(row.Edited, out.Path)
		case outputMissing, outputOther:
			if row.State == Fresh {
				row.State = Cached
			}
		}
	}
	return row, refresh, nil
}

// namesExactly reports whether the outputs of rec are exactly outs, in any
// order.
func namesExactly(rec *signature.Record, outs []string) bool {
	if len(rec.Outputs) != len(outs) {
		return false
	}
	for _, o := range rec.Outputs {
		if !slices.Contains(outs, o.Path) {
			return false
		}
	}
	return !hasDuplicatePaths(rec.Outputs)
}

func hasDuplicatePaths(outs []signature.Output) bool {
	seen := make(map[string]bool, len(outs))
	for _, o := range outs {
		if seen[o.Path] {
			return true
		}
		seen[o.Path] = true
	}
	return false
}

// lostStatus reports a stage recorded here whose objects are gone, or were
// found damaged and quarantined (damaged lists those outputs): stale, since
// nothing here can restore it, or modified when a working-tree copy differs
// from what was recorded. In Hardlink mode that copy may be the damaged
// object itself, edited in place, in this worktree or another: never fresh.
func (w *Workspace) lostStatus(ctx context.Context, ix *index.Index, row StageStatus, rec *signature.Record, damaged []string) (StageStatus, []signature.Output, error) {
	row.Damaged = damaged
	placedAt, err := w.loadPlaced(ix, row.Outputs)
	if err != nil {
		return row, nil, err
	}
	for _, out := range rec.Outputs {
		last, known := placedAt[out.Path]
		cond, _, err := w.condition(ctx, out.Path, out, last, known)
		if err != nil {
			return row, nil, err
		}
		if cond == outputEdited {
			row.State = Modified
			row.Edited = append(row.Edited, out.Path)
		}
	}
	return row, nil, nil
}

// hasObjects reports whether the local store holds every object of rec,
// whole: every file of a folder too (see checkObjects).
func (w *Workspace) hasObjects(ctx context.Context, rec *signature.Record) bool {
	present, _ := w.checkObjects(ctx, rec, true)
	return present
}

// holdsCheaply is hasObjects with a folder's manifest standing for its
// files in copy mode: what status and the planning of a run ask.
func (w *Workspace) holdsCheaply(ctx context.Context, rec *signature.Record) bool {
	present, _ := w.checkObjects(ctx, rec, false)
	return present
}

// checkObjects reports whether the local store holds every object of rec
// and each still holds what was stored, and which outputs had a damaged
// object. A damaged object is never served: it is quarantined, as git dds
// fsck --repair does, and said so on stderr, once, since it is gone after.
// A folder's files are checked for damage in Hardlink mode only: copies
// placed in the working tree cannot reach the store's objects. In the
// other modes, allFiles makes sure that the store holds each of them
// (Store.HoldsOutput); without it, the folder's manifest stands for its
// files. Status takes that cheap path: it looks at every stage on every
// call, and reading every manifest and every file's object doubled the
// time of a status over copy-mode folders. A file lost from under its
// manifest then shows when the output is placed.
func (w *Workspace) checkObjects(ctx context.Context, rec *signature.Record, allFiles bool) (present bool, damaged []string) {
	present = true
	for _, o := range rec.Outputs {
		if o.Dir && w.Link != store.Hardlink {
			if allFiles {
				present = present && w.Store.HoldsOutput(o.ContentID, o.Dir)
			} else {
				present = present && w.Store.Has(o.ContentID)
			}
			continue
		}
		err := w.Store.Check(ctx, o.ContentID, o.Size, o.Dir, rec.Time)
		var d *store.DamagedError
		switch {
		case err == nil:
			continue
		case errors.As(err, &d):
			for _, id := range d.IDs {
				if qerr := w.Store.Quarantine(id); qerr != nil {
					fmt.Fprintf(w.Stderr, "git dds: warning: %v\n", qerr)
				}
			}
			damaged = append(damaged, o.Path)
			how := "on disk"
			if w.Link == store.Hardlink {
				how = "by a write into the output in place (dds.link is hardlink: the output is the stored object)"
			}
			fmt.Fprintf(w.Stderr, "git dds: warning: the stored content of %s (stage %s) was changed after it was stored, %s; it is moved to %s and never served; git dds checkout fetches it again from a remote that has it, else git dds run recomputes it\n",
				o.Path, rec.Stage, how, w.Store.QuarantineDir())
		}
		present = false
	}
	return present, damaged
}
