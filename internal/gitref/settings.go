package gitref

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// worktreeSettings are the git settings that change what git add records
// or when git trusts the index's stat data.
type worktreeSettings struct {
	trustExecutableBit bool // core.fileMode
	hasSymlinks        bool // core.symlinks
	trustCtime         bool // core.trustCtime
	checkInode         bool // core.checkStat is not "minimal"
	// filtersEverywhere is true when any file may be filtered on its way
	// into a blob: core.autocrlf, a global or repository attributes file,
	// or a tracked .gitattributes anywhere.
	filtersEverywhere bool
}

// readWorktreeSettings reads the settings that change what git add
// records from git config.
func (r *Repo) readWorktreeSettings(snap *indexSnapshot) worktreeSettings {
	s := worktreeSettings{
		trustExecutableBit: r.configBool("core.fileMode", true),
		hasSymlinks:        r.configBool("core.symlinks", true),
		trustCtime:         r.configBool("core.trustCtime", true),
		checkInode:         !strings.EqualFold(r.configValue("core", "checkStat"), "minimal"),
	}
	autocrlf := strings.EqualFold(r.configValue("core", "autocrlf"), "input") || r.configBool("core.autocrlf", false)
	s.filtersEverywhere = autocrlf ||
		r.configValue("core", "attributesFile") != "" ||
		fileExists(filepath.Join(r.CommonDir, "info", "attributes")) ||
		fileExists(userAttributesFile()) ||
		indexHasAttributes(snap)
	return s
}

// userAttributesFile is git's default core.attributesFile.
func userAttributesFile() string {
	if xdg := os.Getenv("XDG_CONFIG_HOME"); xdg != "" {
		return filepath.Join(xdg, "git", "attributes")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".config", "git", "attributes")
}

func indexHasAttributes(snap *indexSnapshot) bool {
	for slot := range snap.len() {
		if _, name := splitPath(snap.path(slot)); name == ".gitattributes" {
			return true
		}
	}
	return false
}

func fileExists(p string) bool {
	if p == "" {
		return false
	}
	_, err := os.Stat(p)
	return err == nil
}

// modeOnDisk is the mode git add would record for a file, given the mode
// the index records for it; ok is false for what git cannot track in its
// place (a folder, a device).
func (s worktreeSettings) modeOnDisk(m fs.FileMode, recorded filemode.FileMode) (filemode.FileMode, bool) {
	switch {
	case m&fs.ModeSymlink != 0:
		return filemode.Symlink, true
	case !m.IsRegular():
		return 0, false
	case !s.hasSymlinks && recorded == filemode.Symlink:
		// Checked out as a plain file holding the target.
		return filemode.Symlink, true
	case !s.trustExecutableBit && (recorded == filemode.Regular || recorded == filemode.Executable):
		return recorded, true
	case m&0o100 != 0:
		return filemode.Executable, true
	}
	return filemode.Regular, true
}
