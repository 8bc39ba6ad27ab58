// Package history lists the computations of a stage over time: the
// lineage the index keeps for it, narrowed to the signatures the current
// branch's commits give the stage, with what changed between one
// computation and the next.
package history

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/ui"
	"github.com/git-dds/git-dds/internal/workspace"
)

// DefaultMaxCommits bounds the walk of a branch's history, so that log
// answers in about a second on a repository of any age.
const DefaultMaxCommits = 1000

// Options shape Read.
type Options struct {
	// All lists every computation of the stage, including those only other
	// branches reached.
	All bool
	// MaxCommits bounds the first-parent commits of HEAD that are read;
	// 0 means DefaultMaxCommits.
	MaxCommits int
	// Cwd is the absolute folder a relative path target is relative to;
	// empty means the repository root.
	Cwd string
}

// Computation is one computation of the stage, as log shows it.
type Computation struct {
	Signature string `json:"signature"`
	Stage     string `json:"stage"`
	Commit    string `json:"commit"` // HEAD when first computed; empty before the first commit
	// FirstCommit is the oldest commit of the branch's history whose tree
	// gives the stage this signature; empty when none does (yet).
	FirstCommit string             `json:"first_commit"`
	Time        time.Time          `json:"time"`
	Seconds     float64            `json:"seconds"`
	Bytes       int64              `json:"bytes"`
	Host        string             `json:"host"`
	Outputs     []signature.Output `json:"outputs"`
	// Changed and Why say what differs from the next older computation
	// listed; both are empty for the oldest.
	Changed []string `json:"changed"`
	Why     []string `json:"why"`
	// CutOff, for a computation run cut off, names the one whose outputs
	// it took, and the upstream stages that wrote the same bytes.
	CutOff *signature.CutOff `json:"cut_off,omitempty"`
	// Current marks the computation the working tree's signature names.
	Current bool `json:"current"`
	// OnBranch is false for a computation that only other branches reach.
	OnBranch bool `json:"on_branch"`
	// Undeclared lists, for a computation run with --audit, what it read
	// that its signature did not cover.
	Undeclared []signature.Undeclared `json:"undeclared,omitempty"`
}

// Log is the answer of Read.
type Log struct {
	Stage string `json:"stage"`
	Path  string `json:"path,omitempty"` // the output asked for, when a path was
	// Branch is the branch whose history was read, or HEAD when detached.
	Branch string `json:"branch"`
	// Commits is how many commits of it were read; Truncated says the walk
	// stopped at the bound before the first commit.
	Commits      int           `json:"commits"`
	Truncated    bool          `json:"truncated"`
	All          bool          `json:"all"`
	Computations []Computation `json:"computations"`
}

// UnknownTargetError is a log target that names no stage and no output.
type UnknownTargetError struct{ Target string }

func (e *UnknownTargetError) Error() string {
	return fmt.Sprintf("%q is neither a stage nor an output of %s, and no computation of a stage of that name is recorded; git dds status lists the stages and their outputs",
		e.Target, pipeline.FileName)
}

// Read lists the computations of target, a stage name or an output path
// (a file or folder output, or a path inside a folder output), newest first.
func Read(ctx context.Context, ws *workspace.Workspace, target string, opts Options) (*Log, error) {
	if opts.MaxCommits <= 0 {
		opts.MaxCommits = DefaultMaxCommits
	}
	view, err := namespace.Load(ctx, ws.Repo, namespace.WorktreeRev, ws.Env)
	if err != nil {
		return nil, err
	}
	log := &Log{All: opts.All, Branch: "HEAD", Computations: []Computation{}}
	if ref, _, err := ws.Repo.Head(); err == nil && ref != "" {
		log.Branch = strings.TrimPrefix(ref, "refs/heads/")
	}
	if st := view.Pipeline.Stage(target); st != nil {
		log.Stage = st.Name
	} else if p := repoPath(ws.Repo.Root, opts.Cwd, target); p != "" {
		if st, ok := view.Pipeline.Producer(p); ok {
			log.Stage, log.Path = st.Name, p
		}
	}

	var records []*signature.Record
	err = ws.WithIndex(ctx, func(ix *index.Index) error {
		name := log.Stage
		if name == "" {
			// A stage dds.yaml no longer declares still has its lineage.
			name = target
		}
		recs, err := ix.Lineage(name, 0)
		if err != nil {
			return err
		}
		if log.Stage == "" && len(recs) == 0 {
			return &UnknownTargetError{Target: target}
		}
		log.Stage, records = name, recs
		return nil
	})
	if err != nil {
		return nil, err
	}

	current := ""
	if sv, ok := view.Stage(log.Stage); ok {
		current = sv.Signature
	}
	firstCommit := map[string]string{}
	if len(records) > 0 {
		w := walker{repo: ws.Repo, env: ws.Env, stage: log.Stage, pipelines: map[string]*pipeline.Pipeline{}, sigs: map[string]string{}}
		if firstCommit, log.Commits, log.Truncated, err = w.branchSignatures(ctx, opts.MaxCommits); err != nil {
			return nil, err
		}
	}
	onBranch := func(sig string) bool {
		_, committed := firstCommit[sig]
		return committed || sig == current
	}

	var listed []*signature.Record
	for _, rec := range records {
		if log.Path != "" && !produces(rec, log.Path) {
			continue
		}
		if opts.All || onBranch(rec.Signature) {
			listed = append(listed, rec)
		}
	}
	for i, rec := range listed {
		c := Computation{
			Signature: rec.Signature, Stage: rec.Stage, Commit: rec.Commit, Time: rec.Time,
			Seconds: rec.Duration.Seconds(), Host: rec.Host, Outputs: rec.Outputs, CutOff: rec.CutOff,
			Changed: []string{}, Why: []string{},
			FirstCommit: firstCommit[rec.Signature],
			Current:     rec.Signature == current, OnBranch: onBranch(rec.Signature),
		}
		c.Bytes = rec.Written()
		if rec.Audit != nil {
			c.Undeclared = rec.Audit.Undeclared
		}
		if i+1 < len(listed) {
			older := listed[i+1]
			c.Changed = append(c.Changed, signature.Changed(older.Inputs, rec.Inputs)...)
			c.Why = append(c.Why, signature.Describe(older.Inputs, rec.Inputs)...)
		}
		log.Computations = append(log.Computations, c)
	}
	return log, nil
}

// produces reports whether rec wrote p, itself or inside a folder output.
func produces(rec *signature.Record, p string) bool {
	for _, o := range rec.Outputs {
		if o.Path == p || strings.HasPrefix(p, o.Path+"/") {
			return true
		}
	}
	return false
}

// repoPath reads target as a path typed in cwd and gives it relative to the
// repository root, slash-separated; "" when it lies outside.
func repoPath(root, cwd, target string) string {
	if cwd == "" {
		cwd = root
	}
	abs := target
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(cwd, target)
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil {
		return ""
	}
	rel = filepath.ToSlash(rel)
	if rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return ""
	}
	return path.Clean(rel)
}

// walker evaluates one stage's signature in many commits, reading as
// little as it can: a dds.yaml is parsed once per blob, and a signature is
// computed once per combination of dds.yaml and the object ids of the
// files the stage and its upstream stages read.
type walker struct {
	repo      *gitref.Repo
	env       signature.Env
	stage     string
	pipelines map[string]*pipeline.Pipeline // dds.yaml blob id → pipeline; nil when it does not parse
	sigs      map[string]string             // inputs key → signature; "" when it does not evaluate
}

// branchSignatures gives the signatures the stage has in the first-parent
// commits of HEAD, at most max of them, each with the oldest commit that
// gives it.
func (w *walker) branchSignatures(ctx context.Context, max int) (sigs map[string]string, commits int, truncated bool, err error) {
	sigs = map[string]string{}
	if _, head, err := w.repo.Head(); err != nil || head == "" {
		return sigs, 0, false, err
	}
	ids, err := w.repo.RevList(ctx, "HEAD", gitref.RevListOptions{Max: max + 1, FirstParent: true})
	if err != nil {
		return nil, 0, false, fmt.Errorf("listing the history of HEAD: %w", err)
	}
	if len(ids) > max {
		ids, truncated = ids[:max], true
	}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, 0, false, err
		}
		sig, err := w.signatureAt(id)
		if err != nil {
			return nil, 0, false, fmt.Errorf("commit %s: %w", ui.ShortCommit(id), err)
		}
		if sig != "" {
			sigs[sig] = id // newest first: the last one written is the oldest
		}
	}
	return sigs, len(ids), truncated, nil
}

// signatureAt gives the stage's signature in commit, "" when the commit has
// no such stage or a pipeline that does not parse or evaluate.
func (w *walker) signatureAt(commit string) (string, error) {
	tree, err := w.repo.CommitTree(commit)
	if err != nil {
		return "", err
	}
	yaml, ok, err := tree.Lookup(pipeline.FileName)
	if err != nil || !ok {
		return "", err
	}
	p, parsed := w.pipelines[yaml.ID]
	if !parsed {
		data, err := tree.ReadFile(pipeline.FileName)
		if err != nil {
			return "", err
		}
		// A commit whose dds.yaml is wrong had no view to speak of.
		p, _ = pipeline.Parse(pipeline.FileName, data)
		w.pipelines[yaml.ID] = p
	}
	if p == nil || p.Stage(w.stage) == nil {
		return "", nil
	}
	closure := p.Closure(w.stage)
	key, err := inputsKey(tree, p, yaml.ID, closure)
	if err != nil {
		return "", err
	}
	if sig, ok := w.sigs[key]; ok {
		return sig, nil
	}
	sig, err := lastSignature(tree, p, closure, w.env)
	if err != nil {
		return "", err
	}
	w.sigs[key] = sig
	return sig, nil
}

// inputsKey names everything a signature of closure reads from tree: the
// dds.yaml blob and the object id of every tracked dep and params file.
// Two trees with one key give the stages one signature.
func inputsKey(tree gitref.Tree, p *pipeline.Pipeline, yamlID string, closure []*pipeline.Stage) (string, error) {
	var b strings.Builder
	b.WriteString(yamlID)
	for _, st := range closure {
		for _, path := range p.TrackedReads(st) {
			e, ok, err := tree.Lookup(path)
			if err != nil {
				return "", err
			}
			b.WriteString("\x00" + path + "\x00")
			if ok {
				b.WriteString(e.ID)
			}
		}
	}
	return b.String(), nil
}

// lastSignature computes the signature of the last stage of closure, ""
// when the commit's pipeline does not evaluate (a dep or params key
// missing).
func lastSignature(tree gitref.Tree, p *pipeline.Pipeline, closure []*pipeline.Stage, env signature.Env) (string, error) {
	views, err := namespace.Signatures(p, closure, tree, env, nil)
	if errors.Is(err, signature.ErrInput) {
		return "", nil
	}
	if err != nil || len(views) == 0 {
		return "", err
	}
	return views[len(views)-1].Signature, nil
}
