package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/hooks"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/remote"
)

type initOptions struct {
	remote, name, endpoint string
}

func newInitCommand(g *globalOptions) *cobra.Command {
	opts := &initOptions{}
	cmd := &cobra.Command{
		Use:   "init [--remote URL [--remote-name NAME] [--endpoint URL]]",
		Short: "Set a repository up: a starter dds.yaml, the hooks, and the team's remote in .ddsconfig",
		Long: `git dds init sets git dds up in the current repository (a new one needs
git's own init first), in one step that can be run again:

- it writes a commented starter dds.yaml when there is none: one stage
  that runs as it is, and a commented example of a stage with deps,
  params and an upstream stage. A dds.yaml already there is never
  touched;
- it installs the hooks, as git dds install does;
- it git-ignores the pipeline's outputs in .git/info/exclude, never in a
  tracked .gitignore;
- with --remote URL, it writes the remote into .ddsconfig, the team's
  committed settings, so that every clone uses it: dds.remote.NAME.url
  (NAME is origin unless --remote-name says), and with --endpoint
  dds.remote.NAME.endpoint. For a file:// remote the folder is created
  if missing.

It ends by printing what to commit (.ddsconfig and dds.yaml, to stage)
and what to run next.

--json prints:

    {"wrote": [...], "kept": [...], "hooks": {...}, "to_commit": [...],
      "created": FOLDER}

Exit status: 2 when the URL or endpoint is malformed or carries a
credential (nothing is written then); 3 outside a git repository.`,
		Example: `  # in a git repository: the starter pipeline and the hooks
  git dds init

  # the same, and the team's remote on S3, for every clone
  git dds init --remote s3://acme-data/churn
  git stage .ddsconfig dds.yaml
  git commit -m 'git dds: the pipeline'

  # a remote on an S3-compatible server, such as MinIO
  git dds init --remote s3://dds/team --endpoint http://minio.internal:9000`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInit(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.remote, "remote", "", "the team's remote: s3://BUCKET/PREFIX, gs://, azblob:// or file:///PATH, written to .ddsconfig")
	cmd.Flags().StringVar(&opts.name, "remote-name", "origin", "the name of the remote written with --remote")
	cmd.Flags().StringVar(&opts.endpoint, "endpoint", "", "with an s3:// --remote: the address of an S3-compatible server, e.g. http://minio.internal:9000")
	return cmd
}

// initReport is what init did, for --json.
type initReport struct {
	Wrote    []string      `json:"wrote"`
	Kept     []string      `json:"kept"`
	Hooks    *hooks.Report `json:"hooks"`
	ToCommit []string      `json:"to_commit"`
	// Created is the folder remote's folder, when init created it.
	Created string `json:"created,omitempty"`
}

func runInit(ctx context.Context, g *globalOptions, opts *initOptions) error {
	if opts.remote == "" && (opts.endpoint != "" || opts.name != "origin") {
		return usageError{err: errors.New("--remote-name and --endpoint go with --remote URL")}
	}
	repo, _, err := openRepo(ctx, g.dir)
	if err != nil {
		return err
	}
	// The remote is checked before anything is written: a refused URL
	// leaves the repository as it was.
	var loc remote.Location
	if opts.remote != "" {
		if opts.name == "" || strings.ContainsAny(opts.name, " \t\n\"\\") {
			return usageError{err: fmt.Errorf("--remote-name %q: a remote's name is a word, such as origin", opts.name)}
		}
		c := remote.Config{Name: opts.name, URL: opts.remote, Endpoint: opts.endpoint}
		if err := c.Check(); err != nil {
			return usageError{err: fmt.Errorf("--remote: %w", err)}
		}
		loc, _ = remote.ParseURL(opts.remote)
	}
	rep := &initReport{Wrote: []string{}, Kept: []string{}, ToCommit: []string{}}

	yamlPath := filepath.Join(repo.Root, pipeline.FileName)
	f, err := os.OpenFile(yamlPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	switch {
	case errors.Is(err, fs.ErrExist):
		rep.Kept = append(rep.Kept, pipeline.FileName)
	case err != nil:
		return fmt.Errorf("writing %s: %w", yamlPath, err)
	default:
		_, err = f.WriteString(pipeline.Starter)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(yamlPath)
			return fmt.Errorf("writing %s: %w", yamlPath, err)
		}
		rep.Wrote = append(rep.Wrote, pipeline.FileName)
	}

	hr := hookRepo{repo}
	if err := os.MkdirAll(hr.StateDir(), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", hr.StateDir(), err)
	}
	if rep.Hooks, err = hooks.Install(ctx, hr, hooks.InstallOptions{}); err != nil {
		return err
	}

	if opts.remote != "" {
		section := "dds.remote." + opts.name
		if _, err := repo.Git(ctx, "config", "--file", gitref.TeamConfigFile, section+".url", opts.remote); err != nil {
			return fmt.Errorf("writing %s: %w", gitref.TeamConfigFile, err)
		}
		if opts.endpoint != "" {
			if _, err := repo.Git(ctx, "config", "--file", gitref.TeamConfigFile, section+".endpoint", opts.endpoint); err != nil {
				return fmt.Errorf("writing %s: %w", gitref.TeamConfigFile, err)
			}
		}
		rep.Wrote = append(rep.Wrote, gitref.TeamConfigFile)
		if dir := filepath.FromSlash(loc.Prefix); loc.Scheme == "file" {
			// Created on purpose, as a push would: other commands refuse
			// a folder remote whose folder is missing.
			if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return fmt.Errorf("creating the remote's folder: %w", err)
				}
				rep.Created = dir
			}
		}
	}

	// Reopened, so that the settings just written count.
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return err
	}
	// Parsed only, not evaluated: init comes before git add, and an
	// evaluation refuses deps git does not track yet.
	data, err := os.ReadFile(yamlPath)
	if err != nil {
		return err
	}
	p, err := pipeline.Parse(pipeline.FileName, data)
	if err != nil {
		return err
	}
	if err := ws.SyncExclude(ctx, p.Outs()); err != nil {
		return err
	}

	out, err := repo.Git(ctx, "status", "--porcelain", "--untracked-files=all", "--", pipeline.FileName, gitref.TeamConfigFile)
	if err != nil {
		return err
	}
	for line := range strings.Lines(string(out)) {
		if len(line) > 3 {
			rep.ToCommit = append(rep.ToCommit, strings.TrimSpace(line[3:]))
		}
	}
	if g.json {
		return g.printJSON(rep)
	}
	printInit(g, rep, opts)
	return nil
}

func printInit(g *globalOptions, rep *initReport, opts *initOptions) {
	w := g.stdout
	for _, name := range rep.Wrote {
		switch name {
		case pipeline.FileName:
			fmt.Fprintf(w, "wrote dds.yaml: a starter pipeline of one stage, with comments; make its stages yours\n")
		case gitref.TeamConfigFile:
			fmt.Fprintf(w, "wrote .ddsconfig: dds.remote.%s.url = %s, the team's remote for every clone\n", opts.name, opts.remote)
		}
	}
	for _, name := range rep.Kept {
		fmt.Fprintf(w, "kept %s as it is: git dds init never overwrites it\n", name)
	}
	if rep.Created != "" {
		fmt.Fprintf(w, "created the remote's folder %s\n", rep.Created)
	}
	fmt.Fprintf(w, "hooks in %s:\n", rep.Hooks.HooksDir)
	for _, h := range rep.Hooks.Hooks {
		fmt.Fprintf(w, "  %s\n", h)
	}
	fmt.Fprintf(w, "outputs are git-ignored in .git/info/exclude: never commit them\n")
	if len(rep.ToCommit) > 0 {
		fmt.Fprintf(w, "commit these for the team:\n  git add %s\n  git commit -m 'git dds: the pipeline'\n", strings.Join(rep.ToCommit, " "))
	}
	fmt.Fprintf(w, "then: git dds run, and git dds status\n")
}
