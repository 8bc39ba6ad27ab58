package workspace

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/sigindex"
)

// Merge actions, in the words git dds merge-preview prints and its --json
// carries (docs/commands.md): scripts match them.
const (
	Unchanged = "unchanged" // the merged tree gives the target's signature
	Promote   = "promote"   // a new signature, already computed
	Compute   = "compute"   // a new signature, computed nowhere
	Remove    = "remove"    // the merge drops the stage
)

// PreviewStage is one stage of a merge preview.
type PreviewStage struct {
	Name             string   `json:"name"`
	Signature        string   `json:"signature"`
	Action           string   `json:"action"`
	Available        string   `json:"available"` // local, remote or none
	EstimatedBytes   int64    `json:"estimated_bytes"`
	EstimatedSeconds float64  `json:"estimated_seconds"`
	Conflicts        []string `json:"conflicts,omitempty"` // deps whose content conflicts
	// Known is false when no computation of the stage gives an estimate.
	Known bool `json:"-"`
}

// Preview says what merging Source into Target would promote, compute and
// remove, from the merged tree alone.
type Preview struct {
	Source    string         `json:"source"`
	Target    string         `json:"target"`
	Conflicts []string       `json:"conflicts"`
	Stages    []PreviewStage `json:"stages"`
	// Pipeline is the merged dds.yaml, whose DAG a graph of the preview draws.
	Pipeline *pipeline.Pipeline `json:"-"`
}

// MergePreview evaluates the tree `git merge` would make of source into
// target without touching HEAD, the index, the working tree or any ref.
func (w *Workspace) MergePreview(ctx context.Context, source, target string) (*Preview, error) {
	ours, err := w.Repo.Resolve(target)
	if err != nil {
		return nil, err
	}
	theirs, err := w.Repo.Resolve(source)
	if err != nil {
		return nil, err
	}
	treeID, conflicts, err := w.Repo.MergeTree(ctx, ours, theirs)
	if errors.Is(err, gitref.ErrShallow) {
		return nil, fmt.Errorf("merging %s into %s: %w", source, target, err)
	}
	if err != nil {
		return nil, err
	}
	merged, err := w.Repo.TreeByID(treeID)
	if err != nil {
		return nil, err
	}
	if slices.Contains(conflicts, pipeline.FileName) {
		return nil, fmt.Errorf("%w: merging %s into %s conflicts in %s itself; merge, resolve it, then git dds status shows what to run",
			ErrMergeConflict, source, target, pipeline.FileName)
	}
	loader := namespace.NewLoader(w.Repo, w.Env)
	before, err := loader.Load(ctx, ours)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	p, err := loader.Pipeline(merged, false)
	if err != nil {
		return nil, fmt.Errorf("the merged %s: %w", source, err)
	}
	stages, err := evaluateMerged(p, merged, conflicts, w.Env)
	if err != nil {
		return nil, fmt.Errorf("the merged %s: %w", source, err)
	}

	pv := &Preview{Source: source, Target: target, Conflicts: append([]string{}, conflicts...), Stages: []PreviewStage{}, Pipeline: p}
	err = w.WithIndex(ctx, func(ix *sigindex.Index) error {
		for _, sv := range stages {
			row := PreviewStage{Name: sv.Stage.Name, Signature: sv.Signature, Available: "none"}
			var rec *sigindex.Record
			if sv.Signature != "" {
				r, ok, err := ix.Get(sv.Signature)
				if err != nil {
					return err
				}
				if ok && w.hasObjects(ctx, r) {
					row.Available = "local"
				}
				rec = r
			}
			if rec == nil {
				var err error
				if rec, _, err = ix.Last(sv.Stage.Name); err != nil {
					return err
				}
			}
			if rec != nil {
				row.Known = true
				row.EstimatedSeconds = rec.Duration.Seconds()
				for _, o := range rec.Outputs {
					row.EstimatedBytes += o.Size
				}
			}
			row.Conflicts = conflictingDeps(sv.Stage, conflicts)
			old, existed := before.Stage(sv.Stage.Name)
			switch {
			case len(row.Conflicts) > 0 || sv.Signature == "":
				row.Action = Compute
			case existed && old.Signature == sv.Signature:
				row.Action = Unchanged
			case row.Available != "none":
				row.Action = Promote
			default:
				row.Action = Compute
			}
			pv.Stages = append(pv.Stages, row)
		}
		for _, old := range before.Stages {
			if p.Stage(old.Stage.Name) == nil {
				pv.Stages = append(pv.Stages, PreviewStage{Name: old.Stage.Name, Signature: old.Signature, Action: Remove, Available: "none"})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := w.previewRemote(ctx, pv); err != nil {
		return nil, err
	}
	return pv, nil
}

// previewRemote finds, in the remote, the stages to compute that someone
// else computed: a merge promotes those too, once pulled.
func (w *Workspace) previewRemote(ctx context.Context, pv *Preview) error {
	if w.Remote == nil {
		return nil
	}
	var sigs []string
	for _, row := range pv.Stages {
		if row.Action == Compute && row.Signature != "" && len(row.Conflicts) == 0 {
			sigs = append(sigs, row.Signature)
		}
	}
	if len(sigs) == 0 {
		return nil
	}
	present, err := w.Remote.Present(ctx, w.Local(), sigs)
	if err != nil {
		return err
	}
	for i, row := range pv.Stages {
		if row.Action == Compute && present[row.Signature] {
			pv.Stages[i].Action = Promote
			pv.Stages[i].Available = "remote"
		}
	}
	return nil
}

// ErrMergeConflict is a merge whose preview cannot be computed.
var ErrMergeConflict = errors.New("merge conflict")

// evaluateMerged computes the signatures of the merged tree. A stage that
// reads a conflicted file, or an upstream stage without a signature, gets
// none: the file holds conflict markers until the user resolves it, so
// only a run after the merge can tell.
func evaluateMerged(p *pipeline.Pipeline, tree gitref.Tree, conflicts []string, env sigindex.Env) ([]namespace.StageView, error) {
	producer := p.ProducerName
	eval := sigindex.NewEvaluator(tree, producer, env)
	sigs := map[string]string{}
	var out []namespace.StageView
	for _, st := range p.Stages {
		unknown := len(conflictingDeps(st, conflicts)) > 0
		for _, up := range p.Upstream(st) {
			unknown = unknown || sigs[up.Name] == ""
		}
		if unknown {
			out = append(out, namespace.StageView{Stage: st})
			continue
		}
		sig, inputs, err := eval.Compute(st, sigs)
		if err != nil {
			return nil, err
		}
		sigs[st.Name] = sig
		out = append(out, namespace.StageView{Stage: st, Signature: sig, Inputs: inputs})
	}
	return out, nil
}

// conflictingDeps names the conflicted paths that a stage reads: its deps
// (a file, or anything under a folder) and its params files.
func conflictingDeps(st *pipeline.Stage, conflicts []string) []string {
	reads := append([]string{}, st.Deps...)
	for _, pf := range st.Params {
		reads = append(reads, pf.File)
	}
	var hit []string
	for _, c := range conflicts {
		for _, r := range reads {
			if c == r || strings.HasPrefix(c, r+"/") {
				hit = append(hit, c)
				break
			}
		}
	}
	return hit
}
