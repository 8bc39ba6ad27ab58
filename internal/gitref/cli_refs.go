package gitref

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Ref is a ref and the commit it names.
type Ref struct {
	Name   string // full name: refs/heads/main, refs/tags/v1
	Commit string // for an annotated tag, the commit it tags
}

// Refs returns the refs under prefixes (refs/heads, refs/tags...) that name
// a commit, annotated tags peeled to the commit they tag, in git's order. A
// tag of a tree or a blob names no commit and is left out.
func (r *Repo) Refs(ctx context.Context, prefixes ...string) ([]Ref, error) {
	args := append([]string{"for-each-ref",
		"--format=%(objecttype) %(objectname) %(*objecttype) %(*objectname) %(refname)"}, prefixes...)
	out, err := r.Git(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("listing refs: %w", err)
	}
	var refs []Ref
	for line := range strings.Lines(string(out)) {
		fields := strings.SplitN(strings.TrimSuffix(line, "\n"), " ", 5)
		if len(fields) != 5 {
			continue
		}
		kind, id, peeledKind, peeled, name := fields[0], fields[1], fields[2], fields[3], fields[4]
		switch {
		case kind == "commit":
		case kind == "tag" && peeledKind == "commit":
			id = peeled
		case kind == "tag" && peeledKind == "tag":
			// A tag of a tag: rare enough to ask git once for each.
			var ok bool
			if id, ok = r.resolveWithGit(ctx, name); !ok {
				continue
			}
		default:
			continue
		}
		refs = append(refs, Ref{Name: name, Commit: id})
	}
	return refs, nil
}

// WorktreeHead is the commit a working tree of the repository has checked
// out.
type WorktreeHead struct {
	Path   string // the working tree's folder, as git lists it
	Commit string
}

// WorktreeHeads returns the HEAD of every working tree of the repository,
// linked ones included, detached or not. A working tree on a branch with no
// commit yet has no HEAD commit and is left out.
func (r *Repo) WorktreeHeads(ctx context.Context) ([]WorktreeHead, error) {
	out, err := r.Git(ctx, "worktree", "list", "--porcelain")
	if err != nil {
		return nil, fmt.Errorf("listing worktrees: %w", err)
	}
	return parseWorktreeList(out), nil
}

// parseWorktreeList reads `git worktree list --porcelain`: blocks of
// "worktree PATH", "HEAD ID" and more lines, separated by blank lines.
// A worktree on a branch with no commit yet has an all-zero HEAD.
func parseWorktreeList(out []byte) []WorktreeHead {
	var heads []WorktreeHead
	path := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), " ")
		switch key {
		case "worktree":
			path = value
		case "HEAD":
			if len(value) == 40 && strings.Trim(value, "0") != "" {
				heads = append(heads, WorktreeHead{Path: path, Commit: value})
			}
		}
	}
	return heads
}

// StashCommits returns the commit of every stash entry, stash@{0} first.
// Each records the working tree as it was stashed.
func (r *Repo) StashCommits(ctx context.Context) ([]string, error) {
	if _, ok := r.resolveWithGit(ctx, "refs/stash"); !ok {
		return nil, nil
	}
	out, err := r.Git(ctx, "log", "--walk-reflogs", "--format=%H", "refs/stash", "--")
	if err != nil {
		return nil, fmt.Errorf("listing stash entries: %w", err)
	}
	return strings.Fields(string(out)), nil
}

// RevListOptions narrows what RevList lists.
type RevListOptions struct {
	// Max is the most commits listed; 0 lists them all.
	Max int
	// FirstParent follows only the first parent of a merge: the history
	// of the branch itself.
	FirstParent bool
}

// RevList returns the commits reachable from rev, newest first, as git
// rev-list lists them.
func (r *Repo) RevList(ctx context.Context, rev string, opts RevListOptions) ([]string, error) {
	args := []string{"rev-list"}
	if opts.FirstParent {
		args = append(args, "--first-parent")
	}
	if opts.Max > 0 {
		args = append(args, "--max-count="+strconv.Itoa(opts.Max))
	}
	out, err := r.Git(ctx, append(args, rev, "--")...)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(out)), nil
}

// resolveWithGit gives the commit rev names, if it names one, as git
// rev-parse reads it: every form of revision git knows.
func (r *Repo) resolveWithGit(ctx context.Context, rev string) (string, bool) {
	out, err := r.Git(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	id := strings.TrimSpace(string(out))
	return id, err == nil && isObjectID(id)
}

// RefInfo is a ref, the commit it names, that commit's first parent and
// its committer time.
type RefInfo struct {
	Name   string
	Commit string
	Parent string // "" for a root commit
	Time   int64  // seconds since the epoch
}

// RefsInfo returns the refs under prefixes that name a commit, with their
// commit's first parent and time, in git's order.
func (r *Repo) RefsInfo(ctx context.Context, prefixes ...string) ([]RefInfo, error) {
	args := append([]string{"for-each-ref",
		"--format=%(objecttype) %(objectname) %(committerdate:unix) %(parent) %(refname)"}, prefixes...)
	out, err := r.Git(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("listing refs: %w", err)
	}
	var refs []RefInfo
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(strings.TrimSuffix(line, "\n"))
		if len(fields) < 4 || fields[0] != "commit" || !isObjectID(fields[1]) {
			continue
		}
		t, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			continue
		}
		info := RefInfo{Name: fields[len(fields)-1], Commit: fields[1], Time: t}
		if len(fields) > 4 && isObjectID(fields[3]) {
			info.Parent = fields[3]
		}
		refs = append(refs, info)
	}
	return refs, nil
}
