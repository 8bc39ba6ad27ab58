// Package experiment runs parameter sweeps: each combination of -S values
// becomes a commit on a hidden ref (refs/dds/exp/NAME) parented on HEAD,
// computed in a temporary linked worktree, so that the user's branch, index
// and working tree are never touched. It lists, promotes, removes and
// shares those refs. Every git operation goes through gitref; computing is
// the workspace's run.
package experiment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/parallel"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/ui"
	"github.com/git-dds/git-dds/internal/workspace"
)

// RefPrefix is where experiments live: refs git shares between worktrees
// and pushes only when asked, which no branch listing shows.
const RefPrefix = "refs/dds/exp/"

// Rev is the revision that names the experiment name, as git resolves it
// (refs/NAME is the first place git looks).
func Rev(name string) string { return strings.TrimPrefix(RefPrefix, "refs/") + name }

// Set is one -S: a params key and the values to sweep it over.
type Set struct {
	File   string // "" until resolved against the pipeline
	Key    string
	Values []string
}

// ParseSet reads -S [FILE:]KEY=V1,V2...
func ParseSet(s string) (Set, error) {
	lhs, rhs, ok := strings.Cut(s, "=")
	if !ok || lhs == "" {
		return Set{}, inputf("-S %q: write KEY=VALUE[,VALUE...], e.g. -S train.lr=0.05,0.1", s)
	}
	set := Set{Key: lhs}
	if file, key, ok := strings.Cut(lhs, ":"); ok {
		set.File, set.Key = cleanPath(file), key
	}
	if set.Key == "" || strings.Contains("."+set.Key+".", "..") {
		return Set{}, inputf("-S %q: the key %q has an empty part", s, set.Key)
	}
	for _, v := range strings.Split(rhs, ",") {
		if slices.Contains(set.Values, v) {
			continue
		}
		set.Values = append(set.Values, v)
	}
	return set, nil
}

func cleanPath(p string) string { return filepath.ToSlash(filepath.Clean(p)) }

// resolve names the params file of each set without one: the file in which
// a stage declares the key (or a key above or below it).
func resolve(p *pipeline.Pipeline, sets []Set) ([]Set, error) {
	declared := map[string]map[string]bool{} // file -> keys
	for _, st := range p.Stages {
		for _, pf := range st.Params {
			if declared[pf.File] == nil {
				declared[pf.File] = map[string]bool{}
			}
			for _, k := range pf.Keys {
				declared[pf.File][k] = true
			}
		}
	}
	seen := map[string]bool{}
	out := make([]Set, 0, len(sets))
	for _, s := range sets {
		if s.File == "" {
			var files []string
			for file, keys := range declared {
				for k := range keys {
					if k == s.Key || strings.HasPrefix(s.Key, k+".") || strings.HasPrefix(k, s.Key+".") {
						files = append(files, file)
						break
					}
				}
			}
			slices.Sort(files)
			switch len(files) {
			case 0:
				return nil, inputf("-S %s: no stage declares that params key in %s; set a key a stage lists under params:, or name its file: -S params.yaml:%s=...", s.Key, pipeline.FileName, s.Key)
			case 1:
				s.File = files[0]
			default:
				return nil, inputf("-S %s: the key is declared in %s; name the file: -S %s:%s=...", s.Key, strings.Join(files, " and "), files[0], s.Key)
			}
		}
		if seen[s.File+":"+s.Key] {
			return nil, inputf("-S %s:%s is given twice; list its values in one -S, separated by commas", s.File, s.Key)
		}
		seen[s.File+":"+s.Key] = true
		out = append(out, s)
	}
	return out, nil
}

// Combination is one point of a sweep: a value for each set.
type Combination []Assignment

// Assignment is one params value of a combination.
type Assignment struct {
	File  string `json:"file"`
	Key   string `json:"key"`
	Value string `json:"value"`
}

// combinations is the cartesian product of the sets' values, the first
// set varying slowest.
func combinations(sets []Set) []Combination {
	combos := []Combination{nil}
	for _, s := range sets {
		next := make([]Combination, 0, len(combos)*len(s.Values))
		for _, c := range combos {
			for _, v := range s.Values {
				next = append(next, append(slices.Clone(c), Assignment{File: s.File, Key: s.Key, Value: v}))
			}
		}
		combos = next
	}
	return combos
}

// name is a combination's experiment name: prefix, then key=value for each
// set, a key shortened to its last part when that is unambiguous.
func (c Combination) name(prefix string) string {
	last := map[string]int{}
	for _, a := range c {
		last[lastPart(a.Key)]++
	}
	parts := make([]string, 0, len(c))
	for _, a := range c {
		k := a.Key
		if last[lastPart(k)] == 1 {
			k = lastPart(k)
		}
		parts = append(parts, k+"="+refSafe(a.Value))
	}
	n := strings.Join(parts, ",")
	if prefix != "" {
		n = prefix + "-" + n
	}
	return n
}

func lastPart(key string) string { return key[strings.LastIndexByte(key, '.')+1:] }

// refSafe replaces what a ref name may not hold.
func refSafe(v string) string {
	var b strings.Builder
	for _, r := range v {
		if r <= ' ' || r == 0x7f || strings.ContainsRune(`~^:?*[\/@{}`, r) {
			r = '_'
		}
		b.WriteRune(r)
	}
	s := strings.ReplaceAll(b.String(), "..", "_.")
	s = strings.TrimSuffix(s, ".lock")
	if s == "" {
		s = "_"
	}
	return s
}

// Options tell Run what to sweep and how.
type Options struct {
	Sets []Set
	// Jobs is how many experiments compute at once.
	Jobs int
	// Prefix starts every experiment's name.
	Prefix string
	// Stderr receives the output of the stages, each line prefixed with
	// its experiment's name.
	Stderr io.Writer
	// Verbose prints a line when a stage starts and ends.
	Verbose bool
}

// Experiment is one computed (or failed) combination.
type Experiment struct {
	Name   string            `json:"name"`
	Ref    string            `json:"ref"`
	Commit string            `json:"commit"`
	Params []Assignment      `json:"params"`
	Result *workspace.Result `json:"result,omitempty"`
	Err    error             `json:"-"`
	Error  string            `json:"error,omitempty"`
}

// ErrInput marks an error in what was asked (a bad -S, an unknown
// experiment, a merge conflict in the working tree), which asking otherwise mends.
var ErrInput = errors.New("bad input")

type inputError struct{ error }

func (e inputError) Is(target error) bool { return target == ErrInput }
func (e inputError) Unwrap() error        { return e.error }

func inputf(format string, a ...any) error { return inputError{fmt.Errorf(format, a...)} }

// ErrFailed means an experiment failed; each says why.
var ErrFailed = errors.New("experiments failed")

// Run makes a commit of each combination of opts.Sets on HEAD, points
// refs/dds/exp/NAME at it, and computes it in a temporary worktree, up to
// opts.Jobs at once. The commit's tree is the working tree's tracked files
// (uncommitted and staged changes included, as git commit -a would take
// them) with the params set on top: a params file with uncommitted edits
// keeps them, and -S changes only its key. Untracked files are left out,
// with a warning naming them. Nothing of the user's branch, git's index or
// working tree changes. The experiments are returned even when some failed
// (ErrFailed); on an interruption every worktree is removed, and the refs
// made so far stay.
func Run(ctx context.Context, ws *workspace.Workspace, opts Options) ([]*Experiment, error) {
	repo := ws.Repo
	if len(opts.Sets) == 0 {
		return nil, inputf("nothing to sweep: give at least one -S KEY=VALUE[,VALUE...]")
	}
	_, base, err := repo.Head()
	if err != nil {
		return nil, fmt.Errorf("reading HEAD: %w", err)
	}
	scratch, err := ws.Store.TempDir()
	if err != nil {
		return nil, fmt.Errorf("making a temporary folder in the store: %w", err)
	}
	work, err := repo.SnapshotWorkingTree(ctx, scratch)
	if errors.Is(err, gitref.ErrUnmerged) {
		return nil, inputf("%w", err)
	} else if err != nil {
		return nil, err
	}
	if len(work.Untracked) > 0 {
		shown := work.Untracked[:min(len(work.Untracked), 3)]
		more := ""
		if len(work.Untracked) > 3 {
			more = fmt.Sprintf(" and %d more", len(work.Untracked)-3)
		}
		fmt.Fprintf(ws.Stderr, "git dds exp run: warning: untracked files are left out of the experiments: %s%s; git add those an experiment needs\n", strings.Join(shown, ", "), more)
	}
	tree, err := repo.TreeByID(work.Tree)
	if err != nil {
		return nil, err
	}
	p, err := namespace.LoadPipeline(repo, tree, false)
	if err != nil {
		return nil, err
	}
	sets, err := resolve(p, opts.Sets)
	if err != nil {
		return nil, err
	}
	originals := map[string][]byte{}
	for _, s := range sets {
		if _, ok := originals[s.File]; ok {
			continue
		}
		data, err := tree.ReadFile(s.File)
		if err != nil {
			return nil, fmt.Errorf("-S %s:%s: reading %s among the tracked files: %w; git add it first", s.File, s.Key, s.File, err)
		}
		originals[s.File] = data
	}
	// Worktrees a killed sweep left: their folders went with their
	// process's temporary folder, and git forgets them once pruned.
	if _, err := ws.Store.RemoveDeadTemps(); err != nil {
		fmt.Fprintf(ws.Stderr, "git dds: warning: %v\n", err)
	}
	if err := repo.PruneWorktrees(ctx); err != nil {
		return nil, err
	}

	listed, err := List(ctx, repo)
	if err != nil {
		return nil, err
	}
	existing := make(map[string]Info, len(listed))
	for _, in := range listed {
		existing[in.Ref] = in
	}
	var exps []*Experiment
	names := map[string]bool{}
	for _, c := range combinations(sets) {
		name := c.name(opts.Prefix)
		if names[name] {
			continue
		}
		names[name] = true
		ref := RefPrefix + name
		if !repo.CheckRefName(ctx, ref) {
			return nil, inputf("the experiment name %q is not a valid ref name; choose another --name", name)
		}
		files := map[string][]byte{}
		for _, a := range c {
			data, ok := files[a.File]
			if !ok {
				data = originals[a.File]
			}
			if files[a.File], err = SetParam(data, a.File, a.Key, a.Value); err != nil {
				return nil, inputf("-S %s:%s: %w", a.File, a.Key, err)
			}
		}
		msg := "git dds exp " + name + "\n\n"
		for _, a := range c {
			msg += fmt.Sprintf("%s:%s = %s\n", a.File, a.Key, a.Value)
		}
		if len(work.Changed) > 0 {
			msg += "\nIncludes the working tree's uncommitted changes to tracked files.\n"
		}
		commit, err := repo.CommitFiles(ctx, base, work.Tree, files, msg, scratch)
		if err != nil {
			return nil, err
		}
		if same, ok := existing[ref]; ok && same.Parent == base && sameTree(repo, same.Commit, commit) {
			// The same sweep again: the experiment keeps its commit, so
			// that a branch made of it or a push of it stays current.
			commit = same.Commit
		} else if err := repo.SetRef(ctx, ref, commit, ""); err != nil {
			return nil, err
		}
		exps = append(exps, &Experiment{Name: name, Ref: ref, Commit: commit, Params: c})
	}

	if err := reuseComputed(ctx, ws, exps); err != nil {
		return exps, err
	}
	var out sync.Mutex // one line at a time on opts.Stderr
	err = parallel.ForEach(ctx, len(exps), max(opts.Jobs, 1), func(ctx context.Context, i int) error {
		e := exps[i]
		if e.Result != nil {
			return nil
		}
		e.Result, e.Err = compute(ctx, ws, e, scratch, i, ui.NewPrefixWriter(opts.Stderr, &out, "["+e.Name+"] "), opts.Verbose)
		if e.Err != nil {
			e.Error = e.Err.Error()
		}
		return ctx.Err() // one failed experiment leaves the others to run
	})
	if err != nil {
		return exps, err
	}
	for _, e := range exps {
		if e.Err != nil {
			return exps, ErrFailed
		}
	}
	return exps, nil
}

// sameTree reports whether commits a and b have one tree.
func sameTree(repo *gitref.Repo, a, b string) bool {
	ta, errA := repo.TreeID(a)
	tb, errB := repo.TreeID(b)
	return errA == nil && errB == nil && ta == tb
}

// reuseComputed gives a Result to each experiment whose every stage this
// clone holds computed, whole: it needs no worktree, nothing would execute
// or be placed there. Running a sweep again then costs a look in the
// index. An experiment whose pipeline cannot be read is left to compute,
// which says why.
func reuseComputed(ctx context.Context, ws *workspace.Workspace, exps []*Experiment) error {
	loader := namespace.NewLoader(ws.Repo, ws.Env)
	views := make([]*namespace.View, len(exps))
	var all []*namespace.View
	for i, e := range exps {
		v, err := loader.Load(ctx, e.Commit)
		if err != nil {
			continue
		}
		views[i] = v
		all = append(all, v)
	}
	recs, err := ws.Computed(ctx, workspace.Computations(all...))
	if err != nil {
		return err
	}
	for i, v := range views {
		if v == nil {
			continue
		}
		res := &workspace.Result{Stages: make([]workspace.StageResult, 0, len(v.Stages))}
		for _, sv := range v.Stages {
			if recs[sv.Signature] == nil {
				res = nil
				break
			}
			res.Stages = append(res.Stages, workspace.StageResult{Name: sv.Stage.Name, Signature: sv.Signature, Action: workspace.Reused})
		}
		exps[i].Result = res
	}
	return nil
}

// compute runs e's commit in a worktree of its own under scratch, removed
// after, interrupted or not.
func compute(ctx context.Context, ws *workspace.Workspace, e *Experiment, scratch string, i int, stderr *ui.PrefixWriter, verbose bool) (res *workspace.Result, err error) {
	defer stderr.Flush()
	dir := filepath.Join(scratch, fmt.Sprintf("exp-%d", i))
	if err := ws.Repo.AddWorktree(ctx, dir, e.Commit); err != nil {
		return nil, err
	}
	defer func() {
		if rmErr := ws.Repo.RemoveWorktree(context.WithoutCancel(ctx), dir); rmErr != nil && err == nil {
			err = rmErr
		}
		_ = os.RemoveAll(dir)
	}()
	repo, err := gitref.Open(ctx, dir)
	if err != nil {
		return nil, err
	}
	sub := ws.ForWorktree(repo, stderr)
	defer func() {
		// Its notes would keep the experiment's objects from gc after
		// exp rm; the next run in the user's tree writes its own.
		if fErr := sub.ForgetPlaced(context.WithoutCancel(ctx)); fErr != nil && err == nil {
			err = fErr
		}
	}()
	view, err := namespace.Load(ctx, repo, namespace.WorktreeRev, sub.Env)
	if err != nil {
		return nil, err
	}
	return sub.Run(ctx, view, workspace.Options{Jobs: 1, Verbose: verbose})
}

// Info is an experiment as listed.
type Info struct {
	Name   string `json:"name"`
	Ref    string `json:"ref"`
	Commit string `json:"commit"`
	Parent string `json:"parent"`
	Time   int64  `json:"time"` // commit time, seconds since the epoch
}

// List gives every experiment of repo, oldest first.
func List(ctx context.Context, repo *gitref.Repo) ([]Info, error) {
	refs, err := repo.RefsInfo(ctx, strings.TrimSuffix(RefPrefix, "/"))
	if err != nil {
		return nil, err
	}
	infos := make([]Info, 0, len(refs))
	for _, r := range refs {
		infos = append(infos, Info{Name: strings.TrimPrefix(r.Name, RefPrefix), Ref: r.Name, Commit: r.Commit, Parent: r.Parent, Time: r.Time})
	}
	slices.SortStableFunc(infos, func(a, b Info) int {
		if a.Time != b.Time {
			return int(a.Time - b.Time)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return infos, nil
}

// Find gives the experiment called name.
func Find(ctx context.Context, repo *gitref.Repo, name string) (Info, error) {
	infos, err := List(ctx, repo)
	if err != nil {
		return Info{}, err
	}
	for _, in := range infos {
		if in.Name == name || in.Ref == name || Rev(in.Name) == name {
			return in, nil
		}
	}
	return Info{}, inputf("no experiment %q; git dds exp list lists them", name)
}

// Remove deletes the experiments named.
func Remove(ctx context.Context, repo *gitref.Repo, names []string) error {
	var infos []Info
	for _, n := range names {
		in, err := Find(ctx, repo, n)
		if err != nil {
			return err
		}
		infos = append(infos, in)
	}
	for _, in := range infos {
		if err := repo.DeleteRef(ctx, in.Ref); err != nil {
			return err
		}
	}
	return nil
}

// Branch makes the branch branch at the experiment name's commit. It
// refuses a branch that exists.
func Branch(ctx context.Context, repo *gitref.Repo, name, branch string) (Info, error) {
	in, err := Find(ctx, repo, name)
	if err != nil {
		return Info{}, err
	}
	ref := "refs/heads/" + branch
	if strings.HasPrefix(branch, "-") || !repo.CheckRefName(ctx, ref) {
		return Info{}, inputf("%q is not a valid branch name", branch)
	}
	if err := repo.SetRef(ctx, ref, in.Commit, strings.Repeat("0", 40)); err != nil {
		return Info{}, inputf("branch %s exists already, or could not be made (%w); choose another name", branch, err)
	}
	return in, nil
}

// GC removes every experiment but those named in keep, and, when
// olderThan is above 0, only those whose commit is older than that at
// now. It gives the experiments removed.
func GC(ctx context.Context, repo *gitref.Repo, keep []string, olderThan time.Duration, now time.Time) ([]Info, error) {
	for _, k := range keep {
		if _, err := Find(ctx, repo, k); err != nil {
			return nil, fmt.Errorf("--keep: %w", err)
		}
	}
	infos, err := List(ctx, repo)
	if err != nil {
		return nil, err
	}
	var removed []Info
	for _, in := range infos {
		if slices.Contains(keep, in.Name) || slices.Contains(keep, in.Ref) || slices.Contains(keep, Rev(in.Name)) {
			continue
		}
		if olderThan > 0 && now.Sub(time.Unix(in.Time, 0)) < olderThan {
			continue
		}
		if err := repo.DeleteRef(ctx, in.Ref); err != nil {
			return removed, err
		}
		removed = append(removed, in)
	}
	return removed, nil
}
