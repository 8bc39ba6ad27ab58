package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/pin"
	"github.com/git-dds/git-dds/internal/ui"
	"github.com/git-dds/git-dds/internal/workspace"
)

type pinOptions struct {
	output     string
	check      bool
	endpoint   string
	region     string
	maxObjects int
}

func newPinCommand(g *globalOptions) *cobra.Command {
	opts := &pinOptions{}
	cmd := &cobra.Command{
		Use:   "pin (URL [-o FILE] | --check [FILE...])",
		Short: "Pin data on object storage in a committed file, or check the pins",
		Long: `git dds pin URL lists the data under URL (s3://BUCKET/PREFIX/,
gs://, azblob://, or file:///PATH/ for a folder) and prints a pin: a
small text file to commit, which stands for that data in git. With -o
FILE, it writes FILE and stages it in git's index. List the
pin in a stage's deps: like any tracked file, its content enters the
stage's signature, so re-pinning after the source changed makes the
stage and its dependents stale.

A pin names each object's key, size, ETag (a folder's files: their
modification time) and, where the bucket keeps versions, version id,
with a digest over them. Where the source is a Delta table (it holds
_delta_log/), the pin names the newest log version instead; an Iceberg
table (metadata/*.metadata.json): its newest metadata file. A source
with more objects than --max-objects is refused: pin a narrower prefix
or a table.

The URL must carry no credential, query or fragment: credentials come
from the AWS (GCS, Azure) environment or credential files. An s3:// URL
is reached through --endpoint and --region, or else those of the
default dds remote when it is on s3://.

git dds pin --check [FILE...] lists each pinned source again (every
tracked *.pin file when none is named) and says which no longer match
their pin, and how to re-pin. It is the only command that asks a
source anything: git dds status never does, so that it costs no
request, as dvc status without -c.

--json prints the pin as {"kind", "url", "objects", "bytes", "digest",
"pointer"}; with --check, one row per pin: {"file", "url", "kind",
"matches", "added", "removed", "changed"}.

Exit status: 1 when --check finds a source that no longer matches.`,
		Example: `  # pin a prefix of a bucket, and depend on it in dds.yaml (deps: [data/raw.pin])
  git dds pin s3://acme-raw/events/ -o data/raw.pin
  git commit -m 'raw events, pinned'

  # has any pinned source changed since it was pinned?
  git dds pin --check

  # it has: pin it again, and recompute what depends on it
  git dds pin s3://acme-raw/events/ -o data/raw.pin && git dds run`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPin(cmd.Context(), g, opts, args)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.output, "output", "o", "", "write the pin to FILE rather than to stdout")
	f.BoolVar(&opts.check, "check", false, "list each pinned source again and compare it with its pin")
	f.StringVar(&opts.endpoint, "endpoint", "", "an S3-compatible server, such as http://127.0.0.1:9000")
	f.StringVar(&opts.region, "region", "", "the region of an s3:// source")
	f.IntVar(&opts.maxObjects, "max-objects", pin.DefaultMaxObjects, "refuse a source with more objects than this")
	return cmd
}

func runPin(ctx context.Context, g *globalOptions, opts *pinOptions, args []string) error {
	if opts.maxObjects <= 0 {
		return usageError{err: fmt.Errorf("--max-objects %d: give a positive count", opts.maxObjects)}
	}
	src := workspace.SourceOptions{Endpoint: opts.endpoint, Region: opts.region, MaxObjects: opts.maxObjects}
	if !opts.check && len(args) != 1 {
		return usageError{err: fmt.Errorf("git dds pin takes one URL, or --check and pin files")}
	}
	if opts.check && opts.output != "" {
		return usageError{err: fmt.Errorf("--check writes no pin: drop -o")}
	}
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return err
	}
	if opts.check {
		files := make([]string, len(args))
		for i, a := range args {
			if files[i], err = repoPath(ws, g, a); err != nil {
				return err
			}
		}
		return checkPins(ctx, g, ws, files, src)
	}
	p, err := ws.PinSource(ctx, args[0], src)
	if err != nil {
		return err
	}
	if opts.output != "" {
		rel, err := repoPath(ws, g, opts.output)
		if err != nil {
			return err
		}
		if err := ws.SavePin(ctx, rel, p); err != nil {
			return err
		}
	}
	if g.json {
		return g.printJSON(map[string]any{"kind": p.Kind, "url": p.URL, "objects": len(p.Objects),
			"bytes": p.Bytes(), "digest": p.Digest, "pointer": p.Pointer})
	}
	if opts.output == "" {
		_, err := g.stdout.Write(pin.Format(p))
		return err
	}
	what := ui.Count(len(p.Objects), "object")
	if p.Pointer != "" {
		what = string(p.Kind) + " table at " + p.Pointer
	}
	fmt.Fprintf(g.stderr, "git dds: pinned %s (%s, %s) in %s\n", p.URL, what, ui.Bytes(p.Bytes()), opts.output)
	return nil
}

func checkPins(ctx context.Context, g *globalOptions, ws *workspace.Workspace, files []string, src workspace.SourceOptions) error {
	rows, err := ws.CheckPins(ctx, files, src)
	if err != nil {
		return err
	}
	stale := 0
	for _, r := range rows {
		if !r.Matches {
			stale++
		}
	}
	if g.json {
		if err := g.printJSON(rows); err != nil {
			return err
		}
	} else {
		err = g.report(func(w io.Writer) {
			for _, r := range rows {
				if r.Matches {
					fmt.Fprintf(w, "%s: matches %s\n", r.File, r.URL)
					continue
				}
				fmt.Fprintf(w, "%s: %s no longer matches its pin: %d added, %d removed, %d changed%s\n",
					r.File, r.URL, len(r.Added), len(r.Removed), len(r.Changed), firstKeys(r))
				fmt.Fprintf(w, "  re-pin with git dds pin %s -o %s, then git dds run recomputes what depends on it\n", r.URL, r.File)
			}
		})
		if err != nil {
			return err
		}
	}
	if stale > 0 {
		return answerNo{}
	}
	return nil
}

// firstKeys names a few of the keys that differ.
func firstKeys(r workspace.PinCheck) string {
	keys := append(append(append([]string{}, r.Added...), r.Removed...), r.Changed...)
	if len(keys) == 0 {
		return ""
	}
	const shown = 3
	if len(keys) > shown {
		return " (" + strings.Join(keys[:shown], ", ") + ", …)"
	}
	return " (" + strings.Join(keys, ", ") + ")"
}

// repoPath turns a path given on the command line, relative to where git
// dds runs, into one relative to the repository's root.
func repoPath(ws *workspace.Workspace, g *globalOptions, p string) (string, error) {
	abs := p
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(g.dir) {
			wd = filepath.Join(wd, g.dir)
		} else {
			wd = g.dir
		}
		abs = filepath.Join(wd, p)
	}
	root, err := filepath.EvalSymlinks(ws.Repo.Root)
	if err != nil {
		root = ws.Repo.Root
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(dir, filepath.Base(abs))
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == "." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || rel == ".." {
		return "", usageError{err: fmt.Errorf("%s is not a file of the repository at %s", p, ws.Repo.Root)}
	}
	return filepath.ToSlash(rel), nil
}
