package gitref

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	formatcfg "github.com/go-git/go-git/v5/plumbing/format/config"
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

// readWorktreeSettings reads the repository's and the user's git config.
func (r *Repo) readWorktreeSettings(snap *indexSnapshot) (worktreeSettings, error) {
	cfg, err := r.repo.ConfigScoped(config.GlobalScope)
	if err != nil {
		// An unreadable user config must not stop us; git itself would
		// have complained about it already.
		if cfg, err = r.repo.Config(); err != nil {
			return worktreeSettings{}, fmt.Errorf("reading the git config of %s: %w", r.Root, err)
		}
	}
	applyCommandLine(cfg)
	core := cfg.Raw.Section("core")
	s := worktreeSettings{
		trustExecutableBit: configBool(core, "filemode", true),
		hasSymlinks:        configBool(core, "symlinks", true),
		trustCtime:         configBool(core, "trustctime", true),
		checkInode:         !strings.EqualFold(core.Option("checkstat"), "minimal"),
	}
	autocrlf := strings.EqualFold(core.Option("autocrlf"), "input") || configBool(core, "autocrlf", false)
	s.filtersEverywhere = autocrlf ||
		core.Option("attributesfile") != "" ||
		fileExists(filepath.Join(r.CommonDir, "info", "attributes")) ||
		fileExists(userAttributesFile()) ||
		indexHasAttributes(snap)
	return s, nil
}

// configBool reads a git boolean; a key given without a value is true.
func configBool(section *formatcfg.Section, key string, fallback bool) bool {
	if !section.HasOption(key) {
		return fallback
	}
	switch strings.ToLower(section.Option(key)) {
	case "", "true", "yes", "on", "1":
		return true
	case "false", "no", "off", "0":
		return false
	}
	return fallback
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
	for _, p := range snap.paths {
		if _, name := splitPath(p); name == ".gitattributes" {
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
