package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
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
// lead out of the repository), an output tracked by git (outputs are
// git-ignored), and a dep or params file that git does not track, unless the
// dep is another stage's output.
func (p *Pipeline) Validate(root string, tracked func(path string) (bool, error)) error {
	for _, s := range p.Stages {
		pos := p.positions[s.Name]
		if s.Wdir != "" {
			if err := p.checkNoSymlink(root, s.Wdir, false, pos.wdir,
				fmt.Sprintf("wdir %s of stage %q", s.Wdir, s.Name), "a stage runs inside the repository"); err != nil {
				return err
			}
		}
		for i, out := range s.Outs {
			what := fmt.Sprintf("output %s of stage %q", out, s.Name)
			if err := p.checkNoSymlink(root, out, true, pos.outs[i], what, "outputs must stay inside the repository"); err != nil {
				return err
			}
			isTracked, err := tracked(out)
			if err != nil {
				return fmt.Errorf("checking whether %s is tracked by git: %w", out, err)
			}
			if isTracked {
				return p.errorAt(pos.outs[i], what+" is tracked by git",
					"outputs are git-ignored: run git rm --cached -r "+shellQuote(out))
			}
		}
		for i, dep := range s.Deps {
			if _, produced := p.producerOf(dep); produced {
				continue
			}
			if err := p.checkTracked(root, dep, tracked, pos.deps[i], fmt.Sprintf("dep %s of stage %q", dep, s.Name)); err != nil {
				return err
			}
		}
		for _, params := range s.Params {
			if err := p.checkTracked(root, params.File, tracked, pos.params[params.File],
				fmt.Sprintf("params file %s of stage %q", params.File, s.Name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkNoSymlink refuses rel when one of the folders leading to it, or rel
// itself unless parentsOnly, is a symlink. It stops at the first part that
// does not exist (the stage will create the rest) or is not a folder.
func (p *Pipeline) checkNoSymlink(root, rel string, parentsOnly bool, at position, what, rule string) error {
	parts := strings.Split(rel, "/")
	if parentsOnly {
		parts = parts[:len(parts)-1]
	}
	for i := range parts {
		part := strings.Join(parts[:i+1], "/")
		full := filepath.Join(root, filepath.FromSlash(part))
		info, err := os.Lstat(full)
		if errors.Is(err, fs.ErrNotExist) {
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
			return p.errorAt(at, fmt.Sprintf("%s goes through the symlink %s -> %s", what, part, target),
				rule+": replace the symlink with a folder")
		}
		if !info.IsDir() {
			return nil
		}
	}
	return nil
}

// checkTracked refuses rel, a dep or params file, when git does not track it:
// signatures are computed from git trees, so an untracked input would not
// count.
func (p *Pipeline) checkTracked(root, rel string, tracked func(string) (bool, error), at position, what string) error {
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
		return p.errorAt(at, what+" does not exist", "fix the path, or create it and git add "+shellQuote(rel))
	case err != nil:
		return fmt.Errorf("looking for %s: %w", rel, err)
	}
	return p.errorAt(at, what+" is not tracked by git", "run git add "+shellQuote(rel))
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
