package workspace

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gofrs/flock"
	"github.com/google/renameio/v2"

	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/store"
)

// The markers of a working tree's block in info/exclude; the worktree's
// name goes between prefix and suffix.
const (
	excludeBeginPrefix = "# >>> git dds outputs of worktree "
	excludeBeginSuffix = ": managed by git dds from dds.yaml, edits are replaced >>>"
	excludeEndPrefix   = "# <<< git dds outputs of worktree "
	excludeEndSuffix   = " <<<"
)

// ExcludePath is the repository's info/exclude, where git dds lists the
// outputs: the file git reads for every worktree, never tracked, so that no
// switch, merge or git add -A ever meets a change git dds made.
func (w *Workspace) ExcludePath() string {
	return filepath.Join(w.Repo.CommonDir, "info", "exclude")
}

// excludeName names this working tree in info/exclude, which linked
// worktrees share: "." for the main one, worktrees/NAME for a linked one,
// both relative to the common git directory so that moving the repository
// keeps the names.
func (w *Workspace) excludeName() string {
	rel, err := filepath.Rel(w.Repo.CommonDir, w.Repo.GitDir)
	if err != nil || strings.HasPrefix(rel, "..") || strings.ContainsAny(rel, "\n\r") {
		return w.worktreeKey()
	}
	return filepath.ToSlash(rel)
}

// SyncExclude keeps this working tree's marked block of info/exclude
// listing every output and every pinned file (see PinnedFiles), so that
// they never show up as untracked files.
func (w *Workspace) SyncExclude(ctx context.Context, outs []string) error {
	return w.syncExcludeOf(ctx, nil, outs)
}

// syncExcludeOf is SyncExclude, finding the pinned files in view's
// overlay when view is the working tree's (see pinFilesOf).
func (w *Workspace) syncExcludeOf(ctx context.Context, view *namespace.View, outs []string) error {
	pinned, _, err := w.pinnedFilesOf(ctx, view)
	if err != nil {
		return err
	}
	return w.writeExclude(slices.Concat(outs, pinnedPaths(pinned)))
}

// writeExclude keeps this working tree's marked block of info/exclude
// listing outs.
// Every other line, the user's and other worktrees' blocks, is kept byte for
// byte, except the blocks of linked worktrees that no longer exist. It
// writes only when something changed.
func (w *Workspace) writeExclude(outs []string) error {
	path := w.ExcludePath()
	gone := func(name string) bool {
		if name == "." || !strings.HasPrefix(name, "worktrees/") {
			return false
		}
		_, err := os.Stat(filepath.Join(w.Repo.CommonDir, filepath.FromSlash(name)))
		return errors.Is(err, fs.ErrNotExist)
	}
	old, updated, err := w.excludeUpdate(path, outs, gone)
	if err != nil || updated == old {
		return err
	}
	// Worktrees share the file: a hook in one must not drop the block
	// another is writing. The lock is taken only to write, and the file is
	// read again under it.
	dir := filepath.Join(w.Dir, "locks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	// Not followed if planted as a symbolic link in a shared store.
	lock := flock.New(filepath.Join(dir, "exclude.lock"), flock.SetFlag(os.O_CREATE|os.O_RDONLY|noFollow))
	if err := lock.Lock(); err != nil {
		return fmt.Errorf("locking %s: %w", lock.Path(), err)
	}
	defer lock.Unlock()
	if old, updated, err = w.excludeUpdate(path, outs, gone); err != nil || updated == old {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating the folder of %s: %w", path, err)
	}
	if err := renameio.WriteFile(path, []byte(updated), 0o644); err != nil {
		return fmt.Errorf("updating %s: %w", path, err)
	}
	return nil
}

// excludeUpdate reads info/exclude and gives it with this working tree's
// block listing outs.
func (w *Workspace) excludeUpdate(path string, outs []string, gone func(string) bool) (old, updated string, err error) {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", "", fmt.Errorf("reading %s: %w", path, err)
	}
	return string(data), withExcludeBlock(string(data), w.excludeName(), outs, gone), nil
}

// withExcludeBlock returns content with worktree name's block replaced (or
// appended) by one listing outs, anchored at the root; no outputs, no
// block. The blocks of the worktrees gone says are dropped.
func withExcludeBlock(content, name string, outs []string, gone func(name string) bool) string {
	var kept strings.Builder
	rest := content
	for rest != "" {
		line, after, _ := strings.Cut(rest, "\n")
		if other, ok := blockName(line); ok && (other == name || gone(other)) {
			// A block ends at its end line, before any other block begins:
			// a begin line with no end is the user's.
			end := excludeEndPrefix + other + excludeEndSuffix
			i := strings.Index(after, end)
			next := strings.Index(after, excludeBeginPrefix)
			if i >= 0 && (next < 0 || next > i) {
				rest = strings.TrimPrefix(after[i+len(end):], "\n")
				continue
			}
		}
		kept.WriteString(line)
		if len(after) < len(rest)-len(line) {
			kept.WriteByte('\n')
		}
		rest = after
	}
	out := kept.String()
	if len(outs) == 0 {
		return out
	}
	if out != "" && !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	var block strings.Builder
	block.WriteString(excludeBeginPrefix + name + excludeBeginSuffix + "\n")
	// Materialization builds next to the destination under this name; a
	// crash must not leave it showing as an untracked file.
	block.WriteString(store.WorkTreeTempGlob + "\n")
	for _, o := range outs {
		block.WriteString("/" + escapeIgnore(o) + "\n")
	}
	block.WriteString(excludeEndPrefix + name + excludeEndSuffix + "\n")
	return out + block.String()
}

// blockName reads the worktree name of a block's first line.
func blockName(line string) (string, bool) {
	rest, ok := strings.CutPrefix(line, excludeBeginPrefix)
	if !ok {
		return "", false
	}
	return strings.CutSuffix(rest, excludeBeginSuffix)
}

// escapeIgnore quotes the characters gitignore patterns give meaning to, so
// an output path matches itself only.
func escapeIgnore(p string) string {
	var b strings.Builder
	for _, r := range p {
		switch r {
		case '*', '?', '[', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	s := b.String()
	if strings.HasSuffix(s, " ") {
		s = s[:len(s)-1] + "\\ "
	}
	return s
}
