package cli

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/experiment"
	"github.com/git-dds/git-dds/internal/pipeline"
)

// The completion scripts plug into git's own completion, as git extensions
// do, instead of replacing it: git's bash completion calls _git_dds for
// `git dds ...`, zsh's calls _git-dds. Both ask git dds __complete (cobra's
// protocol) for the words, so the stage, branch and remote names come from
// the repository at hand.
var (
	//go:embed completion/git-dds.bash
	bashCompletion string
	//go:embed completion/_git-dds
	zshCompletion string
)

func newCompletionCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "completion SHELL",
		Short: "Print the completion script for bash or zsh, which plugs into git's own",
		Long: `git dds completion prints a script that completes git dds commands,
flags, stage names, output paths, branches and remotes, through git's own
completion, which it leaves in place: git's own commands still complete.

For bash, git's completion must be loaded (the bash-completion package
loads it): source the script from ~/.bashrc, or save it where
bash-completion loads it on demand.

For zsh, with its own completion of git (compinit): save the script as
_git-dds in a folder of fpath, before compinit runs.

make install puts both where bash-completion and zsh look under PREFIX.

Exit status: 2 for a SHELL other than bash or zsh.`,
		Example: `  # bash: in ~/.bashrc
  source <(git dds completion bash)

  # bash: or loaded on demand
  git dds completion bash > ~/.local/share/bash-completion/completions/git-dds

  # zsh: in a folder of fpath
  git dds completion zsh > ~/.zsh/completions/_git-dds
  # and in ~/.zshrc:
  #   fpath=(~/.zsh/completions $fpath); autoload -U compinit; compinit`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"bash", "zsh"},
		RunE: func(cmd *cobra.Command, args []string) error {
			switch args[0] {
			case "bash":
				_, err := g.stdout.Write([]byte(bashCompletion))
				return err
			case "zsh":
				_, err := g.stdout.Write([]byte(zshCompletion))
				return err
			}
			return usageError{err: fmt.Errorf("git dds completion takes bash or zsh, got %q", args[0])}
		},
	}
	return cmd
}

// registerCompletions tells cobra what each command's arguments and flags
// complete to.
func registerCompletions(root *cobra.Command, g *globalOptions) {
	args := map[string]cobra.CompletionFunc{
		"run":           completeStages(g, false),
		"log":           completeStages(g, true),
		"merge-preview": oneArg(completeRefs(g, "refs/heads")),
		"push":          oneArg(completeRemotes(g)),
		"fetch":         oneArg(completeRemotes(g)),
		"pull":          oneArg(completeRemotes(g)),
		// Files: git dds add FILE, git dds pin --check FILE.pin.
		"add": completeFiles,
		"pin": completeFiles,
	}
	values := map[string][]string{
		"graph --format":         {"dot", "mermaid", "html"},
		"merge-preview --format": {"table", "markdown", "dot", "mermaid", "html"},
		"gc --keep":              {"all-refs", "current"},
	}
	_ = root.RegisterFlagCompletionFunc("dir", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveFilterDirs
	})
	for _, cmd := range root.Commands() {
		if fn, ok := args[cmd.Name()]; ok {
			cmd.ValidArgsFunction = fn
		} else if cmd.ValidArgsFunction == nil && cmd.ValidArgs == nil {
			cmd.ValidArgsFunction = cobra.NoFileCompletions
		}
		for _, name := range []string{"rev", "ref", "into"} {
			if cmd.Flags().Lookup(name) != nil {
				_ = cmd.RegisterFlagCompletionFunc(name, completeRefs(g, "refs/heads", "refs/tags"))
			}
		}
		if cmd.Name() == "gc" {
			_ = cmd.RegisterFlagCompletionFunc("remote", completeRemotes(g))
		}
		for key, vals := range values {
			if c, flag, _ := strings.Cut(key, " --"); c == cmd.Name() {
				_ = cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(vals, cobra.ShellCompDirectiveNoFileComp))
			}
		}
	}
}

// completeStages offers the stage names of the working tree's dds.yaml not
// named yet, and with outputs its output paths too. A dds.yaml that does not
// parse offers nothing: completion is no place for its errors.
func completeStages(g *globalOptions, outputs bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if outputs && len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		repo, _, err := openRepo(completionContext(cmd), g.dir)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		data, err := os.ReadFile(filepath.Join(repo.Root, pipeline.FileName))
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		p, err := pipeline.Parse(pipeline.FileName, data)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		named := map[string]bool{}
		for _, a := range args {
			named[a] = true
		}
		var words []cobra.Completion
		for _, s := range p.Stages {
			if !named[s.Name] && strings.HasPrefix(s.Name, toComplete) {
				words = append(words, cobra.CompletionWithDesc(s.Name, "stage"))
			}
			if outputs {
				for _, o := range s.Outs {
					if strings.HasPrefix(o, toComplete) {
						words = append(words, cobra.CompletionWithDesc(o, "output of "+s.Name))
					}
				}
			}
		}
		return words, cobra.ShellCompDirectiveNoFileComp
	}
}

// oneArg completes the first argument with fn, and nothing after it.
func oneArg(fn cobra.CompletionFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return fn(cmd, args, toComplete)
	}
}

// completeRefs offers the short names of the refs under the prefixes.
func completeRefs(g *globalOptions, prefixes ...string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		repo, _, err := openRepo(completionContext(cmd), g.dir)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		out, err := repo.Git(completionContext(cmd), append([]string{"for-each-ref", "--format=%(refname:short)"}, prefixes...)...)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var words []cobra.Completion
		for _, name := range strings.Split(string(out), "\n") {
			if name != "" && strings.HasPrefix(name, toComplete) {
				words = append(words, name)
			}
		}
		return words, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeRemotes offers the configured git dds remotes.
func completeRemotes(g *globalOptions) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		_, settings, err := openRepo(completionContext(cmd), g.dir)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var words []cobra.Completion
		for _, name := range settings.RemoteNames() {
			if strings.HasPrefix(name, toComplete) {
				words = append(words, name)
			}
		}
		return words, cobra.ShellCompDirectiveNoFileComp
	}
}

func completionContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// completeExpNames offers the experiments' names, for the first max
// arguments (all when max < 0).
func completeExpNames(g *globalOptions, max int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if max >= 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		repo, _, err := openRepo(completionContext(cmd), g.dir)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		infos, err := experiment.List(completionContext(cmd), repo)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var words []cobra.Completion
		for _, in := range infos {
			if strings.HasPrefix(in.Name, toComplete) {
				words = append(words, in.Name)
			}
		}
		return words, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeFiles leaves the completion of file names to the shell.
func completeFiles(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveDefault
}
