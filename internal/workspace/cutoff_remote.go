package workspace

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/parallel"
	"github.com/git-dds/git-dds/internal/remote"
	"github.com/git-dds/git-dds/internal/signature"
)

// CutOffRemote is the cut-off hint of a stale stage whose upstream stages
// are recorded, here or in the remote, and wrote what they wrote for a
// computation of it that the remote holds: run cuts it off, fetching
// that computation's record and objects.
const CutOffRemote = "remote"

// remoteLookups bounds the look-ups a hint makes at once: as many as a
// transfer's, no more.
const remoteLookups = 8

// remoteCutOffs tells, for each of stages that ask says to look at, whether
// run would cut it off against a computation w.Remote holds. Everything
// the remote says is checked as run checks it: the upstream records as
// fetched records, the content key entry by remote.ContentKeyed (its
// record, and its content key computed again), and the record it names
// must read the stage's inputs but for upstream signatures, name its
// outputs, and have its objects in the remote. Each upstream record and
// each distinct content key is read once. An entry that does not check
// is said on stderr and gives no hint; a remote that fails is an error.
func (w *Workspace) remoteCutOffs(ctx context.Context, stages []namespace.StageView, ask []bool) ([]bool, error) {
	hit := make([]bool, len(stages))
	r := w.Remote
	if r == nil {
		return hit, nil
	}
	outsOf := map[string][]string{}
	for _, sv := range stages {
		if sv.Signature != "" {
			outsOf[sv.Signature] = sv.Stage.Outs
		}
	}
	// The outputs of each upstream computation: from the index, else from
	// the remote's record of it.
	upstream := map[string]*signature.Record{}
	var missing []string
	err := w.WithIndexRead(ctx, func(ix *index.Index) error {
		for i, sv := range stages {
			if !ask[i] {
				continue
			}
			for _, in := range sv.Inputs {
				if _, seen := upstream[in.Value]; in.Kind != signature.KindStage || seen {
					continue
				}
				rec, ok, err := ix.Get(in.Value)
				if err != nil {
					return err
				}
				if !ok {
					rec = nil
					missing = append(missing, in.Value)
				}
				upstream[in.Value] = rec
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	fetched := make([]*signature.Record, len(missing))
	err = parallel.ForEach(ctx, len(missing), remoteLookups, func(ctx context.Context, i int) error {
		rec, _, err := r.Peek(ctx, w.Local(), missing[i], outsOf[missing[i]], nil, 0)
		if errors.Is(err, remote.ErrCorrupt) {
			fmt.Fprintf(w.Stderr, "git dds: warning: %v\n", err)
			return nil
		}
		fetched[i] = rec
		return err
	})
	if err != nil {
		return nil, err
	}
	for i, sig := range missing {
		upstream[sig] = fetched[i]
	}

	// The content key of each stage asked about, and the stages of each.
	byKey := map[string][]int{}
	var keys []string
	for i, sv := range stages {
		if !ask[i] {
			continue
		}
		key, ok, err := signature.ContentKey(sv.Inputs, func(_, sig string) ([]signature.Output, bool) {
			up := upstream[sig]
			if up == nil || len(up.External) > 0 {
				return nil, false // unknown, or on the lake: never cut off
			}
			return up.Outputs, true
		})
		if err != nil || !ok {
			continue
		}
		if byKey[key] == nil {
			keys = append(keys, key)
		}
		byKey[key] = append(byKey[key], i)
	}

	var mu sync.Mutex
	err = parallel.ForEach(ctx, len(keys), remoteLookups, func(ctx context.Context, k int) error {
		first := stages[byKey[keys[k]][0]]
		sig, err := r.ContentKeyed(ctx, w.Local(), keys[k], first.Stage.Outs)
		if errors.Is(err, remote.ErrCorrupt) {
			fmt.Fprintf(w.Stderr, "git dds: warning: stage %s: %v\n", first.Stage.Name, err)
			return nil
		}
		if err != nil || sig == "" {
			return err
		}
		rec, _, err := r.Peek(ctx, w.Local(), sig, first.Stage.Outs, nil, 0)
		if err != nil || rec == nil {
			return err
		}
		if held, err := r.HoldsOutputs(ctx, w.Local(), rec); err != nil || !held {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, i := range byKey[keys[k]] {
			sv := stages[i]
			if sig == sv.Signature || !namesExactly(rec, sv.Stage.Outs) || !externalsExactly(rec, sv.Stage) {
				continue // this very computation (a pull gets it), or not its outputs
			}
			if moved, ok := signature.MovedUpstream(rec.Inputs, sv.Inputs); ok && len(moved) > 0 {
				hit[i] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return hit, nil
}

// MarkRemoteCutOffs does what MarkRemote does, and at the same time asks
// w.Remote whether run would cut off a stale stage this clone cannot cut
// off on its own: rows are the rows of view's stages, in their order.
// A row still stale then gets the hint CutOffRemote. Without a remote it
// changes nothing.
func (w *Workspace) MarkRemoteCutOffs(ctx context.Context, view *namespace.View, rows []StageStatus) error {
	if w.Remote == nil {
		return nil
	}
	ask := make([]bool, min(len(rows), len(view.Stages)))
	for i := range ask {
		row := rows[i]
		ask[i] = row.State == Stale && !row.objectsLost && row.CutOff != CutOffReady
	}
	var hit []bool
	var hintErr error
	var wg sync.WaitGroup
	wg.Go(func() { hit, hintErr = w.remoteCutOffs(ctx, view.Stages[:len(ask)], ask) })
	err := w.MarkRemote(ctx, rows)
	wg.Wait()
	if err = errors.Join(err, hintErr); err != nil {
		return err
	}
	for i := range hit {
		if hit[i] && rows[i].State == Stale {
			rows[i].CutOff = CutOffRemote
		}
	}
	return nil
}
