// Package hooks installs the git hooks that keep git dds in step with git,
// chains the hooks that were there before, removes them again, and parses
// what git writes on a hook's standard input.
//
// Each hook git dds installs is a small sh script. It runs the hook that was
// in its place before install (kept whole beside it as NAME.dds-chained)
// with git's arguments and standard input, then runs
// "git dds hook NAME ARGS..." with the same arguments and input.
package hooks

// The hooks git dds installs, and what git passes to each. The names are
// also what "git dds hook NAME" receives.
const (
	// PostCheckout runs after git checkout, git switch, git clone and git
	// worktree add. Arguments: <previous HEAD> <new HEAD> <flag>, where the
	// flag is 1 for a branch checkout and 0 for a file checkout (the two
	// HEADs are then equal). No standard input. Git fires it for every step
	// of a rebase too.
	PostCheckout = "post-checkout"

	// PostMerge runs after a successful git merge or git pull that merged.
	// Arguments: <squash flag>, 1 when the merge was a squash merge, else 0.
	// No standard input.
	PostMerge = "post-merge"

	// PostRewrite runs after git commit --amend and git rebase, and, as
	// "amend", at each squash or fixup of git rebase -i. Arguments:
	// <command>, "amend" or "rebase". Standard input: one line per rewritten
	// commit, "<old sha> SP <new sha> [SP <extra info>] LF"; see
	// ParsePostRewrite.
	PostRewrite = "post-rewrite"

	// PostCommit runs after every commit git makes: git commit (--amend,
	// or concluding a merge), git cherry-pick, git revert, and each step of
	// a rebase. No arguments, no standard input.
	PostCommit = "post-commit"

	// PrePush runs before git push sends anything; a non-zero exit refuses
	// the push. Arguments: <remote name> <remote url> (the url twice when the
	// push names a url rather than a remote). Standard input: one line per
	// ref to update, "<local ref> SP <local sha> SP <remote ref> SP
	// <remote sha> LF"; see ParsePrePush.
	PrePush = "pre-push"
)

// Names returns the hooks git dds installs, in the order Install and
// Uninstall visit them.
func Names() []string {
	return []string{PostCheckout, PostMerge, PostRewrite, PostCommit, PrePush}
}

// readsStdin reports whether git writes data on the hook's standard input,
// which the installed script must then copy to give it to both the chained
// hook and git dds.
func readsStdin(name string) bool {
	return name == PrePush || name == PostRewrite
}
