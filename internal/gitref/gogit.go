package gitref

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
)

// Objects and refs are read in process through go-git's storage layer
// alone: its loose-object, pack and ref readers. go-git's root package
// (git.Repository) would link every transport it offers, ssh, http and
// OpenPGP included, and plumbing/object its signature checks; git dds
// needs neither, so the few object formats it reads (commit, tree, tag)
// are parsed here.

// openGoGit opens go-git's storage on paths git resolved: go-git's own
// discovery ignores GIT_DIR and friends.
func openGoGit(loc location) (*filesystem.Storage, error) {
	dotGit := osfs.New(loc.gitDir)
	repositoryFS := dotGit
	if loc.gitDir != loc.commonDir {
		// A linked worktree keeps HEAD and its index in its own git dir and
		// everything else in the common one.
		repositoryFS = dotgit.NewRepositoryFilesystem(dotGit, osfs.New(loc.commonDir))
	}
	return openStorage(repositoryFS, filesystem.Options{AlternatesFS: osfs.New("/")})
}

// openStorage opens the repository whose git directory fs is, refusing one
// whose format go-git cannot read.
func openStorage(fs billy.Filesystem, opts filesystem.Options) (*filesystem.Storage, error) {
	storage := filesystem.NewStorageWithOptions(fs, cache.NewObjectLRUDefault(), opts)
	if _, err := storage.Reference(plumbing.HEAD); errors.Is(err, plumbing.ErrReferenceNotFound) {
		return nil, errors.New("repository does not exist")
	}
	if err := checkFormat(storage); err != nil {
		return nil, err
	}
	return storage, nil
}

// checkFormat refuses a repository whose extensions change how objects or
// refs are stored (reftable refs, say): go-git would misread it. It keeps
// the rules of go-git's repository opening, but lets through the
// extensions that change nothing for reading objects and refs, which git
// itself sets in ordinary clones: worktreeConfig (sparse checkout) and
// partialClone (clone --filter).
func checkFormat(storage *filesystem.Storage) error {
	cfg, err := storage.Config()
	if err != nil {
		return err
	}
	// go-git reads any version but 1 as 0; git refuses the others.
	version := cfg.Core.RepositoryFormatVersion
	if cfg.Raw == nil || !cfg.Raw.HasSection("extensions") {
		return nil
	}
	var unknown []string
	for _, opt := range cfg.Raw.Section("extensions").Options {
		name := strings.ToLower(opt.Key)
		if !harmlessForReading(name, opt.Value) && (name != "noop-v1" || version != "1") {
			unknown = append(unknown, name)
		}
	}
	switch {
	case len(unknown) == 0:
		return nil
	case version == "1":
		return fmt.Errorf("unknown extension: %s", strings.Join(unknown, ", "))
	default:
		return fmt.Errorf("core.repositoryformatversion does not support extension: %s", strings.Join(unknown, ", "))
	}
}

// harmlessForReading reports whether a repository extension changes
// nothing for reading objects and refs. A partial clone's missing objects
// still fail when read, with go-git's error.
func harmlessForReading(name, value string) bool {
	switch strings.ToLower(name) {
	case "worktreeconfig", "partialclone", "preciousobjects", "noop":
		return true
	case "objectformat":
		return strings.EqualFold(value, "sha1")
	}
	return false
}

// openGitDirOf opens the repository of the working tree at dir, found the
// way git finds it there: dir/.git is the git directory, or a file naming
// it ("gitdir: PATH", as in a submodule or a linked worktree), whose
// commondir file then names the directory it shares.
func openGitDirOf(dir string) (*filesystem.Storage, error) {
	gitDir := filepath.Join(dir, ".git")
	info, err := os.Stat(gitDir)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		data, err := os.ReadFile(gitDir)
		if err != nil {
			return nil, err
		}
		line, _, _ := strings.Cut(string(data), "\n")
		target, found := strings.CutPrefix(line, "gitdir: ")
		if !found {
			return nil, fmt.Errorf("%s has no gitdir: line", gitDir)
		}
		gitDir = strings.TrimSpace(target)
		if !filepath.IsAbs(gitDir) {
			gitDir = filepath.Join(dir, gitDir)
		}
	}
	var fs billy.Filesystem = osfs.New(gitDir)
	common, err := os.ReadFile(filepath.Join(gitDir, "commondir"))
	switch {
	case err == nil && len(common) > 0:
		commonDir := strings.TrimSpace(string(common))
		if !filepath.IsAbs(commonDir) {
			commonDir = filepath.Join(gitDir, commonDir)
		}
		if _, err := os.Stat(commonDir); err != nil {
			return nil, fmt.Errorf("the common git directory %s: %w", commonDir, err)
		}
		fs = dotgit.NewRepositoryFilesystem(fs, osfs.New(commonDir))
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	return openStorage(fs, filesystem.Options{})
}
