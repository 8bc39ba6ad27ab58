package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// Validate makes the checks that need the repository. root is the absolute
// repository root; tracked reports whether a path is a file or folder that
// git tracks in the tree being evaluated. A problem in dds.yaml is an *Error
// pointing at the item; a failure to look is returned wrapped.
//
// It refuses a wdir or an output reached through a symlinked folder (it could
// lead out of the repository), an output tracked by git or holding a
// tracked file (outputs are git-ignored, and run deletes them), an output
// folder that is a git repository, and a dep or params file that git does
// not track, unless the dep is another stage's output.
func (p *Pipeline) Validate(root string, tracked func(path string) (bool, error)) error {
	// Folders already found to be folders, not symlinks (true), or where
	// the walk down stops (false: absent, or a file): outputs share a few,
	// and a large pipeline would stat them once per output otherwise.
	folders := make(map[string]bool)
	for _, s := range p.Stages {
		pos := p.positions[s.Name]
		if s.Wdir != "" {
			if err := p.checkNoSymlink(root, s.Wdir, false, folders, pos.wdir,
				item{"wdir", s.Wdir, s.Name}, "a stage runs inside the repository"); err != nil {
				return err
			}
		}
		for i, out := range s.Outs {
			what := item{"output", out, s.Name}
			if err := p.checkNoSymlink(root, out, true, folders, pos.outs[i], what, "outputs must stay inside the repository"); err != nil {
				return err
			}
			isTracked, err := tracked(out)
			if err != nil {
				return fmt.Errorf("checking whether %s is tracked by git: %w", out, err)
			}
			if isTracked {
				return p.errorAt(pos.outs[i], what.String()+" is tracked by git",
					"outputs are git-ignored: run git rm --cached -r "+shellQuote(out))
			}
			// A nested repository, a submodule's or a worktree's checkout:
			// run would delete it, history and all. Only the output's own
			// top is looked at, so that no command walks a large output.
			dotGit := out + "/.git"
			if dir := path.Dir(out); dir != "." && !folders[dir] {
				// A folder above the output is absent or a file, as
				// checkNoSymlink found: nothing is under the output.
				continue
			}
			if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(dotGit))); err == nil {
				return p.errorAt(pos.outs[i], fmt.Sprintf("%v holds a git repository (%s)", what, dotGit),
					"git dds run deletes an output before its stage runs: choose another path")
			} else if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
				return fmt.Errorf("looking for %s: %w", dotGit, err)
			}
		}
		for i, dep := range s.Deps {
			if _, produced := p.producerOf(dep); produced {
				continue
			}
			if err := p.checkTracked(root, dep, tracked, pos.deps[i], item{"dep", dep, s.Name}); err != nil {
				return err
			}
		}
		for i, params := range s.Params {
			if err := p.checkTracked(root, params.File, tracked, pos.params[i], item{"params file", params.File, s.Name}); err != nil {
				return err
			}
		}
	}
	return nil
}

// item names a path of a stage in a message, such as `dep data/ of stage
// "clean"`; it is formatted only when there is something to say.
type item struct{ kind, path, stage string }

func (i item) String() string { return fmt.Sprintf("%s %s of stage %q", i.kind, i.path, i.stage) }

// checkNoSymlink refuses rel when one of the folders leading to it, or rel
// itself unless parentsOnly, is a symlink. It stops at the first part that
// does not exist (the stage will create the rest) or is not a folder.
// folders holds the parts known to be folders, and learns those it finds.
func (p *Pipeline) checkNoSymlink(root, rel string, parentsOnly bool, folders map[string]bool, at position, what item, rule string) error {
	parts := strings.Split(rel, "/")
	if parentsOnly {
		parts = parts[:len(parts)-1]
	}
	for i := range parts {
		part := strings.Join(parts[:i+1], "/")
		if isFolder, known := folders[part]; known {
			if !isFolder {
				return nil
			}
			continue
		}
		full := filepath.Join(root, filepath.FromSlash(part))
		info, err := os.Lstat(full)
		if errors.Is(err, fs.ErrNotExist) {
			folders[part] = false
			return nil
		}
		if err != nil {
			return fmt.Errorf("checking %s for symlinks: %w", rel, err)
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(full)
			if err != nil {
				return fmt.Errorf("reading symlink %s: %w", part, err)
			}
			return p.errorAt(at, fmt.Sprintf("%v goes through the symlink %s -> %s", what, part, target),
				rule+": replace the symlink with a folder")
		}
		if !info.IsDir() {
			folders[part] = false
			return nil
		}
		folders[part] = true
	}
	return nil
}

// checkTracked refuses rel, a dep or params file, when git does not track it:
// signatures are computed from git trees, so an untracked input would not
// count.
func (p *Pipeline) checkTracked(root, rel string, tracked func(string) (bool, error), at position, what item) error {
	isTracked, err := tracked(rel)
	if err != nil {
		return fmt.Errorf("checking whether %s is tracked by git: %w", rel, err)
	}
	if isTracked {
		return nil
	}
	_, err = os.Lstat(filepath.Join(root, filepath.FromSlash(rel)))
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return p.errorAt(at, what.String()+" does not exist", "fix the path, or create it and git add "+shellQuote(rel))
	case err != nil:
		return fmt.Errorf("looking for %s: %w", rel, err)
	}
	return p.errorAt(at, what.String()+" is not tracked by git", "run git add "+shellQuote(rel))
}

// shellQuote makes a path safe to paste into a suggested command.
func shellQuote(path string) string {
	safe := func(r rune) bool {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("/._-+", r)
	}
	if !strings.ContainsFunc(path, func(r rune) bool { return !safe(r) }) {
		return path
	}
	return "'" + strings.ReplaceAll(path, "'", `'\''`) + "'"
}
