// Package results reads what refs computed without checking anything out:
// for each ref, the view of its tree gives every stage's signature and
// params values, the index gives the record of each signature, the record
// gives the content id of each metrics (or plots) file, and the store
// gives its bytes. Refs are compared by these snapshots: metrics and
// params diffs, the table of every branch, and the series of plots files.
package results

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/metrics"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/plots"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/store"
	"github.com/git-dds/git-dds/internal/workspace"
)

// Worktree names the working tree where a ref is expected, as status
// --rev does.
const Worktree = namespace.WorktreeRev

// State says whether a ref's metrics or plots file can be read.
type State string

const (
	// Computed: the record and its object are here; Values holds them.
	Computed State = "computed"
	// Stale: no computation of the signature is recorded here or known
	// on the default remote: git dds run on the ref computes it.
	Stale State = "stale"
	// Remote: the default remote holds the computation; git dds fetch on
	// the ref brings it. Values holds the metrics PeekRemote read from
	// there.
	Remote State = "remote"
	// Lost: the record is here but its object is not (collected, or moved
	// aside as damaged).
	Lost State = "lost"
	// Unreadable: the file is here but is no metrics (or plots) file git
	// dds reads; Err says why and where.
	Unreadable State = "unreadable"
)

// File is one metrics or plots file of one ref.
type File struct {
	Stage     string          `json:"stage"`
	Path      string          `json:"path"`
	Signature string          `json:"signature"`
	State     State           `json:"state"`
	Values    metrics.Metrics `json:"values"` // of a metrics file
	// Series is what a chart draws of a plots file, as its stage declares.
	Series *plots.Series `json:"-"`
	Error  string        `json:"error,omitempty"`
	// Err is the error behind Unreadable, or behind a remote file that
	// could not be read from the remote.
	Err error `json:"-"`

	outs []string // the stage's declared outputs, to check a remote record against
	kind *kind
	axes pipeline.PlotAxes // of a plots file, as its stage declares them
}

// kind is what a snapshot reads of each stage: its metrics files, or its
// plots files.
type kind struct {
	noun     string // "metrics file", "plots file"
	files    func(*pipeline.Stage) []string
	maxSize  int64
	tooLarge func(file string, size int64) *metrics.Error
	// parse reads data, the file f names as name, into f.
	parse func(f *File, name string, data []byte) error
}

var metricsKind = kind{noun: "metrics file", files: func(s *pipeline.Stage) []string { return s.Metrics },
	maxSize: metrics.MaxSize, tooLarge: metrics.TooLarge,
	parse: func(f *File, name string, data []byte) error {
		values, err := metrics.Parse(name, data)
		f.Values = values
		return err
	}}

var plotsKind = kind{noun: "plots file", files: func(s *pipeline.Stage) []string { return s.Plots },
	maxSize: plots.MaxSize, tooLarge: plots.TooLarge,
	parse: func(f *File, name string, data []byte) error {
		t, err := plots.Parse(name, data)
		if err != nil {
			return err
		}
		f.Series, err = t.Select(name, f.axes.X, f.axes.Y)
		return err
	}}

// Param is the value of one declared params key of one stage.
type Param struct {
	Stage string `json:"stage"`
	Name  string `json:"name"`  // file:key
	Value string `json:"value"` // canonical JSON
}

// Snapshot is what one ref computed, as far as this clone knows.
type Snapshot struct {
	Ref    string  `json:"ref"`    // as named by the caller
	Commit string  `json:"commit"` // the commit of the ref; HEAD's for the working tree
	Files  []File  `json:"metrics"`
	Params []Param `json:"params"`
}

// Label is the ref as a person reads it.
func (s *Snapshot) Label() string {
	if s.Ref == Worktree {
		return "working tree"
	}
	return s.Ref
}

// File returns the file at path, if the snapshot has one.
func (s *Snapshot) File(path string) (File, bool) {
	for _, f := range s.Files {
		if f.Path == path {
			return f, true
		}
	}
	return File{}, false
}

// Read takes a snapshot of the metrics files of each ref (Worktree for
// the working tree), from this clone alone: MarkRemote then asks a remote
// about the stale files.
func Read(ctx context.Context, ws *workspace.Workspace, refs []string) ([]*Snapshot, error) {
	snaps, _, err := read(ctx, ws, refs, false, &metricsKind)
	return snaps, err
}

// ReadPlots is Read for the plots files of each ref: each File holds the
// Series its stage declares, rather than Values.
func ReadPlots(ctx context.Context, ws *workspace.Workspace, refs []string) ([]*Snapshot, error) {
	snaps, _, err := read(ctx, ws, refs, false, &plotsKind)
	return snaps, err
}

// Skipped is a ref ReadEvery left out, and why.
type Skipped struct {
	Ref string
	Err error
}

// ReadEvery is Read for refs the caller did not name one by one (every
// branch): a ref whose pipeline cannot be evaluated (no dds.yaml, a bad
// one) is skipped and said so, rather than failing the others.
func ReadEvery(ctx context.Context, ws *workspace.Workspace, refs []string) ([]*Snapshot, []Skipped, error) {
	return read(ctx, ws, refs, true, &metricsKind)
}

func read(ctx context.Context, ws *workspace.Workspace, refs []string, skip bool, k *kind) ([]*Snapshot, []Skipped, error) {
	loader := namespace.NewLoader(ws.Repo, ws.Env)
	var (
		views   []*namespace.View
		kept    []string
		skipped []Skipped
	)
	for _, ref := range refs {
		v, err := loader.Load(ctx, ref)
		switch {
		case err != nil && skip && ctx.Err() == nil:
			skipped = append(skipped, Skipped{Ref: ref, Err: err})
			continue
		case err != nil && ref != Worktree:
			return nil, nil, fmt.Errorf("reading the pipeline of %s: %w", ref, err)
		case err != nil:
			return nil, nil, err
		}
		views = append(views, v)
		kept = append(kept, ref)
	}
	snaps := make([]*Snapshot, len(views))
	err := ws.WithIndexRead(ctx, func(ix *index.Index) error {
		for i, v := range views {
			s, err := snapshot(ctx, ws.Store, ix, kept[i], v, k)
			if err != nil {
				return err
			}
			snaps[i] = s
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return snaps, skipped, nil
}

func snapshot(ctx context.Context, st *store.Store, ix *index.Index, ref string, v *namespace.View, k *kind) (*Snapshot, error) {
	s := &Snapshot{Ref: ref, Commit: v.Commit, Files: []File{}, Params: []Param{}}
	for _, sv := range v.Stages {
		for _, in := range sv.Inputs {
			if in.Kind == signature.KindParam {
				s.Params = append(s.Params, Param{Stage: sv.Stage.Name, Name: in.Name, Value: in.Value})
			}
		}
		files, err := stageFiles(ctx, st, ix, ref, sv.Stage, sv.Signature, k)
		if err != nil {
			return nil, err
		}
		s.Files = append(s.Files, files...)
	}
	sort.SliceStable(s.Files, func(i, j int) bool { return s.Files[i].Path < s.Files[j].Path })
	return s, nil
}

// stageFiles reads the files of kind k of stage at signature sig, as ref
// gives it.
func stageFiles(ctx context.Context, st *store.Store, ix *index.Index, ref string, stage *pipeline.Stage, sig string, k *kind) ([]File, error) {
	paths := k.files(stage)
	if len(paths) == 0 {
		return nil, nil
	}
	rec, ok, err := ix.Get(sig)
	if err != nil {
		return nil, err
	}
	files := make([]File, 0, len(paths))
	for _, path := range paths {
		f := File{Stage: stage.Name, Path: path, Signature: sig, State: Stale, outs: stage.Outs, kind: k, axes: stage.Axes(path)}
		if ok {
			f = readFile(ctx, st, rec, f, where(ref, path))
		}
		files = append(files, f)
	}
	return files, nil
}

// where names a file of a ref in messages as git does, REF:PATH.
func where(ref, path string) string {
	if ref == Worktree {
		return path
	}
	return ref + ":" + path
}

// readFile reads the file f, of its kind, from the object rec recorded for
// it.
func readFile(ctx context.Context, st *store.Store, rec *signature.Record, f File, name string) File {
	var out *signature.Output
	for i := range rec.Outputs {
		if rec.Outputs[i].Path == f.Path {
			out = &rec.Outputs[i]
		}
	}
	switch {
	case out == nil:
		f.State = Lost
		return f
	case out.Dir:
		return unreadable(f, &metrics.Error{File: name, Msg: "the output is a folder, not a " + f.kind.noun,
			Fix: "write it as a file, or list the folder under outs"})
	case out.Size > f.kind.maxSize:
		return unreadable(f, f.kind.tooLarge(name, out.Size))
	}
	// A metrics or plots file is small: checking that the object still
	// holds what was stored costs little, and a damaged one is never shown.
	if err := st.Verify(ctx, out.ContentID); err != nil {
		f.State = Lost
		if !errors.Is(err, store.ErrNotFound) {
			f.Error = err.Error()
		}
		return f
	}
	r, err := st.Open(out.ContentID)
	if err != nil {
		f.State = Lost
		return f
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, f.kind.maxSize+1))
	if err != nil {
		f.State, f.Error = Lost, err.Error()
		return f
	}
	if err := f.kind.parse(&f, name, data); err != nil {
		return unreadable(f, err)
	}
	f.State = Computed
	return f
}

func unreadable(f File, err error) File {
	f.State, f.Err, f.Error = Unreadable, err, err.Error()
	return f
}

// AnyStale reports whether a file of snaps is stale: whether a remote
// is worth asking.
func AnyStale(snaps []*Snapshot) bool {
	for _, s := range snaps {
		for _, f := range s.Files {
			if f.State == Stale {
				return true
			}
		}
	}
	return false
}

// MarkRemote turns the stale files whose signature ws.Remote holds into
// remote ones, asking once for all of them; without a remote it changes
// nothing.
func MarkRemote(ctx context.Context, ws *workspace.Workspace, snaps []*Snapshot) error {
	if ws.Remote == nil {
		return nil
	}
	var sigs []string
	for _, s := range snaps {
		for _, f := range s.Files {
			if f.State == Stale {
				sigs = append(sigs, f.Signature)
			}
		}
	}
	if len(sigs) == 0 {
		return nil
	}
	present, err := ws.Remote.Present(ctx, ws.Local(), sigs)
	if err != nil {
		return err
	}
	for _, s := range snaps {
		for i := range s.Files {
			if s.Files[i].State == Stale && present[s.Files[i].Signature] {
				s.Files[i].State = Remote
			}
		}
	}
	return nil
}

// PeekRemote reads the values of the remote files of snaps from ws.Remote:
// only the metrics (or plots) files' objects come into the store, and the
// computation is not recorded here (git dds fetch brings it whole), so the
// files stay remote, with their values. Nothing happens without a remote.
func PeekRemote(ctx context.Context, ws *workspace.Workspace, snaps []*Snapshot) error {
	if ws.Remote == nil {
		return nil
	}
	type peeked struct {
		rec *signature.Record
		err error
	}
	done := map[string]peeked{}
	for _, s := range snaps {
		for i := range s.Files {
			f := &s.Files[i]
			if f.State != Remote {
				continue
			}
			p, ok := done[f.Signature]
			if !ok {
				var paths []string
				for _, g := range s.Files {
					if g.Signature == f.Signature {
						paths = append(paths, g.Path)
					}
				}
				p.rec, _, p.err = ws.Remote.Peek(ctx, ws.Local(), f.Signature, f.outs, paths, f.kind.maxSize)
				if ctx.Err() != nil {
					return ctx.Err()
				}
				done[f.Signature] = p
			}
			switch {
			case p.err != nil:
				f.Err, f.Error = p.err, p.err.Error()
			case p.rec != nil:
				read := readFile(ctx, ws.Store, p.rec, *f, where(s.Ref, f.Path))
				if read.State == Computed {
					f.Values, f.Series = read.Values, read.Series
				} else if read.Err != nil {
					f.State, f.Err, f.Error = read.State, read.Err, read.Error
				}
			}
		}
	}
	return nil
}

// UnreadableErrors returns the errors of every unreadable file of snaps, joined,
// or nil: a command shows what it could read, then fails on these.
func UnreadableErrors(snaps []*Snapshot) error {
	var errs []error
	for _, s := range snaps {
		for _, f := range s.Files {
			if f.Err != nil {
				errs = append(errs, f.Err)
			}
		}
	}
	return errors.Join(errs...)
}

// StageAt is a stage at one signature.
type StageAt struct {
	Stage     *pipeline.Stage
	Signature string
}

// AtSignatures is the snapshot, named label, of the metrics files of
// stages at the signatures given, whatever ref gives them: what a merge
// would promote, for one.
func AtSignatures(ctx context.Context, ws *workspace.Workspace, label string, stages []StageAt) (*Snapshot, error) {
	s := &Snapshot{Ref: label, Files: []File{}, Params: []Param{}}
	err := ws.WithIndexRead(ctx, func(ix *index.Index) error {
		for _, at := range stages {
			files, err := stageFiles(ctx, ws.Store, ix, label, at.Stage, at.Signature, &metricsKind)
			if err != nil {
				return err
			}
			s.Files = append(s.Files, files...)
		}
		return nil
	})
	sort.SliceStable(s.Files, func(i, j int) bool { return s.Files[i].Path < s.Files[j].Path })
	return s, err
}
