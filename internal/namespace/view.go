// Package namespace owns branch views: for one tree, the signature of every
// stage and the output path → signature map that a branch sees.
package namespace

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/signature"
)

// WorktreeRev names the working tree where a revision is expected.
const WorktreeRev = "WORKTREE"

// StageView is one stage as a tree sees it.
type StageView struct {
	Stage     *pipeline.Stage
	Signature string
	Inputs    []signature.Input
}

// View is every stage's signature in one tree.
type View struct {
	Rev      string // a commit id, or WorktreeRev
	Commit   string // the commit the view reflects: Rev, or HEAD for the worktree
	Pipeline *pipeline.Pipeline
	Tree     gitref.Tree // what the signatures were read from
	Stages   []StageView // topological order
	byName   map[string]int
}

// Stage returns the view of the named stage.
func (v *View) Stage(name string) (StageView, bool) {
	i, ok := v.byName[name]
	if !ok {
		return StageView{}, false
	}
	return v.Stages[i], true
}

// ErrNoPipeline means the tree has no dds.yaml.
var ErrNoPipeline = errors.New("no dds.yaml")

// Load evaluates the pipeline of rev ("" or WorktreeRev for the working
// tree as the next commit would record it).
func Load(ctx context.Context, repo *gitref.Repo, rev string, env signature.Env) (*View, error) {
	return NewLoader(repo, env).Load(ctx, rev)
}

// Loader evaluates several revisions of one repository, parsing each
// version of dds.yaml once: a merge, a hook or a walk over history usually
// meets the same file again and again.
type Loader struct {
	repo   *gitref.Repo
	env    signature.Env
	parsed map[string]*pipeline.Pipeline // by dds.yaml blob id

	// WorktreeChecked, when set, is called as soon as the working tree's
	// pipeline is checked against its files, before any signature is
	// computed, which takes one core for tens of milliseconds in a large
	// repository: status lists untracked files on the other meanwhile.
	WorktreeChecked func(*pipeline.Pipeline, *gitref.Overlay)
}

// NewLoader prepares evaluations of repo's revisions.
func NewLoader(repo *gitref.Repo, env signature.Env) *Loader {
	return &Loader{repo: repo, env: env, parsed: map[string]*pipeline.Pipeline{}}
}

// Load is the package-level Load, sharing this loader's parses.
func (l *Loader) Load(ctx context.Context, rev string) (*View, error) {
	if rev == "" || rev == WorktreeRev {
		_, head, err := l.repo.Head()
		if err != nil {
			return nil, err
		}
		return l.loadWorktree(ctx, head)
	}
	commit, err := l.repo.Resolve(rev)
	if err != nil {
		return nil, err
	}
	tree, err := l.repo.CommitTree(commit)
	if err != nil {
		return nil, err
	}
	p, err := l.Pipeline(tree, false)
	if err != nil {
		return nil, err
	}
	return l.view(commit, commit, p, tree)
}

// loadWorktree evaluates the working tree. It parses dds.yaml while the git
// index is read: both take tens of milliseconds in a large repository.
func (l *Loader) loadWorktree(ctx context.Context, head string) (*View, error) {
	var (
		overlay    *gitref.Overlay
		overlayErr error
		read       = make(chan struct{})
	)
	go func() {
		defer close(read)
		overlay, overlayErr = l.repo.Worktree(ctx)
	}()
	p, parseErr := parseWorktreePipeline(l.repo)
	<-read
	if overlayErr != nil {
		return nil, overlayErr
	}
	if parseErr != nil {
		return nil, parseErr
	}
	// The params files are read and parsed while the deps are looked at,
	// and their values taken out while the pipeline is checked: a params
	// file of thousands of keys is tens of milliseconds of one core and
	// many short-lived allocations, which the sweep, mostly in the
	// kernel, leaves room for, and which came after the check before.
	eval := signature.NewEvaluator(overlay, p.ProducerName, l.env)
	prepared := make(chan struct{})
	go func() {
		defer close(prepared)
		eval.Prepare(p.Stages)
	}()
	if err := checkPipeline(l.repo, overlay, p); err != nil {
		<-prepared
		return nil, err
	}
	if l.WorktreeChecked != nil {
		l.WorktreeChecked(p, overlay)
	}
	<-prepared
	return viewWith(eval, WorktreeRev, head, p, overlay)
}

func (l *Loader) view(rev, commit string, p *pipeline.Pipeline, tree gitref.Tree) (*View, error) {
	eval := signature.NewEvaluator(tree, p.ProducerName, l.env)
	eval.Prepare(p.Stages)
	return viewWith(eval, rev, commit, p, tree)
}

// viewWith is the view of p in tree, its signatures from eval, an
// evaluator of tree, prepared.
func viewWith(eval *signature.Evaluator, rev, commit string, p *pipeline.Pipeline, tree gitref.Tree) (*View, error) {
	stages, err := signaturesWith(eval, p, p.Stages, nil)
	if err != nil {
		return nil, err
	}
	v := NewView(rev, commit, p, stages)
	v.Tree = tree
	return v, nil
}

// Pipeline is LoadPipeline, reusing the parse of a dds.yaml this loader
// has seen in another commit's tree.
func (l *Loader) Pipeline(tree gitref.Tree, worktree bool) (*pipeline.Pipeline, error) {
	if worktree {
		return LoadPipeline(l.repo, tree, true)
	}
	entry, ok, err := tree.Lookup(pipeline.FileName)
	if err != nil || !ok {
		return LoadPipeline(l.repo, tree, false)
	}
	p, seen := l.parsed[entry.ID]
	if !seen {
		if p, err = LoadPipeline(l.repo, tree, false); err != nil {
			return nil, err
		}
		l.parsed[entry.ID] = p
		return p, nil
	}
	// The file is the same, the tree around it may not be: its deps must
	// still be tracked here.
	if err := validate(l.repo, tree, p); err != nil {
		return nil, err
	}
	return p, nil
}

// NewView indexes stages by name.
func NewView(rev, commit string, p *pipeline.Pipeline, stages []StageView) *View {
	v := &View{Rev: rev, Commit: commit, Pipeline: p, Stages: stages, byName: make(map[string]int, len(stages))}
	for i, s := range stages {
		v.byName[s.Stage.Name] = i
	}
	return v
}

// prefetcher is a tree that can look at many paths at once.
type prefetcher interface {
	Prefetch(paths []string) error
}

// prefetchDeps has the working tree look at every dep and params file of
// the pipeline in one sweep before they are looked up one by one.
func prefetchDeps(tree gitref.Tree, p *pipeline.Pipeline) error {
	pf, ok := tree.(prefetcher)
	if !ok {
		return nil
	}
	return pf.Prefetch(trackedInputs(p))
}

// trackedInputs lists the files and folders of the tree that the
// pipeline's signatures read: every dep no stage produces, and every
// params file.
func trackedInputs(p *pipeline.Pipeline) []string {
	var paths []string
	for _, st := range p.Stages {
		paths = append(paths, p.TrackedReads(st)...)
	}
	return paths
}

// LoadPipeline reads and validates dds.yaml from tree. For the working tree
// the file on disk counts, tracked or not, as it will be committed.
func LoadPipeline(repo *gitref.Repo, tree gitref.Tree, worktree bool) (*pipeline.Pipeline, error) {
	var (
		p   *pipeline.Pipeline
		err error
	)
	if worktree {
		p, err = parseWorktreePipeline(repo)
	} else {
		var data []byte
		if data, err = tree.ReadFile(pipeline.FileName); err != nil {
			return nil, errNoPipelineFile()
		}
		p, err = parsePipeline(repo, data)
	}
	if err != nil {
		return nil, err
	}
	if err := checkPipeline(repo, tree, p); err != nil {
		return nil, err
	}
	return p, nil
}

func errNoPipelineFile() error {
	return fmt.Errorf("%w: no %s at the repository root; write one (see docs/dds-yaml.md)", ErrNoPipeline, pipeline.FileName)
}

// parseWorktreePipeline parses dds.yaml as it is on disk.
func parseWorktreePipeline(repo *gitref.Repo) (*pipeline.Pipeline, error) {
	data, err := os.ReadFile(repo.Root + "/" + pipeline.FileName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoPipelineFile()
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", pipeline.FileName, err)
	}
	return parsePipeline(repo, data)
}

// checkPipeline validates a parsed pipeline against the files of tree,
// looking at every dep in one sweep first.
func checkPipeline(repo *gitref.Repo, tree gitref.Tree, p *pipeline.Pipeline) error {
	if err := prefetchDeps(tree, p); err != nil {
		return err
	}
	return validate(repo, tree, p)
}

// validate checks p against the files of tree.
func validate(repo *gitref.Repo, tree gitref.Tree, p *pipeline.Pipeline) error {
	tracked := func(path string) (bool, error) {
		_, ok, err := tree.Lookup(path)
		return ok, err
	}
	return p.Validate(repo.Root, tracked)
}

// Evaluate computes every stage's signature in topological order, each
// stage seeing its upstream stages' signatures.
func Evaluate(p *pipeline.Pipeline, tree gitref.Tree, env signature.Env) ([]StageView, error) {
	return Signatures(p, p.Stages, tree, env, nil)
}

// Signatures computes the signatures of stages, some of p's in an order
// where each comes after its upstream stages (p.Stages, or p.Closure of
// one), against tree: the one loop every evaluation of a pipeline goes
// through. A stage for which unknown reports true gets no signature, and
// so does every stage that reads from one without a signature: only a run
// can tell what they will be.
func Signatures(p *pipeline.Pipeline, stages []*pipeline.Stage, tree gitref.Tree, env signature.Env, unknown func(*pipeline.Stage) bool) ([]StageView, error) {
	eval := signature.NewEvaluator(tree, p.ProducerName, env)
	eval.Prepare(stages)
	return signaturesWith(eval, p, stages, unknown)
}

// signaturesWith is Signatures with an evaluator of p's stages, prepared.
func signaturesWith(eval *signature.Evaluator, p *pipeline.Pipeline, stages []*pipeline.Stage, unknown func(*pipeline.Stage) bool) ([]StageView, error) {
	sigs := make(map[string]string, len(stages))
	out := make([]StageView, 0, len(stages))
	for _, st := range stages {
		if unknown != nil && (unknown(st) || slices.ContainsFunc(p.Upstream(st), func(up *pipeline.Stage) bool { return sigs[up.Name] == "" })) {
			out = append(out, StageView{Stage: st})
			continue
		}
		sig, inputs, err := eval.Compute(st, sigs)
		if err != nil {
			return nil, err
		}
		sigs[st.Name] = sig
		out = append(out, StageView{Stage: st, Signature: sig, Inputs: inputs})
	}
	return out, nil
}

// Committed returns the view of commit, given wt, the working tree's view
// (nil when it has none) taken with HEAD at commit. When the working tree
// holds what commit records for dds.yaml and for every dep and params file
// of the pipeline, the signatures are the same and wt is returned as it is,
// with no second evaluation: the usual case after a clean switch, which a
// hook must keep fast. Otherwise commit is evaluated on its own.
func (l *Loader) Committed(ctx context.Context, wt *View, commit string) (*View, error) {
	if wt != nil && wt.Commit == commit && wt.Tree != nil {
		if tree, err := l.repo.CommitTree(commit); err == nil && sameInputs(wt, tree) {
			return wt, nil
		}
	}
	return l.Load(ctx, commit)
}

// sameInputs reports whether tree records, for every file wt's signatures
// read, what wt.Tree holds.
func sameInputs(wt *View, tree gitref.Tree) bool {
	paths := append([]string{pipeline.FileName}, trackedInputs(wt.Pipeline)...)
	for _, path := range paths {
		a, okA, errA := wt.Tree.Lookup(path)
		b, okB, errB := tree.Lookup(path)
		if errA != nil || errB != nil || okA != okB || a != b {
			return false
		}
		// dds.yaml is read from disk whether tracked or not: untracked, it
		// is absent from both trees, and the commit has no pipeline.
		if path == pipeline.FileName && !okA {
			return false
		}
	}
	return true
}
