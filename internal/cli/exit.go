package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/config"
	"github.com/git-dds/git-dds/internal/experiment"
	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/history"
	"github.com/git-dds/git-dds/internal/hooks"
	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/lake"
	"github.com/git-dds/git-dds/internal/metrics"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/pin"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/remote"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/workspace"
)

// Exit codes: 0 ok, 1 the answer is "no", 2 usage or input error, 3
// environment error; docs/commands.md lists them for users.
const (
	exitOK          = 0
	exitAnswerNo    = 1 // stale stages with --exit-code, failed stages, refused edits
	exitInput       = 2 // usage or input error
	exitEnvironment = 3 // not a repository, index busy, I/O
)

// usageError is a command line that does not parse. main adds where help
// is: the command's own -h, or hint when it is set.
type usageError struct {
	err  error
	hint string
}

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// helpHint says where the help for a usage error is: the -h of the command
// that failed to parse, which works whether or not the man pages are
// installed (git dds --help needs them: git turns it into git help dds).
func helpHint(err error, cmd *cobra.Command) string {
	var usage usageError
	if !errors.As(err, &usage) {
		return ""
	}
	if usage.hint != "" {
		return usage.hint
	}
	if cmd == nil {
		return "see git dds -h"
	}
	return "see " + cmd.CommandPath() + " -h"
}

// answerNo is a command whose answer is "no": it already said why.
type answerNo struct{ reason string }

func (e answerNo) Error() string { return e.reason }

// isSilent reports errors whose message has already been printed.
func isSilent(err error) bool {
	var no answerNo
	return errors.As(err, &no) && no.reason == ""
}

// exitCode is the one place that maps errors to exit codes.
func exitCode(err error) int {
	var (
		yamlErr  *pipeline.Error
		unknown  *workspace.UnknownStageError
		usage    usageError
		no       answerNo
		stageErr *workspace.StageError
		target   *history.UnknownTargetError
		metric   *metrics.Error
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &no), errors.Is(err, workspace.ErrFailed), errors.Is(err, experiment.ErrFailed), errors.Is(err, workspace.ErrEdited), errors.As(err, &stageErr),
		errors.Is(err, hooks.ErrRefused), errors.Is(err, remote.ErrCorrupt), errors.Is(err, workspace.ErrNotComputed),
		errors.Is(err, workspace.ErrPublishCommand):
		return exitAnswerNo
	case errors.As(err, &yamlErr), errors.As(err, &unknown), errors.As(err, &usage),
		errors.Is(err, namespace.ErrNoPipeline), errors.Is(err, gitref.ErrUnknownRevision),
		errors.Is(err, signature.ErrInput), errors.Is(err, experiment.ErrInput), errors.Is(err, workspace.ErrMergeConflict), errors.As(err, &target), errors.As(err, &metric),
		errors.Is(err, remote.ErrNoRemote), errors.Is(err, remote.ErrConfig), errors.Is(err, pin.ErrInvalid), errors.Is(err, config.ErrInvalid), errors.Is(err, gitref.ErrTeamConfig), errors.Is(err, hooks.ErrHooksInTree),
		errors.Is(err, workspace.ErrNoSuchExternal), errors.Is(err, lake.ErrNoLake):
		return exitInput
	case errors.Is(err, gitref.ErrNotRepository), errors.Is(err, index.ErrBusy):
		return exitEnvironment
	default:
		return exitEnvironment
	}
}
