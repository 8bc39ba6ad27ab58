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
	c := parseConfigList(t.stdout.Bytes())
	for key := range c.values {
		if err := checkTeamKey(key); err != nil {
			return gitConfig{}, err
		}
	}
	return c, nil
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

// perClone are the dds settings that describe one clone or one machine,
// with why they are not shared.
var perClone = map[string]string{
	"dds.dir":         "it is a folder on one machine, and would point every clone's store wherever the file says",
	"dds.link":        "whether outputs are hard links into the store is each clone's choice, with its risks (docs/config.md)",
	"dds.fsync":       "whether to flush to disk depends on each machine's disk",
	"dds.locktimeout": "how long to wait for the index depends on each machine",
}

// checkTeamKey admits the settings a team shares: its remotes, the
// default remote, the lease's lifetime and what the hooks do.
func checkTeamKey(key string) error {
	if why, ok := perClone[key]; ok {
		return fmt.Errorf("%w: %s is a setting of one clone, not of the team: %s; remove it from %s and set it with git config %s in the clones that want it", ErrTeamConfig, key, why, TeamConfigFile, key)
	}
	switch key {
	case "dds.remote", "dds.leaseseconds", "dds.prepush", "dds.autopull":
		return nil
	}
	if rest, ok := strings.CutPrefix(key, "dds.remote."); ok {
		name, setting, ok := cutLast(rest)
		if ok && name != "" && (setting == "url" || setting == "endpoint" || setting == "region") {
			return nil
		}
	}
	if !strings.HasPrefix(key, "dds.") {
		return fmt.Errorf("%w: %s is not a git dds setting; git dds reads only dds.* settings from %s (the team's remotes, dds.remote, dds.leaseSeconds, dds.prepush, dds.autopull): remove it", ErrTeamConfig, key, TeamConfigFile)
	}
	return fmt.Errorf("%w: %s is not a setting git dds reads from %s; it reads dds.remote.NAME.url, .endpoint and .region, dds.remote, dds.leaseSeconds, dds.prepush and dds.autopull there: remove it", ErrTeamConfig, key, TeamConfigFile)
}

func cutLast(s string) (before, after string, ok bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// addBelow adds the settings of team that c does not set: every source of
// git config wins over the team's file, key by key.
func (c *gitConfig) addBelow(team gitConfig) {
	for key, v := range team.values {
		if _, ok := c.values[key]; ok {
			continue
		}
		c.values[key] = v
		if c.fromTeam == nil {
			c.fromTeam = map[string]bool{}
		}
		c.fromTeam[key] = true
	}
}
