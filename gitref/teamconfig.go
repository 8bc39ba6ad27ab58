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
	"slices"
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

// readTeamConfig reads .ddsconfig from the working tree at root, through
// git config --file, which follows no include. A file that is not there
// (not checked out, or no such file) gives no settings.
func readTeamConfig(ctx context.Context, root string) (gitConfig, error) {
	p := filepath.Join(root, TeamConfigFile)
	info, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return gitConfig{}, nil
	case err != nil:
		return gitConfig{}, fmt.Errorf("%w: %w", ErrTeamConfig, err)
	case info.Mode()&fs.ModeSymlink != 0:
		return gitConfig{}, fmt.Errorf("%w: %s is a symbolic link; git dds reads the team's settings from a regular file only, since a link may point at a file outside the repository: replace it with the file itself", ErrTeamConfig, TeamConfigFile)
	case !info.Mode().IsRegular():
		return gitConfig{}, fmt.Errorf("%w: %s is not a regular file; git dds reads the team's settings from it: make it a file in git config syntax, or remove it", ErrTeamConfig, TeamConfigFile)
	case info.Size() > maxTeamConfig:
		return gitConfig{}, fmt.Errorf("%w: %s is %d bytes, more than the %d git dds reads; it holds dds.* settings only", ErrTeamConfig, TeamConfigFile, info.Size(), maxTeamConfig)
	}
	cmd := exec.CommandContext(ctx, "git", "config", "--file", TeamConfigFile, "--list", "-z")
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return gitConfig{}, fmt.Errorf("%w: git config cannot read %s: %s; fix its syntax (git config --file %s --list shows what git reads)", ErrTeamConfig, TeamConfigFile, strings.TrimSpace(stderr.String()), TeamConfigFile)
	}
	c := parseConfigList(stdout.Bytes())
	for key := range c.values {
		if err := checkTeamKey(key); err != nil {
			return gitConfig{}, err
		}
	}
	return c, nil
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
		return fmt.Errorf("%w: %s: %s is a setting of one clone, not of the team: %s; remove it from %s and set it with git config %s in the clones that want it", ErrTeamConfig, TeamConfigFile, key, why, TeamConfigFile, key)
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
		return fmt.Errorf("%w: %s: %s is not a git dds setting; git dds reads only dds.* settings from %s (the team's remotes, dds.remote, dds.leaseSeconds, dds.prepush, dds.autopull): remove it", ErrTeamConfig, TeamConfigFile, key, TeamConfigFile)
	}
	return fmt.Errorf("%w: %s: %s is not a setting git dds reads from %s; it reads dds.remote.NAME.url, .endpoint and .region, dds.remote, dds.leaseSeconds, dds.prepush and dds.autopull there: remove it", ErrTeamConfig, TeamConfigFile, key, TeamConfigFile)
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
	for section, subs := range team.subsections {
		for _, sub := range subs {
			if !slices.Contains(c.subsections[section], sub) {
				c.subsections[section] = append(c.subsections[section], sub)
			}
		}
	}
}

// ConfigSource names where the value of section.key comes from, for
// messages: "git config" or ".ddsconfig".
func (r *Repo) ConfigSource(section, key string) string {
	sub := ""
	if i := strings.IndexByte(section, '.'); i >= 0 {
		section, sub = section[:i], section[i:]
	}
	if r.config.fromTeam[strings.ToLower(section)+sub+"."+strings.ToLower(key)] {
		return TeamConfigFile
	}
	return "git config"
}
