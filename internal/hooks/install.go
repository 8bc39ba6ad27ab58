package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/renameio/v2"
)

// Repo is what Install and Uninstall need from a repository.
type Repo interface {
	// Git runs git with args in the repository's working tree and returns
	// its standard output.
	Git(ctx context.Context, args ...string) ([]byte, error)
	// StateDir is a folder shared by all worktrees of the repository (such
	// as .git/dds) where Install records what it found.
	StateDir() string
}

// InstallOptions changes how Install treats what it finds.
type InstallOptions struct {
	// Force rewrites a hook that carries the git dds marker but is not the
	// script git dds writes: one edited by hand, left half-written, or
	// written by a newer git dds. The hook it chains is kept.
	Force bool
}

// Action is what Install or Uninstall did with one hook.
type Action string

// The actions a Report lists.
const (
	// Installed: there was no hook; git dds wrote its own.
	Installed Action = "installed"
	// Chained: the user's hook was kept whole as NAME.dds-chained and the
	// git dds hook runs it first.
	Chained Action = "chained"
	// Upgraded: a hook written by an earlier git dds was replaced by the
	// current script; the hook it chains is kept.
	Upgraded Action = "upgraded"
	// Rewritten: a damaged git dds hook was written again.
	Rewritten Action = "rewritten"
	// AlreadyInstalled: the hook is exactly what git dds writes.
	AlreadyInstalled Action = "already installed"
	// Restored: the user's hook is back in its place, as it was.
	Restored Action = "restored"
	// Removed: the git dds hook is gone and there was nothing to restore.
	Removed Action = "removed"
	// LeftAlone: git dds changed nothing; the note says why.
	LeftAlone Action = "left alone"
)

// HookReport tells what happened to one hook.
type HookReport struct {
	Name   string `json:"name"`
	Action Action `json:"action"`
	// Chained is the file, in the hooks folder, holding the hook found at
	// install, which the installed hook runs first; empty when none.
	Chained string `json:"chained,omitempty"`
	// Note says why a hook was left alone, or what else the user should
	// know about it.
	Note string `json:"note,omitempty"`
}

func (h HookReport) String() string {
	s := h.Name + ": " + string(h.Action)
	if h.Chained != "" && h.Action != Restored {
		s += " (runs " + h.Chained + " first)"
	}
	if h.Note != "" {
		s += "; " + h.Note
	}
	return s
}

// Report lists what Install or Uninstall did, hook by hook.
type Report struct {
	HooksDir string       `json:"hooks_dir"`
	Hooks    []HookReport `json:"hooks"`
}

// HooksDir returns the absolute path of the folder git runs hooks from:
// core.hooksPath when set (a relative one is relative to the top of the
// working tree), else the hooks folder of the repository, which linked
// worktrees share.
func HooksDir(ctx context.Context, repo Repo) (string, error) {
	out, err := repo.Git(ctx, "rev-parse", "--path-format=absolute", "--git-path", "hooks")
	if err != nil {
		return "", fmt.Errorf("finding the hooks folder: %w", err)
	}
	dir := strings.TrimSpace(string(out))
	if !filepath.IsAbs(dir) {
		return "", fmt.Errorf("finding the hooks folder: git rev-parse answered %q, not an absolute path; git 2.31 or later is needed", dir)
	}
	return filepath.Clean(dir), nil
}

// Install writes the git dds hooks into the folder git runs hooks from,
// keeping each hook already there whole, under NAME.dds-chained, for the
// new hook to run first. It records what it found in repo.StateDir(). On
// error, the report lists the hooks handled before it.
func Install(ctx context.Context, repo Repo, opts InstallOptions) (*Report, error) {
	dir, err := HooksDir(ctx, repo)
	if err != nil {
		return nil, err
	}
	if err := checkOutsideTree(ctx, repo, dir); err != nil {
		return nil, err
	}
	prev, err := loadState(repo.StateDir())
	if err != nil {
		return nil, err
	}
	if prev != nil && !sameDir(prev.HooksDir, dir) {
		holds, err := holdsOurHooks(prev.HooksDir)
		if err != nil {
			return nil, err
		}
		// A record that names the folder by its absolute path (from an
		// earlier git dds) still names the original after the repository
		// was copied; the copy's own folder then holds our hooks too, and
		// installing there leaves nothing behind that was not there.
		here, err := holdsOurHooks(dir)
		if err != nil {
			return nil, err
		}
		if holds && !here {
			return nil, fmt.Errorf("git dds hooks are installed in %s, but git now runs hooks from %s (core.hooksPath changed); run git dds uninstall, which restores %s, then git dds install", prev.HooksDir, dir, prev.HooksDir)
		}
		prev = nil
	}

	// Starting from the previous record keeps what it says of hooks not
	// reached if this run stops on an error.
	next := &state{HooksDir: dir, Hooks: make(map[string]hookState)}
	if prev != nil {
		next.CreatedHooksDir = prev.CreatedHooksDir
		maps.Copy(next.Hooks, prev.Hooks)
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return nil, fmt.Errorf("creating the hooks folder: %w", err)
		}
		next.CreatedHooksDir = true
	}

	report := &Report{HooksDir: dir}
	var installErr error
	for _, name := range Names() {
		if installErr = ctx.Err(); installErr != nil {
			break
		}
		var prevHook *hookState
		if h, ok := next.Hooks[name]; ok {
			prevHook = &h
		}
		var hr HookReport
		var rec *hookState
		hr, rec, installErr = installHook(dir, name, prevHook, opts)
		if installErr != nil {
			break
		}
		report.Hooks = append(report.Hooks, hr)
		if rec != nil {
			next.Hooks[name] = *rec
		} else {
			delete(next.Hooks, name)
		}
	}

	var stateErr error
	if len(next.Hooks) > 0 {
		stateErr = saveState(repo.StateDir(), next)
	} else {
		stateErr = removeState(repo.StateDir())
	}
	return report, errors.Join(installErr, stateErr)
}

// ErrHooksInTree is a hooks folder (core.hooksPath) where installing would
// show in git status: git dds refuses to write there.
var ErrHooksInTree = errors.New("the hooks folder is part of the working tree")

// checkOutsideTree refuses a hooks folder of the working tree that holds
// tracked files: a team shares its hooks there (husky v5 to v8's .husky/),
// and installing would change tracked hooks and add untracked files beside
// them, a dirty tree git refuses to switch branches over, and files git add
// -A would hand the team. Such a team calls git dds from its hooks instead.
// A folder git does not track (ignored, or the user's own) takes the hooks.
func checkOutsideTree(ctx context.Context, repo Repo, dir string) error {
	out, err := repo.Git(ctx, "rev-parse", "--path-format=absolute", "--show-toplevel", "--git-dir", "--git-common-dir")
	if err != nil {
		return fmt.Errorf("finding the working tree: %w", err)
	}
	fields := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(fields) != 3 {
		return fmt.Errorf("finding the working tree: git rev-parse answered %q; git 2.31 or later is needed", out)
	}
	top, gitDir, commonDir := realPath(fields[0]), realPath(fields[1]), realPath(fields[2])
	hooks := realPath(dir)
	rel, ok := inside(top, hooks)
	if !ok {
		return nil
	}
	if _, ok := inside(gitDir, hooks); ok {
		return nil
	}
	if _, ok := inside(commonDir, hooks); ok {
		return nil
	}

	spec := ":(top,literal)" + filepath.ToSlash(rel)
	if rel == "." {
		spec = ":/" // the whole tree: a literal "." names nothing
	}
	out, err = repo.Git(ctx, "ls-files", "-z", "--full-name", "--", spec)
	if err != nil {
		return fmt.Errorf("listing the tracked files of %s: %w", dir, err)
	}
	tracked := nulFields(out)
	if len(tracked) == 0 {
		return nil
	}
	what := fmt.Sprintf("git tracks %s there, so installing would change tracked files or add untracked ones beside them",
		strings.Join(tracked[:min(2, len(tracked))], ", ")+more(len(tracked)-2))
	names := Names()
	relDir := filepath.ToSlash(rel)
	return fmt.Errorf("%w: git runs hooks from %s (core.hooksPath), a folder of the working tree, and %s; git would then refuse to switch branches over the dirty tree, so nothing was installed. "+
		"Call git dds from the hooks that folder holds instead: add to %s/%s the line git-dds hook %s \"$@\", likewise for %s, and commit them; "+
		"or point core.hooksPath at a folder outside the working tree, or one git ignores, and run git dds install again (see docs/hooks.md, core.hooksPath)",
		ErrHooksInTree, relDir, what, relDir, names[0], names[0], strings.Join(names[1:], ", "))
}

// more says how many items a shortened list leaves out.
func more(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(" and %d more", n)
}

// inside returns the slash path of p relative to dir, when p is dir or
// lies under it.
func inside(dir, p string) (string, bool) {
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", false
	}
	return rel, true
}

// realPath resolves the symlinks of the longest part of p that exists, so
// that paths compare whatever link led to them (the hooks folder may not
// exist yet).
func realPath(p string) string {
	p = filepath.Clean(p)
	var rest []string
	for {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(append([]string{real}, rest...)...)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return filepath.Join(append([]string{p}, rest...)...)
		}
		rest = append([]string{filepath.Base(p)}, rest...)
		p = parent
	}
}

func nulFields(out []byte) []string {
	var fields []string
	for f := range strings.SplitSeq(string(out), "\x00") {
		if f != "" {
			fields = append(fields, f)
		}
	}
	return fields
}

// installHook puts the git dds hook in place of one hook, and returns what
// it did and the record to keep (nil when the hook is not ours).
func installHook(dir, name string, prev *hookState, opts InstallOptions) (HookReport, *hookState, error) {
	hr := HookReport{Name: name}
	cur, err := inspect(filepath.Join(dir, name))
	if err != nil {
		return hr, nil, err
	}
	chained, err := inspect(filepath.Join(dir, chainedName(name)))
	if err != nil {
		return hr, nil, err
	}
	if chained.exists {
		hr.Chained = chainedName(name)
	}
	if chained.exists && !chained.isFile() {
		hr.Action, hr.Note = LeftAlone, fmt.Sprintf("%s is not a file; move it away and run git dds install again", chainedName(name))
		return hr, prev, nil
	}

	want := script(name)
	rewrite := func(action Action, note string) (HookReport, *hookState, error) {
		if err := writeScript(cur.path, want); err != nil {
			return hr, nil, err
		}
		hr.Action, hr.Note = action, joinNotes(note, notRunNote(chained))
		return hr, record(want, chained, prev), nil
	}

	version, ours := cur.ours()
	switch {
	case !cur.exists:
		if chained.exists {
			return rewrite(Chained, "kept by an earlier install")
		}
		return rewrite(Installed, "")

	case !cur.isFile():
		hr.Action, hr.Note = LeftAlone, "not a file; move it away and run git dds install again"
		return hr, nil, nil

	case ours && version < scriptVersion:
		return rewrite(Upgraded, fmt.Sprintf("from hook v%d", version))

	case ours && bytes.Equal(cur.content, want) && cur.executable:
		hr.Action, hr.Note = AlreadyInstalled, notRunNote(chained)
		return hr, record(want, chained, prev), nil

	case ours && bytes.Equal(cur.content, want):
		return rewrite(Rewritten, "it was not executable")

	case ours && opts.Force:
		return rewrite(Rewritten, "it carried the git dds marker but not the script git dds writes")

	case ours && version > scriptVersion:
		hr.Action, hr.Note = LeftAlone, fmt.Sprintf("written by a newer git dds (hook v%d); use that version, or git dds install --force to write this one", version)
		return hr, prev, nil

	case ours:
		hr.Action, hr.Note = LeftAlone, "it carries the git dds marker but is not the script git dds writes (edited, or half-written); git dds install --force rewrites it"
		return hr, prev, nil

	case chained.exists && cur.sameAs(chained):
		// Something (a hook manager reinstalling, say) put the chained hook
		// back in place: nothing is lost by writing ours over it.
		return rewrite(Chained, "it had been put back in place of the git dds hook")

	case chained.exists:
		hr.Action, hr.Note = LeftAlone, fmt.Sprintf("it replaced the git dds hook after install, and %s still holds the hook chained then; keep one of the two (merge them if both matter), delete the other, and run git dds install again", chainedName(name))
		return hr, nil, nil
	}

	// A hook of the user's, or of a hook manager: keep it whole, under a
	// name git does not run, for ours to call.
	chained, err = cur.renameTo(filepath.Join(dir, chainedName(name)))
	if err != nil {
		return hr, nil, err
	}
	hr.Chained = chainedName(name)
	if err := writeScript(cur.path, want); err != nil {
		if undoErr := os.Rename(chained.path, cur.path); undoErr != nil {
			return hr, nil, fmt.Errorf("%w; your hook is safe as %s: rename it back to %s", errors.Join(err, undoErr), chained.path, name)
		}
		return hr, nil, err
	}
	hr.Action, hr.Note = Chained, notRunNote(chained)
	return hr, record(want, chained, nil), nil
}

// record is the state of an installed hook. What Install found at its
// first run stays recorded through later runs.
func record(written []byte, chained hookFile, prev *hookState) *hookState {
	rec := &hookState{Written: sha256Hex(written)}
	if prev != nil && prev.Chained != "" && chained.exists {
		rec.Chained, rec.ChainedMode, rec.ChainedSHA256 = prev.Chained, prev.ChainedMode, prev.ChainedSHA256
	} else if chained.exists {
		rec.Chained = filepath.Base(chained.path)
		rec.ChainedMode = chained.mode.String()
		rec.ChainedSHA256 = sha256Hex(chained.content)
	}
	return rec
}

// notRunNote warns about a chained hook git would not run.
func notRunNote(chained hookFile) string {
	if !chained.exists || chained.executable {
		return ""
	}
	return fmt.Sprintf("%s is not executable, so git did not run it and git dds does not either; chmod +x it to run it", filepath.Base(chained.path))
}

func joinNotes(notes ...string) string {
	var kept []string
	for _, n := range notes {
		if n != "" {
			kept = append(kept, n)
		}
	}
	return strings.Join(kept, "; ")
}

// Uninstall removes the git dds hooks from the folder they were installed
// in, putting back each hook that was there before, byte for byte and with
// its mode. A git dds hook edited since install is left in place and named
// in the report. On error, the report lists the hooks handled before it.
func Uninstall(ctx context.Context, repo Repo) (*Report, error) {
	st, err := loadState(repo.StateDir())
	if err != nil {
		return nil, err
	}
	if st == nil {
		// Lost or never written: the hooks folder git uses now still shows
		// which hooks are ours and what they chain.
		dir, err := HooksDir(ctx, repo)
		if err != nil {
			return nil, err
		}
		st = &state{HooksDir: dir}
	}

	report := &Report{HooksDir: st.HooksDir}
	for _, name := range Names() {
		if err := ctx.Err(); err != nil {
			return report, err
		}
		var rec *hookState
		if h, ok := st.Hooks[name]; ok {
			rec = &h
		}
		hr, err := uninstallHook(st.HooksDir, name, rec)
		if err != nil {
			return report, err
		}
		if hr.Action != "" {
			report.Hooks = append(report.Hooks, hr)
		}
	}

	if st.CreatedHooksDir {
		// Only if empty: the user may have added hooks since.
		_ = os.Remove(st.HooksDir)
	}
	return report, removeState(repo.StateDir())
}

// uninstallHook undoes the install of one hook. The report has no action
// when there was nothing of git dds's there.
func uninstallHook(dir, name string, rec *hookState) (HookReport, error) {
	hr := HookReport{Name: name}
	cur, err := inspect(filepath.Join(dir, name))
	if err != nil {
		return hr, err
	}
	chained, err := inspect(filepath.Join(dir, chainedName(name)))
	if err != nil {
		return hr, err
	}
	if chained.exists {
		hr.Chained = chainedName(name)
	}
	_, ours := cur.ours()

	switch {
	case ours && !unedited(cur.content, name, rec):
		hr.Action = LeftAlone
		hr.Note = "edited since git dds install: it has lines git dds did not write; delete the git dds lines by hand"
		if chained.exists && chained.isFile() {
			hr.Note += fmt.Sprintf(", and %s, the hook found at install, is still beside it", chainedName(name))
		}
		return hr, nil

	case (ours || !cur.exists) && chained.exists && chained.isFile():
		if err := os.Rename(chained.path, cur.path); err != nil {
			return hr, fmt.Errorf("restoring hook %s: %w", name, err)
		}
		hr.Action = Restored
		if rec != nil && rec.ChainedSHA256 != "" && (rec.ChainedSHA256 != sha256Hex(chained.content) || rec.ChainedMode != chained.mode.String()) {
			hr.Note = fmt.Sprintf("with the changes made to %s since install", chainedName(name))
		}
		return hr, nil

	case ours:
		if err := os.Remove(cur.path); err != nil {
			return hr, fmt.Errorf("removing hook %s: %w", name, err)
		}
		hr.Action = Removed
		return hr, nil

	case chained.exists:
		hr.Action = LeftAlone
		hr.Note = fmt.Sprintf("it is not the git dds hook, and %s, the hook found at install, is still beside it; keep one of the two and delete the other", chainedName(name))
		return hr, nil
	}
	return hr, nil
}

// unedited reports whether a hook carrying our marker holds nothing the
// user wrote, so that removing it loses nothing.
func unedited(content []byte, name string, rec *hookState) bool {
	return bytes.Equal(content, script(name)) ||
		(rec != nil && rec.Written == sha256Hex(content)) ||
		onlyOurLines(content, name)
}

// holdsOurHooks reports whether a hooks folder still has a hook git dds
// wrote or one it chained.
func holdsOurHooks(dir string) (bool, error) {
	for _, name := range Names() {
		for _, file := range []string{name, chainedName(name)} {
			f, err := inspect(filepath.Join(dir, file))
			if err != nil {
				return false, err
			}
			if _, ours := f.ours(); ours || (file != name && f.exists) {
				return true, nil
			}
		}
	}
	return false, nil
}

// sameDir reports whether two paths name the same folder.
func sameDir(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	infoA, errA := os.Stat(a)
	infoB, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(infoA, infoB)
}

// hookFile is what one path of the hooks folder holds.
type hookFile struct {
	path   string
	exists bool
	// mode comes from Lstat: a symlinked hook is kept as the symlink.
	mode fs.FileMode
	// content is a file's bytes, or a symlink's target.
	content []byte
	// executable tells whether git would run it.
	executable bool
}

func inspect(path string) (hookFile, error) {
	f := hookFile{path: path}
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("reading hook %s: %w", path, err)
	}
	f.exists, f.mode = true, info.Mode()
	switch {
	case f.mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return f, fmt.Errorf("reading hook %s: %w", path, err)
		}
		f.content = []byte(target)
	case f.mode.IsRegular():
		if f.content, err = os.ReadFile(path); err != nil {
			return f, fmt.Errorf("reading hook %s: %w", path, err)
		}
	}
	if target, err := os.Stat(path); err == nil {
		f.executable = target.Mode().IsRegular() && target.Mode().Perm()&0o111 != 0
	}
	return f, nil
}

// isFile reports whether the hook is something git could run: a file or a
// symlink (possibly dangling), not a folder.
func (f hookFile) isFile() bool {
	return f.exists && (f.mode.IsRegular() || f.mode&fs.ModeSymlink != 0)
}

// ours reports whether git dds wrote the file, and in which version.
func (f hookFile) ours() (version int, ok bool) {
	if !f.mode.IsRegular() {
		return 0, false
	}
	return markerVersion(f.content)
}

func (f hookFile) sameAs(g hookFile) bool {
	return f.mode == g.mode && bytes.Equal(f.content, g.content)
}

// renameTo moves the hook, which keeps its bytes, mode and inode.
func (f hookFile) renameTo(path string) (hookFile, error) {
	if err := os.Rename(f.path, path); err != nil {
		return hookFile{}, fmt.Errorf("keeping hook %s as %s: %w", f.path, filepath.Base(path), err)
	}
	f.path = path
	return f, nil
}

// writeScript replaces the hook atomically, executable whatever the mode
// of the file it replaces (renameio.WriteFile would keep that mode).
func writeScript(path string, content []byte) error {
	pending, err := renameio.NewPendingFile(path, renameio.WithPermissions(0o755))
	if err != nil {
		return fmt.Errorf("writing hook %s: %w", path, err)
	}
	defer pending.Cleanup()
	if _, err := pending.Write(content); err != nil {
		return fmt.Errorf("writing hook %s: %w", path, err)
	}
	if err := pending.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("writing hook %s: %w", path, err)
	}
	return nil
}
