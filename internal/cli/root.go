package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/config"
	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/ui"
	"github.com/git-dds/git-dds/internal/workspace"
)

// globalOptions are the flags every command takes.
type globalOptions struct {
	dir    string // -C: run as if started in this folder
	json   bool
	quiet  bool // -q: no progress, no summary; warnings and errors still
	stdout io.Writer
	stderr io.Writer
}

func newRootCommand() *cobra.Command {
	opts := &globalOptions{stdout: os.Stdout, stderr: os.Stderr}
	root := &cobra.Command{
		// git runs git-dds as `git dds`: cobra names a command by the
		// first word of Use, and every usage line, footer and error by
		// the display name, which must be what a user types.
		Use:         "dds",
		Annotations: map[string]string{cobra.CommandDisplayNameAnnotation: "git dds"},
		Short:       "Version data the way git versions code",
		Long: `git dds runs the stages of dds.yaml, stores each output once by the
signature of the code, params and upstream outputs that produce it, and
keeps every branch's outputs in step with its code.

git dds COMMAND -h shows the help of a command. With the manual pages
installed (make install), git help dds, git dds --help and
man git-dds-COMMAND show the manual.

Every command takes --json (one JSON document on stdout, nothing else on
stdout) and -C DIR (run as if started in DIR, as git does). Human output
goes to stdout; stage output, progress and warnings go to stderr. -q
prints no progress and no summary, only warnings and errors.

Exit status:

    0    success
    1    the answer is "no": status --exit-code with a stage that is not
         fresh, a stage that failed, an output edited by hand, a problem
         fsck found, content from a remote refused
    2    a usage or input error: a bad flag or argument, a bad dds.yaml,
         an unknown stage or revision, a remote not configured
    3    an environment error: not a git repository, the index busy, an
         I/O error, a remote that does not answer
    130  interrupted by Ctrl-C (143 by SIGTERM)`,
		Example: `  # set a repository up, compute every stage, and see their states
  git dds init
  git dds run
  git dds status`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          unknownCommand,
		Version:       version(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	root.PersistentFlags().StringVarP(&opts.dir, "dir", "C", ".", "run as if git dds was started in this folder")
	root.PersistentFlags().BoolVar(&opts.json, "json", false, "print one JSON document on stdout")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err: err} })
	root.AddCommand(
		newRunCommand(opts),
		newStatusCommand(opts),
		newCheckoutCommand(opts),
		newPinCommand(opts),
		newAddCommand(opts),
		newLsCommand(opts),
		newURLCommand(opts),
		newPublishCommand(opts),
		newMergePreviewCommand(opts),
		newGraphCommand(opts),
		newLogCommand(opts),
		newMetricsCommand(opts),
		newParamsCommand(opts),
		newCompareCommand(opts),
		newPlotsCommand(opts),
		newExpCommand(opts),
		newInitCommand(opts),
		newInstallCommand(opts),
		newUninstallCommand(opts),
		newHookCommand(opts),
		newFsckCommand(opts),
		newGCCommand(opts),
		newPushCommand(opts),
		newFetchCommand(opts),
		newPullCommand(opts),
		newVersionCommand(opts),
		newManCommand(),
		newCompletionCommand(opts),
	)
	// Ours plugs into git's completion; cobra's would replace it.
	root.CompletionOptions.DisableDefaultCmd = true
	registerCompletions(root, opts)
	root.SetVersionTemplate("{{.DisplayName}} version {{.Version}}\n")
	root.SetHelpCommand(newHelpCommand())
	for _, cmd := range root.Commands() {
		usageArgs(cmd)
	}
	return root
}

// newHelpCommand is cobra's help command, except that a topic that names
// no command is a usage error, not the root's help and success.
func newHelpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "Help about any command",
		Long:  "Help shows the help of a command, as git dds COMMAND -h does. With the man pages installed (make install), man git-dds-COMMAND shows its manual page.",
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := cmd.Root().Find(args)
			if err != nil || target == nil || len(rest) > 0 {
				return usageError{err: fmt.Errorf("no help for %q: git dds has no such command", strings.Join(args, " ")), hint: "see git dds -h"}
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			parent, _, err := cmd.Root().Find(args)
			if err != nil || parent == nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []cobra.Completion
			for _, sub := range parent.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					names = append(names, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
	}
}

// usageArgs makes the argument checks of cmd and its subcommands, cobra's
// own included (cobra.MaximumNArgs...), report usage errors.
func usageArgs(cmd *cobra.Command) {
	if check := cmd.Args; check != nil {
		cmd.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				var usage usageError
				if errors.As(err, &usage) {
					return err
				}
				return usageError{err: fmt.Errorf("%s %w", cmd.CommandPath(), err)}
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		usageArgs(sub)
	}
}

// openRepo finds the repository and reads its settings. Every command
// starts here, so that each refuses a .ddsconfig that sets what a team
// does not share.
func openRepo(ctx context.Context, dir string) (*gitref.Repo, *config.Settings, error) {
	repo, err := gitref.Open(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	settings, err := config.Load(repo)
	if err != nil {
		return nil, nil, err
	}
	return repo, settings, nil
}

// openWorkspace finds the repository, its settings and its store.
func openWorkspace(ctx context.Context, opts *globalOptions) (*workspace.Workspace, error) {
	repo, settings, err := openRepo(ctx, opts.dir)
	if err != nil {
		return nil, err
	}
	if err := settings.Link.Err; err != nil {
		return nil, usageError{err: err, hint: configHint("link")}
	}
	ws, err := workspace.NewWorkspace(repo, settings, opts.stderr)
	if err != nil {
		return nil, err
	}
	if err := settings.Fsync.Err; err != nil {
		return nil, usageError{err: err, hint: configHint("fsync")}
	}
	if settings.Fsync.Set() {
		ws.Store.SetDurable(settings.Fsync.Value)
	}
	ws.IndexOptions = index.Options{Notify: func(msg string) { fmt.Fprintln(opts.stderr, "git dds: "+msg) }}
	if err := settings.LockTimeout.Err; err != nil {
		return nil, usageError{err: err, hint: configHint("lockTimeout")}
	}
	ws.IndexOptions.Wait = settings.LockTimeout.Value
	return ws, nil
}

// configHint is the way back from a bad setting: a command's -h does not
// describe git config.
func configHint(key string) string {
	return "git config --unset dds." + key + " goes back to the default"
}

// progress is where a command reports its steps and transfers: stderr,
// unless stdout carries JSON or -q asks for quiet. A terminal gets bars
// redrawn in place, anything else (a CI log) one line per step.
func (o *globalOptions) progress() io.Writer {
	if o.json || o.quiet {
		return nil
	}
	return o.stderr
}

// interactive reports whether progress belongs on stderr.
func (o *globalOptions) interactive() bool {
	if o.json || o.quiet {
		return false
	}
	return ui.IsTerminal(o.stderr)
}

// addQuiet gives cmd the -q flag of the commands that report progress and
// a summary.
func (o *globalOptions) addQuiet(cmd *cobra.Command) {
	cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "print no progress and no summary; warnings and errors still")
}

// summary is where a command's closing report goes: stdout, or nowhere
// with -q.
func (o *globalOptions) summary() io.Writer {
	if o.quiet {
		return io.Discard
	}
	return o.stdout
}

// report prints a command's report in one write: a table of 2,000 rows
// written cell by cell would cost as many system calls as cells.
func (o *globalOptions) report(print func(w io.Writer)) error {
	w := bufio.NewWriter(o.stdout)
	print(w)
	return w.Flush()
}

func (o *globalOptions) printJSON(v any) error {
	enc := json.NewEncoder(o.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// unknownCommand rejects a word after git dds that names no command, as a
// usage error, with the commands it is close to.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	hint := "see " + cmd.CommandPath() + " -h"
	if near := cmd.SuggestionsFor(args[0]); len(near) > 0 {
		hint += "\n\nDid you mean this?\n\t" + strings.Join(near, "\n\t")
	}
	return usageError{err: fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath()), hint: hint}
}

// noArgs rejects positional arguments with a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{err: fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])}
	}
	return nil
}
