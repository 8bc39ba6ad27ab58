package workspace

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/signature"
)

// Merge actions, in the words git dds merge-preview prints and its --json
// carries (its help, in docs/reference): scripts match them.
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
	// CutOff, for a stage to compute, says whether run may cut it off
	// instead (CutOffReady, CutOffPossible); estimates do not count on it.
	CutOff string `json:"cut_off,omitempty"`
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
	// A stage that reads a conflicted file gets no signature: the file holds
	// conflict markers until the user resolves it.
	stages, err := namespace.Signatures(p, p.Stages, merged, w.Env, func(st *pipeline.Stage) bool {
		return len(conflictingDeps(st, conflicts)) > 0
	})
	if err != nil {
		return nil, fmt.Errorf("the merged %s: %w", source, err)
	}

	pv := &Preview{Source: source, Target: target, Conflicts: append([]string{}, conflicts...), Stages: []PreviewStage{}, Pipeline: p}
	err = w.WithIndex(ctx, func(ix *index.Index) error {
		for _, sv := range stages {
			row := PreviewStage{Name: sv.Stage.Name, Signature: sv.Signature, Available: "none"}
			var rec *signature.Record
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
				row.EstimatedBytes = rec.Written()
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
			if row.Action == Compute && len(row.Conflicts) == 0 && sv.Signature != "" {
				last := rec
				if last != nil && last.Signature == sv.Signature {
					last = nil
				}
				var err error
				if row.CutOff, err = w.cutOffHint(ctx, ix, sv, last); err != nil {
					return err
				}
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
	// The stages to compute that someone else computed: a merge promotes
	// those too, once pulled. Meanwhile, those that run would cut off
	// against a computation in the remote.
	ask := make([]bool, len(stages))
	for i := range ask {
		row := pv.Stages[i]
		ask[i] = w.Remote != nil && row.Action == Compute && len(row.Conflicts) == 0 && row.Signature != "" && row.CutOff != CutOffReady
	}
	var hit []bool
	var hintErr error
	var wg sync.WaitGroup
	wg.Go(func() { hit, hintErr = w.remoteCutOffs(ctx, stages, ask) })
	err = markInRemote(ctx, w, pv.Stages,
		func(row *PreviewStage) string {
			if row.Action != Compute || len(row.Conflicts) > 0 {
				return ""
			}
			return row.Signature
		},
		func(row *PreviewStage) { row.Action, row.Available, row.CutOff = Promote, "remote", "" })
	wg.Wait()
	if err = errors.Join(err, hintErr); err != nil {
		return nil, err
	}
	for i := range hit {
		if hit[i] && pv.Stages[i].Action == Compute {
			pv.Stages[i].CutOff = CutOffRemote
		}
	}
	return pv, nil
}

// ErrMergeConflict is a merge whose preview cannot be computed.
var ErrMergeConflict = errors.New("merge conflict")

// conflictingDeps names the conflicted paths that a stage reads: its deps
// (a file, or anything under a folder) and its params files.
func conflictingDeps(st *pipeline.Stage, conflicts []string) []string {
	reads := st.Reads()
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
