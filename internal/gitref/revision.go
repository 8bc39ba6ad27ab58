package gitref

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// Head returns the branch HEAD points to ("refs/heads/main"; "" when HEAD is
// detached) and the commit it names ("" on a branch with no commit yet).
func (r *Repo) Head() (ref string, commit string, err error) {
	r.objects.Lock()
	defer r.objects.Unlock()
	head, err := r.repo.Storer.Reference(plumbing.HEAD)
	if err != nil {
		return "", "", fmt.Errorf("reading HEAD of %s: %w", r.Root, err)
	}
	if head.Type() != plumbing.SymbolicReference {
		return "", head.Hash().String(), nil
	}
	branch := head.Target()
	resolved, err := r.repo.Reference(branch, true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return branch.String(), "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("reading %s: %w", branch, err)
	}
	return branch.String(), resolved.Hash().String(), nil
}

// Resolve returns the commit id rev names: a branch, a tag, HEAD~1, a full
// or short commit id. Forms go-git does not parse (main@{upstream}, v1^{})
// are asked of git.
func (r *Repo) Resolve(rev string) (string, error) {
	if rev == "" {
		return "", fmt.Errorf("%w: empty revision; name a branch, tag or commit", ErrUnknownRevision)
	}
	r.objects.Lock()
	hash, err := r.repo.ResolveRevision(plumbing.Revision(rev))
	r.objects.Unlock()
	if err == nil {
		return hash.String(), nil
	}
	if id, ok := r.resolveWithGit(context.Background(), rev); ok {
		return id, nil
	}
	return "", fmt.Errorf("%w %s: no branch, tag or commit has that name; git branch -a and git tag list them", ErrUnknownRevision, rev)
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
	iter, err := r.repo.Branches()
	if err != nil {
		return nil, fmt.Errorf("listing the branches of %s: %w", r.Root, err)
	}
	tips := map[string]string{}
	err = iter.ForEach(func(ref *plumbing.Reference) error {
		tips[ref.Name().String()] = ref.Hash().String()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the branches of %s: %w", r.Root, err)
	}
	return tips, nil
}
