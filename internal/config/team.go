package config

import (
	"fmt"
	"strings"

	"github.com/git-dds/git-dds/internal/gitref"
)

// perClone are the dds settings that describe one clone or one machine,
// with why they are not shared.
var perClone = map[string]string{
	"dds.dir":         "it is a folder on one machine, and would point every clone's store wherever the file says",
	"dds.link":        "whether outputs are hard links into the store is each clone's choice, with its risks (docs/config.md)",
	"dds.fsync":       "whether to flush to disk depends on each machine's disk",
	"dds.locktimeout": "how long to wait for the index depends on each machine",
	"dds.publish":     "publishing is for the one clone that speaks for a branch (its CI, a release machine): every clone publishing its own merges, pushed or not, would move the views readers use",
}

// checkTeamKey admits the settings a team shares: its remotes, the
// default remote, the lease's lifetime and what the hooks do.
func checkTeamKey(key string) error {
	if why, ok := perClone[key]; ok {
		return fmt.Errorf("%w: %s is a setting of one clone, not of the team: %s; remove it from %s and set it with git config %s in the clones that want it", gitref.ErrTeamConfig, key, why, gitref.TeamConfigFile, key)
	}
	switch key {
	case "dds.remote", "dds.leaseseconds", "dds.prepush", "dds.autopull", "dds.audit",
		"dds.lake", "dds.lakeendpoint", "dds.lakeregion":
		return nil
	}
	if rest, ok := strings.CutPrefix(key, "dds.remote."); ok {
		name, setting, ok := cutLast(rest)
		if ok && name != "" && (setting == "url" || setting == "endpoint" || setting == "region") {
			return nil
		}
	}
	if !strings.HasPrefix(key, "dds.") {
		return fmt.Errorf("%w: %s is not a git dds setting; git dds reads only dds.* settings from %s (the team's remotes, dds.remote, dds.leaseSeconds, dds.prepush, dds.autopull, dds.audit, dds.lake, dds.lakeEndpoint, dds.lakeRegion): remove it", gitref.ErrTeamConfig, key, gitref.TeamConfigFile)
	}
	return fmt.Errorf("%w: %s is not a setting git dds reads from %s; it reads dds.remote.NAME.url, .endpoint and .region, dds.remote, dds.leaseSeconds, dds.prepush, dds.autopull, dds.audit, dds.lake, dds.lakeEndpoint and dds.lakeRegion there: remove it", gitref.ErrTeamConfig, key, gitref.TeamConfigFile)
}

func cutLast(s string) (before, after string, ok bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}
