package run

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/git-dds/git-dds/namespace"
	"github.com/git-dds/git-dds/sigindex"
)

// Merge actions, as CONTRACT.md names them.
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
	if err != nil {
		return nil, err
	}
	merged, err := w.Repo.TreeByID(treeID)
	if err != nil {
		return nil, err
	}
	p, err := namespace.LoadPipeline(w.Repo, merged, false)
	if err != nil {
		return nil, fmt.Errorf("the merged %s: %w", source, err)
	}
	stages, err := namespace.Evaluate(p, merged, w.Env)
	if err != nil {
		return nil, fmt.Errorf("the merged %s: %w", source, err)
	}
	before, err := namespace.Load(ctx, w.Repo, ours, w.Env)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", target, err)
	}

	pv := &Preview{Source: source, Target: target, Conflicts: append([]string{}, conflicts...), Stages: []PreviewStage{}}
	err = w.WithIndex(ctx, func(ix *sigindex.Index) error {
		for _, sv := range stages {
			row := PreviewStage{Name: sv.Stage.Name, Signature: sv.Signature, Available: "none"}
			rec, ok, err := ix.Get(sv.Signature)
			if err != nil {
				return err
			}
			if ok && w.hasObjects(rec) {
				row.Available = "local"
			}
			if rec == nil {
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
			row.Conflicts = conflictingDeps(sv, conflicts)
			old, existed := before.Stage(sv.Stage.Name)
			switch {
			case len(row.Conflicts) > 0:
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
	return pv, nil
}

// conflictingDeps names the conflicted paths that a stage reads: its
// tracked deps (a file, or anything under a folder) and params files.
func conflictingDeps(sv namespace.StageView, conflicts []string) []string {
	var reads []string
	for _, in := range sv.Inputs {
		switch in.Kind {
		case sigindex.KindDep:
			reads = append(reads, in.Name)
		case sigindex.KindParam:
			reads = append(reads, in.Name[:strings.Index(in.Name, ":")])
		}
	}
	var hit []string
	for _, c := range conflicts {
		for _, r := range reads {
			if c == r || strings.HasPrefix(c, r+"/") || c == path.Clean(r) {
				hit = append(hit, c)
				break
			}
		}
	}
	return hit
}
