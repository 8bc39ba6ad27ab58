package gitref

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Head returns the branch HEAD points to ("refs/heads/main"; "" when HEAD is
// detached) and the commit it names ("" on a branch with no commit yet).
func (r *Repo) Head() (ref string, commit string, err error) {
	r.objects.Lock()
	defer r.objects.Unlock()
	head, err := r.storage.Reference(plumbing.HEAD)
	if err != nil {
		return "", "", fmt.Errorf("reading HEAD of %s: %w", r.Root, err)
	}
	if head.Type() != plumbing.SymbolicReference {
		return "", head.Hash().String(), nil
	}
	branch := head.Target()
	resolved, err := storer.ResolveReference(r.storage, branch)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return branch.String(), "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("reading %s: %w", branch, err)
	}
	return branch.String(), resolved.Hash().String(), nil
}

// Resolve returns the commit id rev names: a branch, a tag, HEAD~1, a full
// or short commit id. A full commit id or a ref name, by far the most
// common, is read in process; every other form (HEAD~1, main@{upstream},
// v1^{}, a short id) is asked of git.
func (r *Repo) Resolve(rev string) (string, error) {
	if rev == "" {
		return "", fmt.Errorf("%w: empty revision; name a branch, tag or commit", ErrUnknownRevision)
	}
	r.objects.Lock()
	id, ok := r.resolveInProcess(rev)
	r.objects.Unlock()
	if ok {
		return id.String(), nil
	}
	if id, ok := r.resolveWithGit(context.Background(), rev); ok {
		return id, nil
	}
	return "", fmt.Errorf("%w %s: no branch, tag or commit has that name; git branch -a and git tag list them", ErrUnknownRevision, rev)
}

// resolveInProcess resolves a full object id or a ref name the way git
// does: an id names its object; a name is tried as refs/NAME,
// refs/tags/NAME, refs/heads/NAME, refs/remotes/NAME and
// refs/remotes/NAME/HEAD (and as itself when it is HEAD or starts with
// refs/), the first that exists winning; tags are peeled to their commit.
// ok is false for every other form, and whenever git's answer could
// differ: git then decides. Callers hold r.objects.
func (r *Repo) resolveInProcess(rev string) (plumbing.Hash, bool) {
	if isObjectID(rev) {
		return r.peelToCommit(plumbing.NewHash(rev))
	}
	if !plainRefName(rev) {
		return plumbing.ZeroHash, false
	}
	for _, rule := range plumbing.RefRevParseRules {
		name := fmt.Sprintf(rule, rev)
		if name == rev && rev != "HEAD" && !strings.HasPrefix(rev, "refs/") {
			// git reads a name outside refs/ only in capitals (HEAD,
			// FETCH_HEAD), and newer versions only some of those.
			if strings.Trim(rev, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == "" {
				return r.readRootRef(rev)
			}
			continue
		}
		ref, err := storer.ResolveReference(r.storage, plumbing.ReferenceName(name))
		switch {
		case errors.Is(err, plumbing.ErrReferenceNotFound):
			continue
		case err != nil:
			return plumbing.ZeroHash, false
		}
		return r.peelToCommit(ref.Hash())
	}
	return plumbing.ZeroHash, false
}

// plainRefName reports whether rev can only be a ref name: no revision
// syntax (~ ^ : @{ ..) and nothing git forbids in a ref name.
func plainRefName(rev string) bool {
	if strings.ContainsAny(rev, " ~^:?*[\\@{}") || strings.Contains(rev, "..") || strings.Contains(rev, "//") ||
		strings.HasPrefix(rev, "/") || strings.HasPrefix(rev, "-") || strings.HasPrefix(rev, ".") ||
		strings.HasSuffix(rev, "/") || strings.HasSuffix(rev, ".") || strings.HasSuffix(rev, ".lock") ||
		strings.Contains(rev, "/.") {
		return false
	}
	for _, c := range []byte(rev) {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// isObjectID reports whether s is a full SHA-1 object id in lower-case hex.
func isObjectID(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Branches returns the commit of every local branch, by full ref name.
func (r *Repo) Branches() (map[string]string, error) {
	r.objects.Lock()
	defer r.objects.Unlock()
	refs, err := r.storage.IterReferences()
	if err != nil {
		return nil, fmt.Errorf("listing the branches of %s: %w", r.Root, err)
	}
	tips := map[string]string{}
	err = refs.ForEach(func(ref *plumbing.Reference) error {
		if ref.Name().IsBranch() {
			tips[ref.Name().String()] = ref.Hash().String()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the branches of %s: %w", r.Root, err)
	}
	return tips, nil
}
