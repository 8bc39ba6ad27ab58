package gitref

import (
	"context"
	"fmt"
	"os"
	"os/exec"
)

// Git runs the real git in the working tree root with the repository's
// paths made explicit, and returns its standard output. A failure names the
// command and carries git's standard error; it wraps *exec.ExitError.
func (r *Repo) Git(ctx context.Context, args ...string) ([]byte, error) {
	out, err := r.runGit(ctx, nil, args...)
	return out, err
}

// runGit is Git with an optional standard input. On failure it still
// returns what git printed on standard output.
func (r *Repo) runGit(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = r.Root
	// Absolute paths, so a relative GIT_DIR inherited from a hook cannot
	// point elsewhere once the working folder changes.
	cmd.Env = append(os.Environ(),
		"GIT_DIR="+r.GitDir,
		"GIT_WORK_TREE="+r.Root,
		"GIT_INDEX_FILE="+r.indexPath,
	)
	return runCmd(cmd, stdin, args)
}

func errGitMissing(err error) error {
	return fmt.Errorf("git is not installed or not on PATH; install git 2.38 or newer: %w", err)
}
