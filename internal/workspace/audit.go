package workspace

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/git-dds/git-dds/internal/audit"
	"github.com/git-dds/git-dds/internal/config"
	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/ui"
)

// ErrUndeclaredReads is a stage that, audited strictly, read files its
// signature does not cover.
var ErrUndeclaredReads = errors.New("it read files its signature does not cover")

// findTracer is the tracer of an audited run, or nil (with one line
// saying why) when no back end works here: an audit never fails a run
// for want of a tracer. verbose names the back end.
func (w *Workspace) findTracer(ctx context.Context, mode config.Audit, verbose bool) audit.Tracer {
	if mode == config.AuditOff || mode == "" {
		return nil
	}
	t, err := audit.Find(ctx, string(w.Settings.AuditTracer.Value))
	if err != nil {
		fmt.Fprintf(w.Stderr, "git dds: %v; stages run without it\n", err)
		return nil
	}
	if verbose {
		fmt.Fprintf(w.Stderr, "git dds: audit: traced by %s\n", t.Name())
	}
	return t
}

// auditReads sorts what a stage's command read into what its signature
// covers and what it does not, and says each read it does not cover. The
// result is what the record keeps.
func (w *Workspace) auditReads(st *pipeline.Stage, p *pipeline.Pipeline, tree *gitref.Overlay, obs *audit.Observed, verbose bool) *signature.Audit {
	roots := []string{filepath.Clean(w.Repo.Root)}
	if real, err := filepath.EvalSymlinks(w.Repo.Root); err == nil && real != roots[0] {
		roots = append(roots, real)
	}
	wrote := map[string]bool{}
	for _, f := range obs.Writes {
		wrote[f] = true
	}
	a := &signature.Audit{}
	var outside []string
	seen := map[string]bool{}
	for _, abs := range slices.Concat(obs.Reads, obs.Execs) {
		rel, inside := repoRelative(roots, abs)
		if !inside {
			if !seen[abs] {
				seen[abs] = true
				outside = append(outside, abs)
			}
			continue
		}
		if src, compiled := pythonSource(rel); compiled {
			// A valid cache is read instead of its source, which Python
			// only stats: the source is what the stage depends on.
			if !tree.Tracked(src) && !exists(filepath.Join(w.Repo.Root, filepath.FromSlash(src))) {
				continue
			}
			rel = src
		}
		if seen[rel] || ignoredRead(rel, w.Dir, roots) || covers(st, rel) {
			continue
		}
		seen[rel] = true
		u := signature.Undeclared{Path: rel}
		if producer, ok := p.Producer(rel); ok {
			u.Kind, u.Stage = signature.UndeclaredOutput, producer.Name
		} else if tree.Tracked(rel) {
			u.Kind = signature.UndeclaredTracked
		} else if wrote[abs] {
			// A scratch file the command wrote and read back.
			continue
		} else {
			u.Kind = signature.UndeclaredUntracked
		}
		if len(a.Undeclared) == signature.MaxUndeclared {
			a.Omitted++
			continue
		}
		a.Undeclared = append(a.Undeclared, u)
	}
	a.Outside = len(outside)
	slices.SortFunc(a.Undeclared, func(x, y signature.Undeclared) int { return cmp.Compare(x.Path, y.Path) })
	for _, u := range a.Undeclared {
		fmt.Fprintf(w.Stderr, "git dds: audit: %s\n", describeUndeclared(st, u))
	}
	if a.Omitted > 0 {
		fmt.Fprintf(w.Stderr, "git dds: audit: stage %s read %s more that it does not declare\n", st.Name, ui.Count(a.Omitted, "file"))
	}
	if obs.Dropped > 0 {
		fmt.Fprintf(w.Stderr, "git dds: audit: stage %s opened over %d distinct files: %d were not looked at\n", st.Name, audit.MaxPaths, obs.Dropped)
	}
	if verbose {
		w.summarizeOutside(st, outside, obs.Execs)
	}
	return a
}

// describeUndeclared says what is wrong with one undeclared read, and what
// to do.
func describeUndeclared(st *pipeline.Stage, u signature.Undeclared) string {
	where := fmt.Sprintf("%s:%d", pipeline.FileName, st.Line)
	switch u.Kind {
	case signature.UndeclaredOutput:
		return fmt.Sprintf("error: stage %s read %s, an output of stage %s that it does not declare: %s may run before %s, and its signature misses it; add \"- %s\" to the deps: of %s (%s)",
			st.Name, u.Path, u.Stage, st.Name, u.Stage, u.Path, st.Name, where)
	case signature.UndeclaredTracked:
		return fmt.Sprintf("warning: stage %s read %s, which it does not declare: a change to it would not make %s stale; add \"- %s\" to the deps: of %s (%s)",
			st.Name, u.Path, st.Name, u.Path, st.Name, where)
	default:
		return fmt.Sprintf("warning: stage %s read %s, which git does not track: no signature can cover it: track it (git add, and declare it in deps:) or stop reading it",
			st.Name, u.Path)
	}
}

// summarizeOutside says how many files outside the repository a stage
// read, by the folders that hold the most, and which programs it ran.
func (w *Workspace) summarizeOutside(st *pipeline.Stage, outside, execs []string) {
	if len(outside) == 0 {
		return
	}
	byDir := map[string]int{}
	for _, p := range outside {
		byDir[topFolder(p)]++
	}
	dirs := make([]string, 0, len(byDir))
	for d := range byDir {
		dirs = append(dirs, d)
	}
	slices.SortFunc(dirs, func(a, b string) int { return cmp.Or(byDir[b]-byDir[a], cmp.Compare(a, b)) })
	const shown = 5
	var parts []string
	for _, d := range dirs[:min(shown, len(dirs))] {
		parts = append(parts, fmt.Sprintf("%s (%d)", d, byDir[d]))
	}
	fmt.Fprintf(w.Stderr, "git dds: audit: stage %s read %s outside the repository: %s\n", st.Name, ui.Count(len(outside), "file"), strings.Join(parts, ", "))
	if len(execs) > 0 {
		const programs = 10
		more := ""
		if len(execs) > programs {
			more = fmt.Sprintf(" and %d more", len(execs)-programs)
		}
		fmt.Fprintf(w.Stderr, "git dds: audit: stage %s ran %s%s\n", st.Name, strings.Join(execs[:min(programs, len(execs))], ", "), more)
	}
}

// topFolder is the folder three levels down that holds p (/usr/lib/python3),
// or p's folder when it is shallower.
func topFolder(p string) string {
	parts := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 4)
	if len(parts) > 3 {
		parts = parts[:3]
	} else {
		parts = parts[:len(parts)-1]
	}
	return "/" + strings.Join(parts, "/")
}

// pythonSource is the module a file of a __pycache__ folder was compiled
// from (src/__pycache__/util.cpython-311.pyc is src/util.py).
func pythonSource(rel string) (string, bool) {
	dir, name := path.Split(rel)
	parent, ok := strings.CutSuffix(dir, "__pycache__/")
	if !ok || (parent != "" && !strings.HasSuffix(parent, "/")) || !strings.HasSuffix(name, ".pyc") {
		return "", false
	}
	module, _, _ := strings.Cut(name, ".")
	if module == "" {
		return "", false
	}
	return parent + module + ".py", true
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// repoRelative turns an absolute path into one relative to the repository
// root (under any of its spellings), when it lies inside.
func repoRelative(roots []string, abs string) (string, bool) {
	for _, root := range roots {
		if rel, ok := strings.CutPrefix(abs, root+"/"); ok && rel != "" {
			return filepath.ToSlash(rel), true
		}
	}
	return "", false
}

// ignoredRead admits the reads inside the repository that no dep could
// declare: git's own folder (of the repository or a nested one), the
// pipeline file, and git dds's own folder when dds.dir puts it inside.
func ignoredRead(rel, ddsDir string, roots []string) bool {
	if rel == pipeline.FileName || signature.CheckOutputPath(rel) != nil {
		return true
	}
	if d, inside := repoRelative(roots, filepath.Clean(ddsDir)); inside {
		return rel == d || strings.HasPrefix(rel, d+"/")
	}
	return false
}

// covers reports whether the signature of st reads path (repository
// relative): a dep, a file under a dep folder, a params file, or one of
// the stage's own outputs.
func covers(st *pipeline.Stage, path string) bool {
	under := func(p string) bool { return path == p || strings.HasPrefix(path, p+"/") }
	return slices.ContainsFunc(st.Reads(), under) || slices.ContainsFunc(st.Outs, under)
}

// stillUndeclared is what a record's audit names that st still does not
// cover: a read since declared is no longer news.
func stillUndeclared(st *pipeline.Stage, rec *signature.Record) []signature.Undeclared {
	if rec == nil || rec.Audit == nil {
		return nil
	}
	var left []signature.Undeclared
	for _, u := range rec.Audit.Undeclared {
		if !covers(st, u.Path) {
			left = append(left, u)
		}
	}
	return left
}
