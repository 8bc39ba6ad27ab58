package workspace

import (
	"context"
	"sync"

	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/signature"
)

const (
	// maxHistoryCommits bounds the first-parent commits of HEAD read to
	// find a stage's last computation on the current branch, so that
	// status stays quick on a repository of any age.
	maxHistoryCommits = 1000
	// maxLineage bounds the computations of one stage considered.
	maxLineage = 256
)

// branchHistory is what a status needs to find, for a stale stage, the
// last computation on the current branch's history: the first-parent
// history of the commit the view is based on. It is read once, when the
// first stale stage asks.
type branchHistory struct {
	w    *Workspace
	view *namespace.View
	once sync.Once
	// pos gives each first-parent commit of view.Commit its distance from
	// it: 0 for view.Commit itself.
	pos map[string]int
}

func (h *branchHistory) load(ctx context.Context) {
	h.once.Do(func() {
		commit := h.view.Commit
		if commit == "" {
			// Before the first commit, every computation was made here,
			// and carries no commit.
			h.pos = map[string]int{"": 0}
			return
		}
		// A failure leaves nothing to prefer: the newest computation on
		// any branch is used then, and said to be from another branch.
		ids, err := h.w.Repo.RevList(ctx, commit, gitref.RevListOptions{Max: maxHistoryCommits, FirstParent: true})
		if err != nil {
			return
		}
		h.pos = map[string]int{}
		for i, id := range ids {
			h.pos[id] = i
		}
	})
}

// last finds what a stale stage is compared with: among the stage's
// computations made at a commit of the branch's first-parent history (a
// record carries the HEAD it was computed at), the one nearest the view's
// commit; else the newest anywhere, with onBranch false. A computation
// made on a new branch before its first commit carries the commit the
// branch started from, so among those made at one commit the one whose
// inputs differ least from the current ones wins, then the newest. It
// gives the record, the commit it was made at, and whether it is on this
// branch.
func (h *branchHistory) last(ctx context.Context, ix *index.Index, sv namespace.StageView) (rec *signature.Record, commit string, onBranch bool, err error) {
	h.load(ctx)
	recs, err := ix.Lineage(sv.Stage.Name, maxLineage)
	if err != nil || len(recs) == 0 {
		return nil, "", false, err
	}
	best, bestPos, bestChanged := -1, 0, 0
	for i, r := range recs {
		p, ok := h.pos[r.Commit]
		if !ok {
			continue
		}
		n := len(signature.Changed(r.Inputs, sv.Inputs))
		if best < 0 || p < bestPos || p == bestPos && n < bestChanged {
			best, bestPos, bestChanged = i, p, n
		}
	}
	if best >= 0 {
		return recs[best], recs[best].Commit, true, nil
	}
	return recs[0], recs[0].Commit, false, nil
}
