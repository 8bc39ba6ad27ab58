package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/pipeline"
)

type urlOptions struct {
	ref string
}

func newURLCommand(g *globalOptions) *cobra.Command {
	opts := &urlOptions{}
	cmd := &cobra.Command{
		Use:   "url ext:NAME",
		Short: "Print the URI of an external output of a ref, for scripts and notebooks",
		Long: `git dds url prints where the external output NAME of REF (default HEAD)
is in the lake: the URI recorded when it was computed,
<lake>/<sig[:2]>/<sig>/<attempt>/<name>/, from the index alone (no
request to the lake). A Spark job, DuckDB or a notebook reads it as it is.

The output must be computed here: run it, or pull it from a remote.

--json prints:

    {"name", "ref", "commit", "stage", "signature", "uri", "format",
     "pointer", "count", "bytes"}

where pointer is a table's current version (the newest _delta_log entry,
the newest Iceberg metadata file), relative to uri.

Exit status: 1 when the output is not computed here; 2 for a REF that
names no commit or a NAME that REF does not declare.`,
		Example: `  # the events this branch computed
  git dds url ext:events

  # main's features, read by DuckDB
  duckdb -c "SELECT count(*) FROM delta_scan('$(git dds url ext:features --ref main)')"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 || !strings.HasPrefix(args[0], pipeline.ExtPrefix) {
				return usageError{err: fmt.Errorf("%s takes one argument, ext:NAME, the external output to print", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runURL(cmd.Context(), g, opts, strings.TrimPrefix(args[0], pipeline.ExtPrefix))
		},
	}
	cmd.Flags().StringVar(&opts.ref, "ref", "HEAD", "the branch, tag or commit whose output to print")
	return cmd
}

func runURL(ctx context.Context, g *globalOptions, opts *urlOptions, name string) error {
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return err
	}
	ns, err := ws.RefNamespace(ctx, opts.ref, fullRefName(ws.Repo, opts.ref))
	if err != nil {
		return err
	}
	views, err := ws.ExternalViews(ctx, ns, []string{name})
	if err != nil {
		return err
	}
	if g.json {
		return g.printJSON(views[0])
	}
	return g.report(func(w io.Writer) { fmt.Fprintln(w, views[0].URI) })
}

type publishOptions struct {
	ref string
}

func newPublishCommand(g *globalOptions) *cobra.Command {
	opts := &publishOptions{}
	cmd := &cobra.Command{
		Use:   "publish",
		Short: "Write a view of each external output of a ref to the lake, for readers without git",
		Long: `git dds publish writes, for each external output of REF (default HEAD)
computed here, a small view object to the lake:

    <lake>/views/<ref>/<name>.json

holding the output's uri, signature, commit, stage, format, pointer
(a table's current version), count and bytes, so that a Spark job,
DuckDB or a BI tool reads "main's features" without git. Each view is
written in one atomic step (a single PUT on a bucket; a temporary file
renamed in a folder lake): a reader sees the old view or the new one.
Views are the only names in the lake that change, and hold no data.

The lake is dds.lake when set, else the lake: of REF's dds.yaml.
Outputs REF declares but that are not computed here are left out, with
a warning (a view of theirs, if any, still names an earlier
computation); with none computed, publish fails.

When REF's dds.yaml declares publish: COMMAND, it runs after the views
are written, once per view, with sh -c at the working tree's root and
the view in DDS_PUBLISH_NAME, _REF, _COMMIT, _STAGE, _SIGNATURE, _URI,
_FORMAT, _POINTER, _POINTER_URI, _COUNT, _BYTES and _VIEW, so that it
registers a table (CREATE TABLE ... LOCATION, Iceberg's register_table).
A command that fails leaves the views written: publish names the
outputs it failed for, with their last lines of output, and exits 1.

The post-merge hook runs the same for a merge into a branch that
dds.publish names (git config --add dds.publish main); there a failure
is a warning, and the merge stands.

--json prints {"ref", "views": [URI...], "uncomputed": [NAME...],
"command", "registered": [NAME...]}.

Exit status: 1 when no output of REF is computed here, or the publish:
command failed; 2 for a REF that names no commit or declares no
external output; 3 when the lake cannot be written.`,
		Example: `  # after a merge, point readers at main's outputs
  git dds publish --ref main

  # publish main's views after every merge into it, from the hook
  git config --add dds.publish main

  # what a reader then sees
  cat /srv/lake/views/main/features.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPublish(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.ref, "ref", "HEAD", "the branch or tag whose outputs to publish")
	return cmd
}

func runPublish(ctx context.Context, g *globalOptions, opts *publishOptions) error {
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return err
	}
	ref := opts.ref
	if ref == "HEAD" {
		// A view is named after a branch: HEAD's, when on one.
		if head, _, err := ws.Repo.Head(); err == nil && head != "" {
			ref = strings.TrimPrefix(head, "refs/heads/")
		}
	}
	res, err := ws.PublishRef(ctx, ref, fullRefName(ws.Repo, ref))
	if res != nil && len(res.Uncomputed) > 0 && len(res.Views) > 0 {
		fmt.Fprintf(g.stderr, "git dds: warning: %s of %s not computed here, not published (a view of it, if any, still names an earlier computation): git dds run computes what is missing, then git dds publish --ref %s\n",
			"ext:"+strings.Join(res.Uncomputed, ", ext:"), ref, ref)
	}
	if err != nil && (res == nil || len(res.Views) == 0) {
		return err
	}
	if g.json {
		if perr := g.printJSON(res); perr != nil {
			return perr
		}
		return err
	}
	if rerr := g.report(func(w io.Writer) {
		for _, uri := range res.Views {
			fmt.Fprintf(w, "published %s\n", uri)
		}
		for _, name := range res.Registered {
			fmt.Fprintf(w, "registered ext:%s (publish: command)\n", name)
		}
	}); rerr != nil {
		return rerr
	}
	return err
}
