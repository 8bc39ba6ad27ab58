package gitref

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// Untracked lists the files under dirs (repository-relative folders) that
// git does not track and does not ignore, sorted. It walks only those
// folders. Nested repositories are skipped, as git status shows them as a
// folder rather than files.
//
// It takes the overlay's lock only to ask which folders are real, so that
// look-ups can go on while it walks.
func (o *Overlay) Untracked(dirs []string) ([]string, error) {
	w := &untrackedWalk{
		o:              o,
		ignoreFiles:    map[string][]gitignore.Pattern{},
		ignoreFirst:    map[gitignore.Pattern]string{},
		ignoreRelevant: map[relevantKey][]gitignore.Pattern{},
		ignoreDown:     map[string]ignoreResult{},
	}
	base, err := o.repo.baseIgnorePatterns(w.ignoreFirst)
	if err != nil {
		return nil, err
	}
	found := make(map[string]bool)
	for _, d := range dirs {
		dir, err := cleanPath(d)
		if err != nil {
			return nil, err
		}
		o.mu.Lock()
		isDir := o.isRealDir(dir)
		o.mu.Unlock()
		if !isDir {
			continue
		}
		above, ignored, err := w.patternsAbove(dir, base)
		if err != nil {
			return nil, err
		}
		if ignored {
			continue
		}
		if err := w.walk(dir, above, found); err != nil {
			return nil, err
		}
	}
	untracked := make([]string, 0, len(found))
	for p := range found {
		untracked = append(untracked, p)
	}
	sort.Strings(untracked)
	return untracked, nil
}

// untrackedWalk is one Untracked call. Its maps remember the .gitignore of
// each folder and the patterns that apply down to it.
type untrackedWalk struct {
	o              *Overlay
	ignoreFiles    map[string][]gitignore.Pattern
	ignoreDown     map[string]ignoreResult
	ignoreFirst    map[gitignore.Pattern]string // see firstComponent
	ignoreRelevant map[relevantKey][]gitignore.Pattern
	// spare holds listings of folders walked already, for the next ones
	// to list into: a walk lists thousands of folders, and each listing
	// grown anew was the largest thing a large status allocated.
	spare []dirListing
}

// patternsDownTo reads the .gitignore files of the root and each folder
// down to dir, and reports whether one of those folders is ignored itself:
// git does not look inside an ignored folder.
func (w *untrackedWalk) patternsDownTo(dir string, base []gitignore.Pattern) ([]gitignore.Pattern, bool, error) {
	if r, ok := w.ignoreDown[dir]; ok {
		return r.patterns, r.ignored, nil
	}
	// Many dep folders share their parents: each prefix is worked out once.
	up, ignored, err := w.patternsAbove(dir, base)
	if err != nil {
		return nil, false, err
	}
	if ignored {
		w.ignoreDown[dir] = ignoreResult{ignored: true}
		return nil, true, nil
	}
	more, err := w.ignoreFile(dir, domainOf(dir))
	if err != nil {
		return nil, false, err
	}
	patterns := append(slices.Clip(up), more...)
	w.ignoreDown[dir] = ignoreResult{patterns: patterns}
	return patterns, false, nil
}

// patternsAbove is patternsDownTo without dir's own .gitignore, which the
// walk of dir reads if its listing holds one.
func (w *untrackedWalk) patternsAbove(dir string, base []gitignore.Pattern) ([]gitignore.Pattern, bool, error) {
	if dir == "" {
		return base, false, nil
	}
	up, ignored, err := w.patternsDownTo(parentDir(dir), base)
	if err != nil || ignored {
		return nil, ignored, err
	}
	parts := strings.Split(dir, "/")
	if gitignore.NewMatcher(w.relevant(up, parts[0])).Match(parts, true) {
		return nil, true, nil
	}
	return up, false, nil
}

// domainOf is a folder's path as the components gitignore patterns take.
func domainOf(dir string) []string {
	if dir == "" {
		return nil
	}
	return strings.Split(dir, "/")
}

// ignoreResult is what patternsDownTo found for one folder.
type ignoreResult struct {
	patterns []gitignore.Pattern
	ignored  bool
}

// ignoreFile reads a folder's .gitignore once per walk.
func (w *untrackedWalk) ignoreFile(dir string, domain []string) ([]gitignore.Pattern, error) {
	if p, ok := w.ignoreFiles[dir]; ok {
		return p, nil
	}
	p, err := readIgnoreFile(filepath.Join(w.o.abs(dir), ".gitignore"), domain, w.ignoreFirst)
	if err != nil {
		return nil, err
	}
	w.ignoreFiles[dir] = p
	return p, nil
}

// walk adds the untracked, not ignored files under dir to found; above are
// the patterns of the folders above dir.
func (w *untrackedWalk) walk(dir string, above []gitignore.Pattern, found map[string]bool) error {
	o := w.o
	if err := o.ctx.Err(); err != nil {
		return err
	}
	var room dirListing
	if n := len(w.spare); n > 0 {
		room, w.spare = w.spare[n-1], w.spare[:n-1]
	}
	listing, err := listDir(o.abs(dir), room)
	// The names are done with once this folder is: nothing kept from it
	// shares their bytes (see the path p below).
	defer func() { w.spare = append(w.spare, listing) }()
	if isMissing(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("listing %s: %w", displayPath(dir), err)
	}
	domain := domainOf(dir)
	// Most folders have no .gitignore: the listing says whether to open one.
	var own []gitignore.Pattern
	hasIgnoreFile := false
	for i := range listing.ents {
		if listing.name(i) == ".gitignore" {
			hasIgnoreFile = true
			break
		}
	}
	if hasIgnoreFile {
		if own, err = w.ignoreFile(dir, domain); err != nil {
			return err
		}
	}
	patterns := append(slices.Clip(above), own...)
	top := ""
	if len(domain) > 0 {
		top = domain[0]
	}
	matcher := gitignore.NewMatcher(w.relevant(patterns, top))
	// Most entries are tracked files: look them up without building their
	// path as a string.
	var key []byte
	if dir != "" {
		key = append([]byte(dir), '/')
	}
	prefix := len(key)
	lo, hi := o.index.under(dir)
	for i, entry := range listing.ents {
		name := listing.name(i)
		if name == ".git" {
			continue
		}
		key = append(key[:prefix], name...)
		e, tracked := o.index.entryIn(lo, hi, string(key))
		if !entry.isDir && tracked || tracked && e.mode == filemode.Submodule {
			continue
		}
		p := dir + "/" + name // a new string: name's bytes are reused
		if dir == "" {
			p = strings.Clone(name)
		}
		parts := append(slices.Clip(domain), name)
		if !entry.isDir {
			if !matcher.Match(parts, false) {
				found[p] = true
			}
			continue
		}
		if matcher.Match(parts, true) || fileExists(filepath.Join(o.abs(p), ".git")) {
			continue
		}
		if err := w.walk(p, patterns, found); err != nil {
			return err
		}
	}
	return nil
}

// baseIgnorePatterns are the patterns that apply before any .gitignore, in
// rising priority: the system and user excludes files, then the
// repository's info/exclude. firsts learns the firstComponent of the
// lines of the files read here: info/exclude lists every output of the
// pipeline, anchored, and without it each of those lines would be matched
// against every dep folder.
func (r *Repo) baseIgnorePatterns(firsts map[gitignore.Pattern]string) ([]gitignore.Pattern, error) {
	root := osfs.New("/")
	var system []gitignore.Pattern
	if nosystem, _ := strconv.ParseBool(os.Getenv("GIT_CONFIG_NOSYSTEM")); !nosystem {
		var err error
		if system, err = gitignore.LoadSystemPatterns(root); err != nil {
			return nil, fmt.Errorf("reading the system excludes file: %w", err)
		}
	}
	user, err := gitignore.LoadGlobalPatterns(root)
	if err != nil {
		return nil, fmt.Errorf("reading the user excludes file (core.excludesFile): %w", err)
	}
	if user == nil {
		if user, err = readIgnoreFile(userIgnoreFile(), nil, firsts); err != nil {
			return nil, err
		}
	}
	exclude, err := readIgnoreFile(filepath.Join(r.CommonDir, "info", "exclude"), nil, firsts)
	if err != nil {
		return nil, err
	}
	return slices.Concat(system, user, exclude), nil
}

// userIgnoreFile is git's default core.excludesFile.
func userIgnoreFile() string {
	if xdg := os.Getenv("XDG_CONFIG_HOME"); xdg != "" {
		return filepath.Join(xdg, "git", "ignore")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".config", "git", "ignore")
}

// readIgnoreFile parses one gitignore file whose patterns apply under
// domain; a missing file has none. firsts, when not nil, learns each
// pattern's firstComponent.
func readIgnoreFile(path string, domain []string, firsts map[gitignore.Pattern]string) ([]gitignore.Pattern, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if isMissing(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading ignore patterns: %w", err)
	}
	defer f.Close()
	var patterns []gitignore.Pattern
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := strings.TrimSuffix(scanner.Text(), "\r")
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		pattern := gitignore.ParsePattern(line, domain)
		if first := firstComponent(line, domain); first != "" && firsts != nil {
			firsts[pattern] = first
		}
		patterns = append(patterns, pattern)
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("reading ignore patterns from %s: %w", path, err)
	}
	return patterns, nil
}

// firstComponent is the first path component of every path a .gitignore
// line can match, or "" when it can match under any folder. Patterns of a
// nested .gitignore only match inside its folder; a root line anchored by a
// slash only matches under its first component. Knowing it lets a walk skip
// the many anchored lines that name other folders, such as the outputs
// git dds lists in the root .gitignore.
func firstComponent(line string, domain []string) string {
	if len(domain) > 0 {
		return domain[0]
	}
	line = strings.TrimPrefix(strings.TrimSpace(line), "!")
	body := strings.TrimSuffix(line, "/")
	if !strings.Contains(body, "/") {
		return "" // unanchored: matches at any depth
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(body, "/"), "/")
	if first == "" || strings.ContainsAny(first, "*?[\\") {
		return ""
	}
	return first
}

// relevant keeps, in order, the patterns that can match a path whose first
// component is top (all of them when top is ""). Sibling folders share
// their parent's list, so each filtering is done once.
func (w *untrackedWalk) relevant(patterns []gitignore.Pattern, top string) []gitignore.Pattern {
	if top == "" || len(patterns) == 0 {
		return patterns
	}
	key := relevantKey{first: &patterns[0], n: len(patterns), top: top}
	if kept, ok := w.ignoreRelevant[key]; ok {
		return kept
	}
	kept := make([]gitignore.Pattern, 0, len(patterns))
	for _, p := range patterns {
		if first, ok := w.ignoreFirst[p]; !ok || first == top {
			kept = append(kept, p)
		}
	}
	w.ignoreRelevant[key] = kept
	return kept
}

// relevantKey names one pattern list (they are never modified once made)
// and a first component.
type relevantKey struct {
	first *gitignore.Pattern
	n     int
	top   string
}
