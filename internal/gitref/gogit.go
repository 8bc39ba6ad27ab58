package gitref

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
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

// readObject returns the content of the object id, which must be of type
// kind (plumbing.AnyObject for any), and its type. Callers hold r.objects.
func (r *Repo) readObject(kind plumbing.ObjectType, id plumbing.Hash) ([]byte, plumbing.ObjectType, error) {
	obj, err := r.storage.EncodedObject(kind, id)
	if err != nil {
		return nil, plumbing.InvalidObject, err
	}
	rd, err := obj.Reader()
	if err != nil {
		return nil, plumbing.InvalidObject, err
	}
	defer rd.Close()
	data, err := io.ReadAll(rd)
	if err != nil {
		return nil, plumbing.InvalidObject, err
	}
	return data, obj.Type(), nil
}

// readBlob returns a blob's content. Callers hold r.objects.
func (r *Repo) readBlob(id plumbing.Hash) ([]byte, error) {
	data, _, err := r.readObject(plumbing.BlobObject, id)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", id, err)
	}
	return data, nil
}

// commitTreeID returns the id of the tree of the commit id. Callers hold
// r.objects.
func (r *Repo) commitTreeID(id plumbing.Hash) (plumbing.Hash, error) {
	data, _, err := r.readObject(plumbing.CommitObject, id)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	tree, ok := header(data, "tree")
	if !ok || !isObjectID(tree) {
		return plumbing.ZeroHash, fmt.Errorf("commit %s: no tree header", id)
	}
	return plumbing.NewHash(tree), nil
}

// peelToCommit follows the annotated tags from the object id to the commit
// they tag. ok is false when id names no commit or tag of one. Callers hold
// r.objects.
func (r *Repo) peelToCommit(id plumbing.Hash) (commit plumbing.Hash, ok bool) {
	// Bounded, so a cycle of tags (which SHA-1 makes impossible, but a
	// corrupt repository may fake) cannot hang.
	for range 16 {
		data, kind, err := r.readObject(plumbing.AnyObject, id)
		switch {
		case err != nil:
			return plumbing.ZeroHash, false
		case kind == plumbing.CommitObject:
			return id, true
		case kind != plumbing.TagObject:
			return plumbing.ZeroHash, false
		}
		target, ok := header(data, "object")
		if !ok || !isObjectID(target) {
			return plumbing.ZeroHash, false
		}
		id = plumbing.NewHash(target)
	}
	return plumbing.ZeroHash, false
}

// header returns the value of the first header named name of a commit or
// tag object: the lines before the first blank one.
func header(data []byte, name string) (string, bool) {
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			break
		}
		if value, ok := strings.CutPrefix(line, name+" "); ok {
			return value, true
		}
	}
	return "", false
}

// treeEntry is one entry of a tree object.
type treeEntry struct {
	name string
	mode filemode.FileMode
	id   plumbing.Hash
}

// readTree returns the entries of the tree object id by name. Callers hold
// r.objects.
func (r *Repo) readTree(id plumbing.Hash) (map[string]treeEntry, error) {
	data, _, err := r.readObject(plumbing.TreeObject, id)
	if err != nil {
		return nil, err
	}
	return parseTree(data)
}

// parseTree reads a tree object: entries of "MODE NAME\x00" and the 20
// bytes of the object id. Modes are made canonical as git does when it
// reads a tree (an old 100664 is 100644).
func parseTree(data []byte) (map[string]treeEntry, error) {
	entries := map[string]treeEntry{}
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp < 0 {
			return nil, errors.New("malformed tree: missing mode terminator")
		}
		mode, err := filemode.New(string(data[:sp]))
		if err != nil {
			return nil, errors.New("malformed tree: malformed mode")
		}
		data = data[sp+1:]
		nul := bytes.IndexByte(data, 0)
		switch {
		case nul < 0:
			return nil, errors.New("malformed tree: missing filename terminator")
		case nul == 0:
			return nil, errors.New("malformed tree: empty filename")
		case len(data) < nul+1+len(plumbing.ZeroHash):
			return nil, errors.New("malformed tree: truncated object id")
		}
		e := treeEntry{name: string(data[:nul]), mode: canonicalTreeMode(mode)}
		copy(e.id[:], data[nul+1:])
		entries[e.name] = e
		data = data[nul+1+len(plumbing.ZeroHash):]
	}
	return entries, nil
}

// canonicalTreeMode is the mode git reads a tree entry's mode as.
func canonicalTreeMode(mode filemode.FileMode) filemode.FileMode {
	switch mode & 0o170000 {
	case 0o040000:
		return filemode.Dir
	case 0o100000:
		if mode&0o111 != 0 {
			return filemode.Executable
		}
		return filemode.Regular
	case 0o120000:
		return filemode.Symlink
	default:
		return filemode.Submodule
	}
}
