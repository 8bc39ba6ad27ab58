package gitref

import (
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// CommitTree returns the tree of commit (a full commit id, as Resolve gives).
func (r *Repo) CommitTree(commit string) (Tree, error) {
	if !isObjectID(commit) {
		return nil, fmt.Errorf("%w %s: CommitTree needs a full commit id; call Resolve first", ErrUnknownRevision, commit)
	}
	r.objects.Lock()
	tree, err := r.commitTreeID(plumbing.NewHash(commit))
	r.objects.Unlock()
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", commit, err)
	}
	return r.newObjectTree(tree)
}

// TreeByID returns the tree object id, such as the tree MergeTree writes.
func (r *Repo) TreeByID(id string) (Tree, error) {
	if !isObjectID(id) {
		return nil, fmt.Errorf("reading tree %q: not a full object id", id)
	}
	return r.newObjectTree(plumbing.NewHash(id))
}

func (r *Repo) newObjectTree(root plumbing.Hash) (*objectTree, error) {
	t := &objectTree{repo: r, root: root, dirs: make(map[string]map[string]treeEntry)}
	r.objects.Lock()
	defer r.objects.Unlock()
	if _, err := t.dir(""); err != nil {
		return nil, err
	}
	return t, nil
}

// objectTree is a Tree over tree objects in the repository. Every folder it
// opens stays indexed by name, so repeated look-ups read no object twice.
type objectTree struct {
	repo *Repo
	root plumbing.Hash
	// dirs maps a folder path to its entries by name. Guarded by
	// repo.objects, which every read through go-git takes anyway.
	dirs map[string]map[string]treeEntry
}

func (t *objectTree) Lookup(path string) (Entry, bool, error) {
	p, err := cleanPath(path)
	if err != nil {
		return Entry{}, false, err
	}
	if p == "" {
		return Entry{ID: t.root.String(), Dir: true}, true, nil
	}
	t.repo.objects.Lock()
	defer t.repo.objects.Unlock()
	e, ok, err := t.entry(p)
	if err != nil {
		return Entry{}, false, err
	}
	if !ok {
		// A path inside a submodule stands for the submodule's commit.
		id, inside, err := t.enclosingSubmodule(p)
		if !inside || err != nil {
			return Entry{}, false, err
		}
		return Entry{ID: id.String()}, true, nil
	}
	return Entry{ID: e.id.String(), Dir: e.mode == filemode.Dir}, true, nil
}

func (t *objectTree) ReadFile(path string) ([]byte, error) {
	p, err := cleanPath(path)
	if err != nil {
		return nil, err
	}
	t.repo.objects.Lock()
	defer t.repo.objects.Unlock()
	e, ok, err := t.entry(p)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, fmt.Errorf("reading %s from tree %s: %w", p, t.root, errNotInTree)
	case !e.mode.IsFile():
		return nil, fmt.Errorf("reading %s from tree %s: it is not a file (mode %s)", p, t.root, e.mode)
	}
	data, err := t.repo.readBlob(e.id)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return data, nil
}

// entry finds the tree entry at a non-root path.
func (t *objectTree) entry(path string) (treeEntry, bool, error) {
	parent, name := splitPath(path)
	entries, err := t.dir(parent)
	if errors.Is(err, errNotInTree) {
		return treeEntry{}, false, nil
	}
	if err != nil {
		return treeEntry{}, false, err
	}
	e, ok := entries[name]
	return e, ok, nil
}

// dir returns the entries of the folder at path, reading the tree objects
// on the way the first time.
func (t *objectTree) dir(path string) (map[string]treeEntry, error) {
	if entries, ok := t.dirs[path]; ok {
		return entries, nil
	}
	id := t.root
	if path != "" {
		e, ok, err := t.entry(path)
		if err != nil {
			return nil, err
		}
		if !ok || e.mode != filemode.Dir {
			return nil, errNotInTree
		}
		id = e.id
	}
	entries, err := t.repo.readTree(id)
	if err != nil {
		return nil, fmt.Errorf("reading tree %s (%s): %w", id, displayPath(path), err)
	}
	t.dirs[path] = entries
	return entries, nil
}

// TreeID returns the id of the tree of commit (a full commit id).
func (r *Repo) TreeID(commit string) (string, error) {
	if !isObjectID(commit) {
		return "", fmt.Errorf("%w %s: TreeID needs a full commit id", ErrUnknownRevision, commit)
	}
	r.objects.Lock()
	tree, err := r.commitTreeID(plumbing.NewHash(commit))
	r.objects.Unlock()
	if err != nil {
		return "", fmt.Errorf("reading commit %s: %w", commit, err)
	}
	return tree.String(), nil
}
