package gitref

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// TeamConfigFile is the committed file, at the root of the working tree,
// that gives every clone the team's dds.* settings, as Git LFS's
// .lfsconfig does for lfs.* settings.
const TeamConfigFile = ".ddsconfig"

// maxTeamConfig bounds the file: a few remotes take a few hundred bytes,
// and the file comes with whatever a clone checks out.
const maxTeamConfig = 64 << 10

// ErrTeamConfig marks a .ddsconfig that cannot be used.
var ErrTeamConfig = errors.New("bad " + TeamConfigFile)

// teamConfigRead is a read of .ddsconfig under way: git config runs
// beside the git rev-parse that finds the repository, so that the file
// costs no time when git dds starts at the root of the working tree, as
// hooks and most commands do.
type teamConfigRead struct {
	dir            string // the folder whose .ddsconfig is read
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	err            error // a file that cannot be read at all
}

// startTeamConfig starts reading the .ddsconfig of dir; nil when there is
// no such file.
func startTeamConfig(ctx context.Context, dir string) *teamConfigRead {
	p := filepath.Join(dir, TeamConfigFile)
	info, err := os.Lstat(p)
	t := &teamConfigRead{dir: dir}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		t.err = fmt.Errorf("%w: %w", ErrTeamConfig, err)
	case info.Mode()&fs.ModeSymlink != 0:
		t.err = fmt.Errorf("%w: %s is a symbolic link; git dds reads the team's settings from a regular file only, since a link may point at a file outside the repository: replace it with the file itself", ErrTeamConfig, TeamConfigFile)
	case !info.Mode().IsRegular():
		t.err = fmt.Errorf("%w: %s is not a regular file; git dds reads the team's settings from it: make it a file in git config syntax, or remove it", ErrTeamConfig, TeamConfigFile)
	case info.Size() > maxTeamConfig:
		t.err = fmt.Errorf("%w: %s is %d bytes, more than the %d git dds reads; it holds dds.* settings only", ErrTeamConfig, TeamConfigFile, info.Size(), maxTeamConfig)
	default:
		// git config --file follows no include.
		t.cmd = exec.CommandContext(ctx, "git", "config", "--file", TeamConfigFile, "--list", "-z")
		t.cmd.Dir = dir
		t.cmd.Stdout, t.cmd.Stderr = &t.stdout, &t.stderr
		if err := t.cmd.Start(); err != nil {
			t.err = fmt.Errorf("%w: reading %s: %w", ErrTeamConfig, TeamConfigFile, err)
			t.cmd = nil
		}
	}
	return t
}

// wait gives the settings read; a nil t gives none.
func (t *teamConfigRead) wait() (gitConfig, error) {
	if t == nil {
		return gitConfig{}, nil
	}
	if t.cmd != nil {
		if err := t.cmd.Wait(); err != nil && t.err == nil {
			t.err = fmt.Errorf("%w: git config cannot read %s: %s; fix its syntax (git config --file %s --list shows what git reads)", ErrTeamConfig, TeamConfigFile, strings.TrimSpace(t.stderr.String()), TeamConfigFile)
		}
		t.cmd = nil
	}
	if t.err != nil {
		return gitConfig{}, t.err
	}
	return parseConfigList(t.stdout.Bytes()), nil
}

// readTeamConfig reads .ddsconfig from the working tree at root, using
// early, the read started in the folder git dds started in, when that is
// root. A file that is not there (not checked out, or no such file) gives
// no settings.
func readTeamConfig(ctx context.Context, early *teamConfigRead, root string) (gitConfig, error) {
	if early != nil && early.dir == root {
		return early.wait()
	}
	if early != nil {
		_, _ = early.wait()
	}
	return startTeamConfig(ctx, root).wait()
}
