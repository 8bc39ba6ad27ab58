package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/gitref"
	"github.com/git-dds/git-dds/run"
	"github.com/git-dds/git-dds/sigindex"
	"github.com/git-dds/git-dds/store"
)

// globalOptions are the flags every command takes.
type globalOptions struct {
	dir    string // -C: run as if started in this folder
	json   bool
	stdout io.Writer
	stderr io.Writer
}

func newRootCommand() *cobra.Command {
	opts := &globalOptions{stdout: os.Stdout, stderr: os.Stderr}
	root := &cobra.Command{
		Use:           "git dds",
		Short:         "Version data the way git versions code",
		Long:          "git dds runs the stages of dds.yaml, stores each output once by the signature of the code, params and upstream outputs that produce it, and keeps every branch's outputs in step with its code.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVarP(&opts.dir, "dir", "C", ".", "run as if git dds was started in this folder")
	root.PersistentFlags().BoolVar(&opts.json, "json", false, "print one JSON document on stdout")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newRunCommand(opts),
		newStatusCommand(opts),
		newCheckoutCommand(opts),
		newLsCommand(opts),
		newMergePreviewCommand(opts),
		newGraphCommand(opts),
		newLogCommand(opts),
		newInitCommand(opts),
		newInstallCommand(opts),
		newUninstallCommand(opts),
		newHookCommand(opts),
		newFsckCommand(opts),
		newGCCommand(opts),
		newPushCommand(opts),
		newFetchCommand(opts),
		newPullCommand(opts),
	)
	return root
}

// openWorkspace finds the repository and its store.
func openWorkspace(ctx context.Context, opts *globalOptions) (*run.Workspace, error) {
	repo, err := gitref.Open(ctx, opts.dir)
	if err != nil {
		return nil, err
	}
	link, err := store.ParseLinkMode(repo.ConfigValue("dds", "link"))
	if err != nil {
		return nil, usageError{fmt.Errorf("git config dds.link: %w", err)}
	}
	ws, err := run.NewWorkspace(repo, link, opts.stderr)
	if err != nil {
		return nil, err
	}
	if v := repo.ConfigValue("dds", "fsync"); v != "" {
		durable, ok := gitref.ParseBool(v)
		if !ok {
			return nil, usageError{fmt.Errorf("git config dds.fsync is %q; it takes true or false", v)}
		}
		ws.Store.SetDurable(durable)
	}
	ws.IndexOptions = sigindex.Options{Notify: func(msg string) { fmt.Fprintln(opts.stderr, "git dds: "+msg) }}
	if v := repo.ConfigValue("dds", "lockTimeout"); v != "" {
		wait, err := parseLockTimeout(v)
		if err != nil {
			return nil, usageError{err}
		}
		ws.IndexOptions.Wait = wait
	}
	return ws, nil
}

// parseLockTimeout reads git config dds.lockTimeout: how many milliseconds
// to wait for another git dds to release the index, 0 for not at all, as
// git's core.filesRefLockTimeout.
func parseLockTimeout(v string) (time.Duration, error) {
	ms, err := strconv.Atoi(v)
	if err != nil || ms < 0 {
		return 0, fmt.Errorf("git config dds.lockTimeout is %q; it takes a number of milliseconds, 0 or more", v)
	}
	if ms == 0 {
		return -1, nil // sigindex.Options: a negative wait means none
	}
	if ms > math.MaxInt64/int(time.Millisecond) {
		return math.MaxInt64, nil // longer than anyone waits
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// interactive reports whether progress belongs on stderr.
func (o *globalOptions) interactive() bool {
	if o.json {
		return false
	}
	f, ok := o.stderr.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
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

// noArgs rejects positional arguments with a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])}
	}
	return nil
}

// short abbreviates a signature or id for people.
func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
