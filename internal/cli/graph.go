package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/google/renameio/v2"
	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/graph"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/ui"
)

type graphOptions struct {
	rev     string
	format  string
	output  string
	open    bool
	offline bool
}

func newGraphCommand(g *globalOptions) *cobra.Command {
	opts := &graphOptions{}
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Draw the stage DAG, coloured by state, with sizes and times",
		Long: `git dds graph draws the stage DAG of the working tree (or of --rev):
every stage with its outputs, an edge from each stage to the stages that
read its outputs, each stage coloured by its state as git dds status
gives it, and labelled with what its computation wrote and took (the last
computation of the stage for a stale one, or never computed):

    green   fresh
    blue    cached
    violet  remote (with --offline, the remote is not asked: amber)
    amber   stale
    red     modified

Formats:

    dot      graphviz input (the default); each node's tooltip holds its
             hover text
    mermaid  a flowchart for a mermaid block in GitHub or GitLab
             markdown; any stage name or path is safe in it
    html     one self-contained page: the graph drawn as inline SVG, a
             legend and a table of the stages. It loads nothing, so it
             can be mailed or attached to a CI run. Hovering a stage
             shows its signature, the commit that computed it and what
             changed.

-o FILE writes to FILE instead of stdout; without --format, its extension
picks the format (.dot or .gv, .mmd or .mermaid, .html or .htm). --open
writes the HTML page (to FILE, or a temporary file) and opens it with the
desktop's opener (xdg-open, which honours BROWSER, or open on macOS);
with no desktop (no DISPLAY nor WAYLAND_DISPLAY, as over ssh or in CI) it
only says where the page is.

--json prints the graph itself:

    {"title", "class_label", "classes": [{"name", "meaning", "fill",
      "stroke", "dashed"?}], "nodes": [{"name", "class", "signature",
      "outputs", "upstream", "summary", "details"}]}

Exit status: 2 for a format --open cannot show.`,
		Example: `  # an SVG drawing, with graphviz
  git dds graph | dot -Tsvg > graph.svg

  # a page to open in a browser, or to attach to a CI run
  git dds graph -o graph.html

  # the DAG of the main branch, in the browser
  git dds graph --rev main --open`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGraph(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.rev, "rev", "", "draw a commit, branch or tag instead of the working tree")
	cmd.Flags().StringVar(&opts.format, "format", "", "dot, mermaid or html (default: by the -o file's extension, html with --open, else dot)")
	cmd.Flags().StringVarP(&opts.output, "output", "o", "", "write to FILE instead of stdout")
	cmd.Flags().BoolVar(&opts.open, "open", false, "write an HTML page and open it in the browser, when there is one")
	cmd.Flags().BoolVar(&opts.offline, "offline", false, "do not ask the remote which stale stages it holds")
	return cmd
}

func runGraph(ctx context.Context, g *globalOptions, opts *graphOptions) error {
	format, err := graphFormat(opts.format, opts.output, opts.open)
	if err != nil {
		return err
	}
	ws, view, rows, err := stagesOf(ctx, g, opts.rev, opts.offline, nil)
	if err != nil {
		return err
	}
	title := "Stages of commit " + ui.ShortCommit(view.Commit)
	if view.Rev == namespace.WorktreeRev {
		title = "Stages of the working tree"
		if ref, _, err := ws.Repo.Head(); err == nil && ref != "" {
			title += " of " + strings.TrimPrefix(ref, "refs/heads/")
		}
	}
	gr := statusGraph(title, view.Pipeline, rows)
	if g.json {
		return g.printJSON(gr)
	}
	return writeGraph(ctx, g, gr, format, opts.output, opts.open)
}

// graphFormat picks the format: the flag, else the output file's
// extension, else HTML for --open, else DOT.
func graphFormat(flag, output string, open bool) (graph.Format, error) {
	if flag != "" {
		f, err := graph.ParseFormat(flag)
		if err != nil {
			return "", usageError{err: err}
		}
		if open && f != graph.HTML {
			return "", usageError{err: fmt.Errorf("--open shows an HTML page; drop --format %s or use --format html", flag)}
		}
		return f, nil
	}
	if f, ok := graph.FormatOfFile(output); ok {
		if open && f != graph.HTML {
			return "", usageError{err: fmt.Errorf("--open shows an HTML page; write it to a .html file, not %s", output)}
		}
		return f, nil
	}
	if open {
		return graph.HTML, nil
	}
	return graph.DOT, nil
}

// writeGraph draws gr to output (stdout when empty) and, when asked, opens
// it in the browser; --open without -o writes a temporary page.
func writeGraph(ctx context.Context, g *globalOptions, gr *graph.Graph, format graph.Format, output string, open bool) error {
	var buf bytes.Buffer
	if err := graph.Write(&buf, gr, format); err != nil {
		return err
	}
	return writePage(ctx, g, "graph", buf.Bytes(), output, open)
}

// writePage writes page, the text of what (a graph, a table), to output
// (stdout when empty) and, when asked, opens it in the browser; open
// without an output writes a temporary HTML page.
func writePage(ctx context.Context, g *globalOptions, what string, page []byte, output string, open bool) error {
	if output == "" && !open {
		_, err := g.stdout.Write(page)
		return err
	}
	path := output
	if path == "" {
		f, err := os.CreateTemp("", "git-dds-"+what+"-*.html")
		if err != nil {
			return fmt.Errorf("making a file for the %s page: %w", what, err)
		}
		path = f.Name()
		if err := f.Close(); err != nil {
			return err
		}
	} else if !filepath.IsAbs(path) {
		// -C DIR means paths are read as if git dds had started there.
		path = filepath.Join(g.dir, path)
	}
	if err := renameio.WriteFile(path, page, 0o644); err != nil {
		return fmt.Errorf("writing the %s to %s: %w", what, path, err)
	}
	if !open {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	opened, err := openInBrowser(ctx, abs)
	switch {
	case err != nil:
		fmt.Fprintf(g.stderr, "git dds: wrote %s, but the browser did not open it (%v); open it yourself\n", abs, err)
	case !opened:
		fmt.Fprintf(g.stderr, "git dds: wrote %s; there is no browser here to open it in\n", abs)
	default:
		fmt.Fprintf(g.stderr, "git dds: opened %s\n", abs)
	}
	return nil
}

// openInBrowser asks the desktop to show path: open on macOS, xdg-open
// (which honours $BROWSER) on a Linux or BSD desktop. It reports false
// when there is no desktop to ask, as over ssh or in CI.
func openInBrowser(ctx context.Context, path string) (bool, error) {
	opener := "xdg-open"
	switch runtime.GOOS {
	case "darwin":
		opener = "open"
	case "windows":
		return false, nil
	default:
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return false, nil
		}
	}
	bin, err := exec.LookPath(opener)
	if err != nil {
		return false, nil
	}
	cmd := exec.Command(bin, path)
	if err := cmd.Start(); err != nil {
		return false, fmt.Errorf("starting %s: %w", opener, err)
	}
	// The opener normally hands the page to a browser and exits at once;
	// one that stays (a browser started in its place) is left running.
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return true, fmt.Errorf("%s: %w", opener, err)
		}
	case <-time.After(3 * time.Second):
	case <-ctx.Done():
	}
	return true, nil
}
