package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/hooks"
)

// hookRepo gives the hooks installer the repository's git and state. The
// state is the repository's own even when its store is shared (dds.dir):
// hooks belong to one repository.
type hookRepo struct{ *gitref.Repo }

func (r hookRepo) StateDir() string { return filepath.Join(r.CommonDir, "dds") }

type installOptions struct {
	force bool
}

func newInstallCommand(g *globalOptions) *cobra.Command {
	opts := &installOptions{}
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install the git hooks that keep outputs in step with checkouts, merges, rebases and pushes",
		Long: `git dds install writes the post-checkout, post-merge, post-rewrite,
post-commit and pre-push hooks into the folder git uses for hooks
(core.hooksPath is honoured), so that outputs follow checkouts, merges
and rebases, and a push uploads the artifacts its commits need. A hook
already there is kept whole and still runs first, with the same
arguments and input. Installing twice changes nothing; --force rewrites
hooks that look like a damaged git dds install. git dds uninstall
restores exactly what was there.

Every command works without the hooks: they only save running git dds
checkout and git dds push by hand. One line per hook says what became of
it: installed, chained (a hook that was there runs first), upgraded,
rewritten, already installed, or left alone, with why.

--json prints:

    {"hooks_dir", "hooks": [{"name", "action", "chained"?, "note"?}]}`,
		Example: `  git dds install

  # hooks in a folder the team shares: the git dds hooks go there too
  git config core.hooksPath .githooks
  git dds install`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInstall(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.force, "force", false, "rewrite hooks that look like a damaged git dds install")
	g.addQuiet(cmd)
	return cmd
}

func runInstall(ctx context.Context, g *globalOptions, opts *installOptions) error {
	repo, _, err := openRepo(ctx, g.dir)
	if err != nil {
		return err
	}
	hr := hookRepo{repo}
	if err := os.MkdirAll(hr.StateDir(), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", hr.StateDir(), err)
	}
	report, err := hooks.Install(ctx, hr, hooks.InstallOptions{Force: opts.force})
	if err != nil {
		return err
	}
	return printHookReport(g, report)
}

func newUninstallCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "Remove the git dds hooks and restore the hooks that were there before",
		Long: `git dds uninstall removes the hooks git dds install wrote, and puts
back exactly the hooks that were there before it, which it had kept
whole. The outputs in the working tree and the store are left alone.
One line per hook says what became of it: restored, removed, or left
alone, with why (a hook edited since git dds wrote it is not removed).

--json prints:

    {"hooks_dir", "hooks": [{"name", "action", "chained"?, "note"?}]}`,
		Example: `  git dds uninstall`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			repo, _, err := openRepo(cmd.Context(), g.dir)
			if err != nil {
				return err
			}
			report, err := hooks.Uninstall(cmd.Context(), hookRepo{repo})
			if err != nil {
				return err
			}
			return printHookReport(g, report)
		},
	}
	g.addQuiet(cmd)
	return cmd
}

func printHookReport(g *globalOptions, report *hooks.Report) error {
	if g.json {
		return g.printJSON(report)
	}
	out := g.summary()
	fmt.Fprintf(out, "hooks in %s:\n", report.HooksDir)
	for _, h := range report.Hooks {
		fmt.Fprintf(out, "  %s\n", h)
	}
	return nil
}

func newHookCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:    "hook NAME [ARGS...]",
		Short:  "What the installed git hooks call",
		Hidden: true,
		Args:   cobra.MinimumNArgs(1),
		// git's arguments are passed through as they are.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHook(cmd.Context(), g, args[0], args[1:])
		},
	}
}

func runHook(ctx context.Context, g *globalOptions, name string, args []string) error {
	// Flags are not parsed (git's arguments pass as they are), so -h and
	// --help land here too, as any word that names no hook.
	if !slices.Contains(hooks.Names(), name) {
		return usageError{
			err:  fmt.Errorf("git dds hook is what the installed git hooks call: it takes a hook name (%s), got %q", strings.Join(hooks.Names(), ", "), name),
			hint: "git dds install -h says how the hooks are installed",
		}
	}
	if !hooks.NeedsWorkspace(name, args) {
		h := &hooks.Handler{Stderr: g.stderr}
		return h.Handle(ctx, name, args, os.Stdin)
	}
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		if name == hooks.PrePush {
			return err
		}
		// A hook must never get in git's way: say so and let git go on.
		fmt.Fprintf(g.stderr, "git dds: warning: the %s hook could not start: %v\n", name, err)
		return nil
	}
	h := &hooks.Handler{WS: ws, Stderr: g.stderr}
	if g.interactive() {
		h.Progress = g.stderr
	}
	return h.Handle(ctx, name, args, os.Stdin)
}
