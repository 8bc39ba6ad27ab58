package namespace

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/signature"
)

// Artifact is one output path of a namespace.
type Artifact struct {
	Path      string `json:"path"`
	Stage     string `json:"stage"`
	Signature string `json:"signature"`
}

// Namespace is what a branch sees: the commit it reflects and every output
// path with the signature that commit gives it.
type Namespace struct {
	Ref       string     `json:"ref"`
	Commit    string     `json:"commit"`
	Artifacts []Artifact `json:"artifacts"` // sorted by path
}

// FromView lists the outputs of a view.
func FromView(ref string, v *View) *Namespace {
	ns := &Namespace{Ref: ref, Commit: v.Commit, Artifacts: []Artifact{}}
	for _, sv := range v.Stages {
		for _, out := range sv.Stage.Outs {
			ns.Artifacts = append(ns.Artifacts, Artifact{Path: out, Stage: sv.Stage.Name, Signature: sv.Signature})
		}
		// An external output is named "ext:NAME", as a dep names it: a
		// branch needs its computation as it needs a file's, for push
		// and gc, though nothing of it is placed.
		for _, ext := range sv.Stage.External {
			ns.Artifacts = append(ns.Artifacts, Artifact{Path: pipeline.ExtPrefix + ext.Name, Stage: sv.Stage.Name, Signature: sv.Signature})
		}
	}
	sort.Slice(ns.Artifacts, func(i, j int) bool { return ns.Artifacts[i].Path < ns.Artifacts[j].Path })
	return ns
}

// Equal reports whether ns and other bind the same ref to the same commit
// and artifacts.
func (ns *Namespace) Equal(other *Namespace) bool {
	return ns.Ref == other.Ref && ns.Commit == other.Commit && slices.Equal(ns.Artifacts, other.Artifacts)
}

// Save binds ref to ns in the index, for ns's repository only: clones that
// share one store (git config dds.dir) each have their own
// refs/heads/main.
func Save(b *index.Batch, repo *gitref.Repo, ns *Namespace) error {
	raw, err := json.Marshal(ns)
	if err != nil {
		return fmt.Errorf("encoding the namespace of %s: %w", ns.Ref, err)
	}
	return b.PutNamespace(repo.CommonDir, ns.Ref, raw)
}

// Saved returns the namespace last bound to ref, if any.
func Saved(ix *index.Index, repo *gitref.Repo, ref string) (*Namespace, bool, error) {
	raw, ok, err := ix.Namespace(repo.CommonDir, ref)
	if err != nil || !ok {
		return nil, false, err
	}
	var ns Namespace
	if err := json.Unmarshal(raw, &ns); err != nil {
		// A namespace is derived data: one that does not decode is rebuilt.
		return nil, false, nil
	}
	return &ns, true, nil
}

// ForEachSaved calls fn with every namespace saved in the index, by this
// clone's hooks or by those of another clone sharing the store. One that
// does not decode is derived data, and names nothing: it is skipped.
func ForEachSaved(ix *index.Index, fn func(*Namespace) error) error {
	return ix.ForEachNamespace(func(raw []byte) error {
		var ns Namespace
		if json.Unmarshal(raw, &ns) != nil {
			return nil
		}
		return fn(&ns)
	})
}

// ForRef returns the namespace of ref at its current tip: the saved one
// when it still reflects the tip, else one computed from the tip's tree (a
// fetch or git update-ref moves a tip without any hook).
func ForRef(ctx context.Context, repo *gitref.Repo, saved func(ref string) (*Namespace, bool, error), ref string, env signature.Env) (*Namespace, *View, error) {
	commit, err := repo.Resolve(ref)
	if err != nil {
		return nil, nil, err
	}
	if saved != nil {
		if ns, ok, err := saved(ref); err != nil {
			return nil, nil, err
		} else if ok && ns.Commit == commit {
			return ns, nil, nil
		}
	}
	v, err := Load(ctx, repo, commit, env)
	if err != nil {
		return nil, nil, err
	}
	return FromView(ref, v), v, nil
}

// Change is one output path whose signature differs between two
// namespaces; From or To is "" where the path is absent.
type Change struct {
	Path  string `json:"path"`
	Stage string `json:"stage"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Diff lists, by path, the outputs whose signature differs from a to b:
// the one primitive behind status, promotion and merge-preview.
func Diff(a, b *Namespace) []Change {
	from := map[string]Artifact{}
	if a != nil {
		for _, art := range a.Artifacts {
			from[art.Path] = art
		}
	}
	var changes []Change
	seen := map[string]bool{}
	if b != nil {
		for _, art := range b.Artifacts {
			seen[art.Path] = true
			if old, ok := from[art.Path]; ok && old.Signature == art.Signature {
				continue
			}
			changes = append(changes, Change{Path: art.Path, Stage: art.Stage, From: from[art.Path].Signature, To: art.Signature})
		}
	}
	for path, art := range from {
		if !seen[path] {
			changes = append(changes, Change{Path: path, Stage: art.Stage, From: art.Signature})
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Path < changes[j].Path })
	return changes
}
