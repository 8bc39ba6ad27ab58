package gitref

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

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
