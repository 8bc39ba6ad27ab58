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
func (o *Overlay) Untracked(dirs []string) ([]string, error) {
	base, err := o.repo.baseIgnorePatterns()
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ignoreFiles = map[string][]gitignore.Pattern{}
	o.ignoreFirst = map[gitignore.Pattern]string{}
	o.ignoreRelevant = map[relevantKey][]gitignore.Pattern{}
	o.ignoreDown = map[string]ignoreResult{}
	found := make(map[string]bool)
	for _, d := range dirs {
		dir, err := cleanPath(d)
		if err != nil {
			return nil, err
		}
		if !o.isRealDir(dir) {
			continue
		}
		patterns, ignored, err := o.patternsDownTo(dir, base)
		if err != nil {
			return nil, err
		}
		if ignored {
			continue
		}
		if err := o.walkUntracked(dir, patterns, found); err != nil {
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

// patternsDownTo reads the .gitignore files of the root and each folder
// down to dir, and reports whether one of those folders is ignored itself:
// git does not look inside an ignored folder.
func (o *Overlay) patternsDownTo(dir string, base []gitignore.Pattern) ([]gitignore.Pattern, bool, error) {
	if r, ok := o.ignoreDown[dir]; ok {
		return r.patterns, r.ignored, nil
	}
	// Many dep folders share their parents: each prefix is worked out once.
	patterns := base
	if dir != "" {
		parent, _ := splitPath(dir)
		up, ignored, err := o.patternsDownTo(parent, base)
		if err != nil || ignored {
			return nil, ignored, err
		}
		parts := strings.Split(dir, "/")
		if gitignore.NewMatcher(o.relevant(up, parts[0])).Match(parts, true) {
			o.ignoreDown[dir] = ignoreResult{ignored: true}
			return nil, true, nil
		}
		patterns = up
	}
	var domain []string
	if dir != "" {
		domain = strings.Split(dir, "/")
	}
	more, err := o.ignoreFile(dir, domain)
	if err != nil {
		return nil, false, err
	}
	patterns = append(slices.Clip(patterns), more...)
	o.ignoreDown[dir] = ignoreResult{patterns: patterns}
	return patterns, false, nil
}

// ignoreResult is what patternsDownTo found for one folder.
type ignoreResult struct {
	patterns []gitignore.Pattern
	ignored  bool
}

// ignoreFile reads a folder's .gitignore once per overlay.
func (o *Overlay) ignoreFile(dir string, domain []string) ([]gitignore.Pattern, error) {
	if p, ok := o.ignoreFiles[dir]; ok {
		return p, nil
	}
	p, err := readIgnoreFile(filepath.Join(o.abs(dir), ".gitignore"), domain, o.ignoreFirst)
	if err != nil {
		return nil, err
	}
	o.ignoreFiles[dir] = p
	return p, nil
}

// walkUntracked adds the untracked, not ignored files under dir to found;
// patterns already hold dir's own .gitignore.
func (o *Overlay) walkUntracked(dir string, patterns []gitignore.Pattern, found map[string]bool) error {
	if err := o.ctx.Err(); err != nil {
		return err
	}
	entries, err := os.ReadDir(o.abs(dir))
	if isMissing(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("listing %s: %w", displayPath(dir), err)
	}
	var domain []string
	if dir != "" {
		domain = strings.Split(dir, "/")
	}
	top := ""
	if len(domain) > 0 {
		top = domain[0]
	}
	matcher := gitignore.NewMatcher(o.relevant(patterns, top))
	for _, entry := range entries {
		name := entry.Name()
		if name == ".git" {
			continue
		}
		p := joinPath(dir, name)
		parts := append(slices.Clip(domain), name)
		if !entry.IsDir() {
			if _, tracked := o.index.entries[p]; !tracked && !matcher.Match(parts, false) {
				found[p] = true
			}
			continue
		}
		if e, tracked := o.index.entries[p]; tracked && e.mode == filemode.Submodule {
			continue
		}
		if matcher.Match(parts, true) || fileExists(filepath.Join(o.abs(p), ".git")) {
			continue
		}
		more, err := o.ignoreFile(p, parts)
		if err != nil {
			return err
		}
		if err := o.walkUntracked(p, append(slices.Clip(patterns), more...), found); err != nil {
			return err
		}
	}
	return nil
}

// baseIgnorePatterns are the patterns that apply before any .gitignore, in
// rising priority: the system and user excludes files, then the
// repository's info/exclude.
func (r *Repo) baseIgnorePatterns() ([]gitignore.Pattern, error) {
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
		if user, err = readIgnoreFile(userIgnoreFile(), nil, nil); err != nil {
			return nil, err
		}
	}
	exclude, err := readIgnoreFile(filepath.Join(r.CommonDir, "info", "exclude"), nil, nil)
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
func (o *Overlay) relevant(patterns []gitignore.Pattern, top string) []gitignore.Pattern {
	if top == "" || len(patterns) == 0 {
		return patterns
	}
	key := relevantKey{first: &patterns[0], n: len(patterns), top: top}
	if kept, ok := o.ignoreRelevant[key]; ok {
		return kept
	}
	kept := make([]gitignore.Pattern, 0, len(patterns))
	for _, p := range patterns {
		if first, ok := o.ignoreFirst[p]; !ok || first == top {
			kept = append(kept, p)
		}
	}
	o.ignoreRelevant[key] = kept
	return kept
}

// relevantKey names one pattern list (they are never modified once made)
// and a first component.
type relevantKey struct {
	first *gitignore.Pattern
	n     int
	top   string
}
