package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/namespace"
)

type lsOptions struct {
	ref string
}

func newLsCommand(g *globalOptions) *cobra.Command {
	opts := &lsOptions{}
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List a branch's namespace: output path → signature",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLs(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.ref, "ref", "HEAD", "the branch, tag or commit whose namespace to list")
	return cmd
}

type lsArtifact struct {
	Path      string `json:"path"`
	Stage     string `json:"stage"`
	Signature string `json:"signature"`
}

type lsJSON struct {
	Ref       string       `json:"ref"`
	Commit    string       `json:"commit"`
	Artifacts []lsArtifact `json:"artifacts"`
}

func runLs(ctx context.Context, g *globalOptions, opts *lsOptions) error {
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return err
	}
	view, err := namespace.Load(ctx, ws.Repo, opts.ref, ws.Env)
	if err != nil {
		return err
	}
	out := lsJSON{Ref: opts.ref, Commit: view.Commit, Artifacts: []lsArtifact{}}
	for _, sv := range view.Stages {
		for _, o := range sv.Stage.Outs {
			out.Artifacts = append(out.Artifacts, lsArtifact{Path: o, Stage: sv.Stage.Name, Signature: sv.Signature})
		}
	}
	if g.json {
		return g.printJSON(out)
	}
	fmt.Fprintf(g.stdout, "%s at %s\n", opts.ref, short(view.Commit))
	tw := tabwriter.NewWriter(g.stdout, 2, 8, 2, ' ', 0)
	for _, a := range out.Artifacts {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", a.Path, a.Stage, short(a.Signature))
	}
	return tw.Flush()
}
