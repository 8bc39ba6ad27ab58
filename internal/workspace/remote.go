package workspace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/remote"
	"github.com/git-dds/git-dds/internal/signature"
)

// Remote is the state of a stage computed only in the remote: git dds pull
// restores it.
const Remote State = "remote"

// What push and fetch did with a stage.
const (
	Uploaded   Action = "uploaded"   // sent to the remote now
	Present    Action = "present"    // the remote had it already
	Uncomputed Action = "uncomputed" // computed nowhere: nothing to send or get
	Downloaded Action = "downloaded" // brought from the remote now
	Local      Action = "local"      // the local store had it already
)

// TransferStage is one row of push and fetch --json.
type TransferStage struct {
	Name      string `json:"name"`
	Signature string `json:"signature"`
	Action    Action `json:"action"`
}

// TransferResult says what push or fetch did.
type TransferResult struct {
	Remote  string          `json:"remote"`
	URL     string          `json:"url"`
	Stages  []TransferStage `json:"stages"`
	Objects int             `json:"objects"`
	Bytes   int64           `json:"bytes"`
	// PinsMissing lists, for a fetch, the pinned files whose objects
	// the remote lacks: git dds push from the clone that added them.
	PinsMissing []string `json:"pins_missing"`
}

// Count gives how many stages had action a.
func (t *TransferResult) Count(a Action) int {
	if t == nil {
		return 0
	}
	n := 0
	for _, s := range t.Stages {
		if s.Action == a {
			n++
		}
	}
	return n
}

// Local is this workspace's side of a transfer with a remote.
func (w *Workspace) Local() remote.Local {
	return remote.Local{Store: w.Store, WithIndex: w.WithIndex, Dir: w.Dir}
}

// Computation is one stage's signature, what push and fetch move, with
// the stage's declared outputs: all that a record fetched for the
// signature may name.
type Computation struct {
	Stage     string
	Signature string
	Outs      []string
}

// Computations lists the stages of views once per signature: the views of
// several branches share most of theirs.
func Computations(views ...*namespace.View) []Computation {
	var out []Computation
	seen := map[string]bool{}
	for _, v := range views {
		for _, sv := range v.Stages {
			if !seen[sv.Signature] {
				seen[sv.Signature] = true
				out = append(out, Computation{Stage: sv.Stage.Name, Signature: sv.Signature, Outs: sv.Stage.Outs})
			}
		}
	}
	return out
}

// NamespaceComputations lists the computations of a saved namespace: what
// a branch's tip needs, known without evaluating its tree again.
func NamespaceComputations(ns *namespace.Namespace) []Computation {
	var out []Computation
	at := map[string]int{}
	for _, a := range ns.Artifacts {
		i, ok := at[a.Signature]
		if !ok {
			i = len(out)
			at[a.Signature] = i
			out = append(out, Computation{Stage: a.Stage, Signature: a.Signature})
		}
		out[i].Outs = append(out[i].Outs, a.Path)
	}
	return out
}

// Computed gives the records of comps that this clone holds whole: every
// object there, none changed since it was stored.
func (w *Workspace) Computed(ctx context.Context, comps []Computation) (map[string]*signature.Record, error) {
	recs := map[string]*signature.Record{}
	err := w.WithIndexRead(ctx, func(ix *index.Index) error {
		for _, c := range comps {
			rec, ok, err := ix.Get(c.Signature)
			if err != nil {
				return err
			}
			// A damaged object is neither uploaded nor kept from a fetch.
			if ok && w.hasObjects(ctx, rec) {
				recs[c.Signature] = rec
			}
		}
		return nil
	})
	return recs, err
}

func newTransferResult(r *remote.Remote) *TransferResult {
	return &TransferResult{Remote: r.Name, URL: r.URL, Stages: []TransferStage{}}
}

// Push uploads every artifact of comps that this clone computed and the
// remote lacks. Stages computed nowhere are listed as uncomputed. When the
// index remembers the remote holding every one, as after the previous
// push, that is one visit to the index and no network at all: what the
// pre-push hook of a push with no new data costs.
func (w *Workspace) Push(ctx context.Context, r *remote.Remote, comps []Computation, opts remote.PushOptions) (*TransferResult, error) {
	remembered := map[string]bool{}
	var recs []*signature.Record
	var elsewhere []string
	err := w.WithIndexRead(ctx, func(ix *index.Index) error {
		for _, c := range comps {
			if !opts.Again {
				known, err := r.Remembers(ix, c.Signature)
				if err != nil {
					return err
				}
				if known {
					remembered[c.Signature] = true
					continue
				}
			}
			rec, ok, err := ix.Get(c.Signature)
			if err != nil {
				return err
			}
			// A damaged object is neither uploaded nor kept from a fetch.
			if ok && w.hasObjects(ctx, rec) {
				recs = append(recs, rec)
			} else {
				elsewhere = append(elsewhere, c.Signature)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res := newTransferResult(r)
	t, err := r.Push(ctx, w.Local(), recs, opts)
	if t != nil {
		res.Objects, res.Bytes = t.Objects, t.Bytes
	}
	if err != nil {
		return res, err
	}
	if err := w.transferPins(ctx, r, res, true); err != nil {
		return res, err
	}
	present, err := r.Present(ctx, w.Local(), elsewhere)
	if err != nil {
		return res, err
	}
	moved := setOf(t.Moved)
	for _, c := range comps {
		action := Uncomputed
		switch {
		case moved[c.Signature]:
			action = Uploaded
		case remembered[c.Signature], present[c.Signature], slices.Contains(t.Already, c.Signature):
			action = Present
		}
		res.Stages = append(res.Stages, TransferStage{Name: c.Stage, Signature: c.Signature, Action: action})
	}
	return res, nil
}

func setOf(items []string) map[string]bool {
	set := make(map[string]bool, len(items))
	for _, it := range items {
		set[it] = true
	}
	return set
}

// Fetch downloads into the store every artifact of comps that the remote
// has and this clone lacks, without touching the working tree.
func (w *Workspace) Fetch(ctx context.Context, r *remote.Remote, comps []Computation, progress io.Writer) (*TransferResult, error) {
	here, err := w.Computed(ctx, comps)
	if err != nil {
		return nil, err
	}
	var want []remote.Want
	for _, c := range comps {
		if here[c.Signature] == nil {
			want = append(want, remote.Want{Signature: c.Signature, Outs: c.Outs})
		}
	}
	res := newTransferResult(r)
	if err := w.transferPins(ctx, r, res, false); err != nil {
		return res, err
	}
	t, _, err := r.Fetch(ctx, w.Local(), want, progress)
	if t == nil {
		return res, err
	}
	res.Objects, res.Bytes = res.Objects+t.Objects, res.Bytes+t.Bytes
	already, moved, missing := setOf(t.Already), setOf(t.Moved), setOf(t.Missing)
	for _, c := range comps {
		action := Uncomputed
		switch {
		case here[c.Signature] != nil, already[c.Signature]:
			action = Local
		case moved[c.Signature]:
			action = Downloaded
		case !missing[c.Signature]:
			continue // the transfer failed before it: err says why
		}
		res.Stages = append(res.Stages, TransferStage{Name: c.Stage, Signature: c.Signature, Action: action})
	}
	return res, err
}

// MarkRemote turns the stale rows whose signature w.Remote holds into
// remote ones; without a remote it changes nothing.
func (w *Workspace) MarkRemote(ctx context.Context, rows []StageStatus) error {
	return markInRemote(ctx, w, rows,
		func(row *StageStatus) string {
			if row.State != Stale {
				return ""
			}
			return row.Signature
		},
		func(row *StageStatus) { row.State = Remote })
}

// markInRemote asks w.Remote, in one request, which of the rows'
// signatures it holds, and marks each row whose signature it does. sig
// gives "" for a row not to ask about. Without a remote it does nothing.
func markInRemote[Row any](ctx context.Context, w *Workspace, rows []Row, sig func(*Row) string, mark func(*Row)) error {
	if w.Remote == nil {
		return nil
	}
	var sigs []string
	for i := range rows {
		if s := sig(&rows[i]); s != "" {
			sigs = append(sigs, s)
		}
	}
	if len(sigs) == 0 {
		return nil
	}
	present, err := w.Remote.Present(ctx, w.Local(), sigs)
	if err != nil {
		return err
	}
	for i := range rows {
		if s := sig(&rows[i]); s != "" && present[s] {
			mark(&rows[i])
		}
	}
	return nil
}

// fromRemote brings the computation of sig from the remote when the
// remote has it; otherwise it takes the lease on sig, so that nobody else
// sharing the remote computes it meanwhile. It returns the record pulled,
// or the lease to release once the computation is recorded and uploaded.
func (w *Workspace) fromRemote(ctx context.Context, r *remote.Remote, sv namespace.StageView) (*signature.Record, *remote.Lease, error) {
	for {
		_, recs, err := r.Fetch(ctx, w.Local(), []remote.Want{{Signature: sv.Signature, Outs: sv.Stage.Outs}}, w.Progress)
		if err != nil || len(recs) == 1 {
			return first(recs), nil, err
		}
		lease, computed, err := r.Acquire(ctx, sv.Signature, sv.Stage.Name, func(h remote.Holder) {
			fmt.Fprintf(w.Stderr, "git dds: stage %s is being computed by %s; waiting for its result...\n", sv.Stage.Name, h)
		})
		if err != nil || !computed {
			return nil, lease, err
		}
		// Computed elsewhere while we waited: go and get it.
	}
}

func first(recs []*signature.Record) *signature.Record {
	if len(recs) == 0 {
		return nil
	}
	return recs[0]
}

// remoteFailed reports a remote that a run cannot use, once, and runs on
// without it: computing locally is always right, only slower.
func (w *Workspace) remoteFailed(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	if w.remoteDown.CompareAndSwap(false, true) {
		fmt.Fprintf(w.Stderr, "git dds: warning: %v\ngit dds: running without the remote\n", err)
	}
}

// liveRemote is the remote a run consults, or nil.
func (w *Workspace) liveRemote() *remote.Remote {
	if w.Remote == nil || w.remoteDown.Load() {
		return nil
	}
	return w.Remote
}

// transferPins pushes or fetches the objects of the working tree's
// pinned files, and counts them in res.
func (w *Workspace) transferPins(ctx context.Context, r *remote.Remote, res *TransferResult, push bool) error {
	res.PinsMissing = []string{}
	files, refused, err := w.PinnedFiles(ctx)
	if err != nil {
		return err
	}
	for _, err := range refused {
		fmt.Fprintf(w.Stderr, "git dds: warning: %v; the file it pins is not transferred\n", err)
	}
	if len(files) == 0 {
		return nil
	}
	var t *remote.Transfer
	if push {
		t, err = w.PushPins(ctx, r, files)
	} else {
		var missing []string
		t, missing, err = w.FetchPins(ctx, r, files)
		res.PinsMissing = append(res.PinsMissing, missing...)
	}
	if t != nil {
		res.Objects += t.Objects
		res.Bytes += t.Bytes
	}
	return err
}
