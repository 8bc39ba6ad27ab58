package workspace

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/remote"
	"github.com/git-dds/git-dds/internal/signature"
)

// cutOff is early cut-off for a stage that has to run and whose upstream
// stages are done: when an earlier computation read the same inputs but
// for upstream stages that wrote the same bytes (the same content key),
// its outputs are this signature's too. They are placed, and recorded
// under the new signature with a CutOff saying where they came from. It
// returns nil, and no error, when no earlier computation serves, and the
// stage then executes: an output edited by hand, or an object a git dds gc
// beside us took, is left to the execution, as before cut-off existed.
func (w *Workspace) cutOff(ctx context.Context, view *namespace.View, j *job, notes *placedNotes) (*signature.Record, error) {
	sv := j.view
	var key string
	var from *signature.Record
	var moved []string
	look := func(ix *index.Index) error {
		var err error
		key, from, moved, err = w.findCutOff(ctx, ix, sv)
		return err
	}
	err := w.WithIndexRead(ctx, look)
	if err == nil && from == nil && key != "" && w.fetchCutOff(ctx, key, sv) {
		err = w.WithIndexRead(ctx, look)
	}
	if err != nil || from == nil {
		return nil, err
	}
	if err := w.reuse(ctx, sv.Stage, from, j.placed, notes); err != nil {
		if errors.Is(err, ErrEdited) {
			return nil, nil
		}
		return nil, err
	}
	rec := &signature.Record{
		Signature: sv.Signature,
		Stage:     sv.Stage.Name,
		Outputs:   from.Outputs,
		// What the computation took, not the lookup: estimates read it.
		Duration: from.Duration,
		Inputs:   sv.Inputs,
		Commit:   view.Commit,
		Host:     hostname(),
		Time:     time.Now().UTC(),
		CutOff:   &signature.CutOff{Signature: from.Signature, Upstream: moved},
	}
	err = w.WithIndex(ctx, func(ix *index.Index) error {
		for _, o := range rec.Outputs {
			if !w.Store.HoldsOutput(o.ContentID, o.Dir) {
				return errCollected
			}
		}
		return ix.Batch(func(b *index.Batch) error {
			if err := b.Put(rec); err != nil {
				return err
			}
			return b.PutContentKey(key, rec.Signature)
		})
	})
	if errors.Is(err, errCollected) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// fetchCutOff looks a stage's content key up in the remote, when there
// is one, and fetches the computation it names, as a pull does, keeping
// its content key in the index: true when it did, for findCutOff to
// check it as any other. A remote that fails, or an entry that does not
// check, costs the cut-off: the stage runs on as without it.
func (w *Workspace) fetchCutOff(ctx context.Context, key string, sv namespace.StageView) bool {
	r := w.liveRemote()
	if r == nil {
		return false
	}
	sig, err := r.ContentKeyed(ctx, w.Local(), key, sv.Stage.Outs)
	if err == nil && (sig == "" || sig == sv.Signature) {
		return false // none, or this very computation: a pull gets it
	}
	var recs []*signature.Record
	if err == nil {
		_, recs, err = r.Fetch(ctx, w.Local(), []remote.Want{{Signature: sig, Outs: sv.Stage.Outs}}, w.Progress)
	}
	if err == nil && len(recs) == 1 {
		err = w.WithIndex(ctx, func(ix *index.Index) error {
			return ix.Batch(func(b *index.Batch) error { return b.PutContentKey(key, sig) })
		})
	}
	switch {
	case ctx.Err() != nil:
		return false
	case errors.Is(err, remote.ErrCorrupt):
		fmt.Fprintf(w.Stderr, "git dds: warning: stage %s: %v\n", sv.Stage.Name, err)
		return false
	case err != nil:
		w.remoteFailed(err)
		return false
	}
	return len(recs) == 1
}

// indexContentKey records the content key of a computation recorded
// elsewhere (pulled from a remote), so that a later change here that
// leaves its upstream bytes as they were cuts off against it too. Its
// upstream records are in the index: they were done before it. A failure
// costs a cut-off, not the run: it is only said.
func (w *Workspace) indexContentKey(ctx context.Context, rec *signature.Record) {
	err := w.WithIndex(ctx, func(ix *index.Index) error {
		key, ok, err := ix.ContentKey(rec.Inputs)
		if err != nil || !ok {
			return err
		}
		return ix.Batch(func(b *index.Batch) error { return b.PutContentKey(key, rec.Signature) })
	})
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(w.Stderr, "git dds: warning: stage %s: noting its content key for early cut-off: %v\n", rec.Stage, err)
	}
}

// findCutOff looks up the computation a stage's content key names, and
// checks it serves: its record reads the same inputs but for upstream
// signatures, and the store holds its objects. from is nil when there is
// none, and key "" too when the content key cannot be known yet (an
// upstream signature not recorded).
func (w *Workspace) findCutOff(ctx context.Context, ix *index.Index, sv namespace.StageView) (key string, from *signature.Record, moved []string, err error) {
	key, ok, err := ix.ContentKey(sv.Inputs)
	if err != nil || !ok {
		return "", nil, nil, err
	}
	sig, ok, err := ix.SignatureOfContent(key)
	if err != nil || !ok || sig == sv.Signature {
		return key, nil, nil, err
	}
	rec, ok, err := ix.Get(sig)
	if err != nil || !ok {
		return key, nil, nil, err
	}
	// The entry is only a lookup aid: the record it names must read the
	// same inputs but for upstream signatures, and name the stage's
	// outputs, as status requires of any record.
	if !namesExactly(rec, sv.Stage.Outs) || !externalsExactly(rec, sv.Stage) {
		return key, nil, nil, nil
	}
	if moved, ok = signature.MovedUpstream(rec.Inputs, sv.Inputs); !ok || len(moved) == 0 {
		return key, nil, nil, nil
	}
	if !w.holdsCheaply(ctx, rec) {
		return key, nil, nil, nil
	}
	return key, rec, moved, nil
}

// Cut-off hints of a stale stage in status.
const (
	// CutOffReady: its upstream stages are recorded, and wrote what they
	// wrote for a computation of it that the store holds: run cuts it off.
	CutOffReady = "ready"
	// CutOffPossible: only upstream signatures moved since its last
	// computation; run cuts it off if they write the same bytes again.
	CutOffPossible = "possible"
)

// cutOffHint says whether run may cut off a stale stage, whose last
// computation was last (nil when none): "" when nothing says so.
func (w *Workspace) cutOffHint(ctx context.Context, ix *index.Index, sv namespace.StageView, last *signature.Record) (string, error) {
	_, from, _, err := w.findCutOff(ctx, ix, sv)
	switch {
	case err != nil:
		return "", err
	case from != nil:
		return CutOffReady, nil
	case last == nil:
		return "", nil
	}
	if moved, ok := signature.MovedUpstream(last.Inputs, sv.Inputs); ok && len(moved) > 0 {
		return CutOffPossible, nil
	}
	return "", nil
}
