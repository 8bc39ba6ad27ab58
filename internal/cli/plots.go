package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/google/renameio/v2"
	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/chart"
	"github.com/git-dds/git-dds/internal/results"
)

type plotsOptions struct {
	offline bool
	html    bool
	output  string
	open    bool
	svg     string
	png     string
}

func newPlotsCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plots",
		Short: "Draw the plots files of branches, one chart per file, read from the store",
		Long: `plots draws the plots files stages declare (plots: in dds.yaml) as each ref computed them:
from the store, by the ref's signatures, without checking anything out. A ref is a branch, tag or
commit; WORKTREE is the working tree.

A plots file is a series, a row per step: CSV or TSV with a header of column names, JSON (a list
of objects, one per row, or an object holding one such list) or YAML (a list of mappings). The
chart draws the column its stage names as x (the first column by default, or the row number,
"step", when the file has one column) against each column named as y (by default every other
column of numbers): see plots in docs/dds-yaml.md.`,
		Args: unknownCommand,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newPlotsShowCommand(g), newPlotsDiffCommand(g))
	return cmd
}

const plotsOutputHelp = `By default a table sums up each file: per ref, its state, its points and the last value of
each line. --html prints a self-contained HTML page (no script, nothing from the network) with a
chart per plots file and a line per ref, -o FILE writes it to FILE, and --open writes it and opens
it in the browser. --svg DIR and --png DIR write each chart to DIR as a file named after the plots
file (out/loss.csv gives out_loss.csv.svg). --json prints the series.

A ref whose stage is not computed here is said so under its chart: stale (git dds run on it
computes it), remote (the default remote holds it; its values are read from there and drawn, and
git dds fetch --rev REF brings the computation) or lost. A plots file that cannot be read is
reported with its file, line and what is wrong, and the command then exits with status 2.`

func newPlotsShowCommand(g *globalOptions) *cobra.Command {
	opts := &plotsOptions{}
	cmd := &cobra.Command{
		Use:   "show [REF...]",
		Short: "Draw the plots files of refs (default: the working tree)",
		Long: `show draws, for each plots file, a chart with a line per ref (the working tree by default),
each read from the store by the ref's signatures, whatever is checked out.

` + plotsOutputHelp,
		Example: `  # the loss of the working tree, as a page opened in the browser
  git dds plots show --open

  # the charts of main as PNG files for a README
  git dds plots show main --png docs/plots`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{results.Worktree}
			}
			return runPlots(cmd.Context(), g, opts, args)
		},
	}
	opts.addFlags(cmd)
	cmd.ValidArgsFunction = completeRefArgs(g, -1)
	return cmd
}

func newPlotsDiffCommand(g *globalOptions) *cobra.Command {
	opts := &plotsOptions{}
	cmd := &cobra.Command{
		Use:   "diff [REF...]",
		Short: "Overlay the plots files of refs (default: HEAD and the working tree)",
		Long: `diff overlays the series of refs on one chart per plots file, a line per ref: HEAD and the
working tree (WORKTREE) by default, or the refs named, each read from the store by its
signatures without checking anything out.

` + plotsOutputHelp,
		Example: `  # the loss of two branches on one chart, in the browser
  git dds plots diff main lr-0.2 --open

  # the same as SVG files, and a page for a CI artifact
  git dds plots diff main lr-0.2 --svg plots/ -o plots.html`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"HEAD", results.Worktree}
			}
			return runPlots(cmd.Context(), g, opts, args)
		},
	}
	opts.addFlags(cmd)
	cmd.ValidArgsFunction = completeRefArgs(g, -1)
	return cmd
}

func (o *plotsOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&o.offline, "offline", false, "do not ask the remote which of the computations missing here it holds")
	cmd.Flags().BoolVar(&o.html, "html", false, "print a self-contained HTML page with a chart per plots file")
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "write the HTML page to FILE")
	cmd.Flags().BoolVar(&o.open, "open", false, "write the HTML page and open it in the browser, when there is one")
	cmd.Flags().StringVar(&o.svg, "svg", "", "write each chart as an SVG file into DIR")
	cmd.Flags().StringVar(&o.png, "png", "", "write each chart as a PNG file into DIR")
}

// plotFigure is the chart of one plots file across refs, and what could
// not be drawn on it.
type plotFigure struct {
	file   metricsFile
	chart  chart.Chart
	notes  []string
	states map[results.State]bool
}

func runPlots(ctx context.Context, g *globalOptions, opts *plotsOptions, refs []string) error {
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return err
	}
	snaps, err := results.ReadPlots(ctx, ws, refs)
	if err != nil {
		return err
	}
	if err := askRemote(ctx, g, ws, snaps, opts.offline); err != nil {
		return err
	}
	figures := plotFigures(snaps)
	for _, out := range []struct {
		dir, ext string
		draw     func(io.Writer, chart.Chart) error
	}{{opts.svg, ".svg", chart.SVG}, {opts.png, ".png", chart.PNG}} {
		if out.dir == "" {
			continue
		}
		if err := writeCharts(g, figures, out.dir, out.ext, out.draw); err != nil {
			return err
		}
	}
	switch {
	case g.json:
		err = g.printJSON(plotsJSON(snaps))
	case opts.html || opts.output != "" || opts.open:
		var page bytes.Buffer
		if err = plotsPage(&page, figures); err == nil {
			err = writePage(ctx, g, "plots", page.Bytes(), opts.output, opts.open)
		}
	default:
		err = g.report(func(w io.Writer) { printPlots(w, snaps, figures) })
	}
	if err != nil {
		return err
	}
	return results.UnreadableErrors(snaps)
}

// plotFigures makes a chart per plots file of snaps, a line per ref and
// y column, in the order of the refs.
func plotFigures(snaps []*results.Snapshot) []plotFigure {
	var figures []plotFigure
	for _, file := range filesOf(snaps) {
		fig := plotFigure{file: file, chart: chart.Chart{Title: file.path}, states: map[results.State]bool{}}
		ys := map[string]bool{}
		for _, s := range snaps {
			f, ok := s.File(file.path)
			if !ok {
				continue
			}
			fig.states[f.State] = true
			if f.Series == nil {
				note := fmt.Sprintf("%s: %s", s.Label(), f.State)
				if f.Error != "" {
					note += ": " + f.Error
				}
				fig.notes = append(fig.notes, note)
				continue
			}
			label := s.Label()
			if f.State == results.Remote {
				label += " (remote)"
			}
			if fig.chart.XLabel == "" {
				fig.chart.XLabel = f.Series.X
			}
			for _, l := range f.Series.Lines {
				ys[l.Y] = true
				name := label
				if len(f.Series.Lines) > 1 {
					name += ": " + l.Y
				}
				fig.chart.Lines = append(fig.chart.Lines, chart.Line{Name: name, X: f.Series.Xs, Y: l.Values})
			}
		}
		if len(ys) == 1 {
			for y := range ys {
				fig.chart.YLabel = y
			}
		}
		figures = append(figures, fig)
	}
	return figures
}

// chartFile names the file of the chart of the plots file path: its path
// with the folders joined by "_", which keeps every name apart and in DIR.
func chartFile(path, ext string) string {
	return strings.ReplaceAll(path, "/", "_") + ext
}

// writeCharts writes each figure with lines into dir, each file atomically.
func writeCharts(g *globalOptions, figures []plotFigure, dir, ext string, draw func(io.Writer, chart.Chart) error) error {
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(g.dir, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("making the folder for the charts: %w", err)
	}
	for _, fig := range figures {
		if len(fig.chart.Lines) == 0 {
			continue
		}
		var buf bytes.Buffer
		if err := draw(&buf, fig.chart); err != nil {
			return fmt.Errorf("drawing %s: %w", fig.file.path, err)
		}
		path := filepath.Join(dir, chartFile(fig.file.path, ext))
		if err := renameio.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing the chart of %s: %w", fig.file.path, err)
		}
	}
	return nil
}

func plotsPage(w io.Writer, figures []plotFigure) error {
	states := map[results.State]bool{}
	var figs []chart.Figure
	for _, fig := range figures {
		for st := range fig.states {
			states[st] = true
		}
		figs = append(figs, chart.Figure{Heading: fmt.Sprintf("%s (stage %s)", fig.file.path, fig.file.stage), Chart: fig.chart, Notes: fig.notes})
	}
	if len(figs) == 0 {
		return chart.Page(w, "git dds plots", nil, []string{noPlots})
	}
	return chart.Page(w, "git dds plots", figs, stateNotes(states))
}

const noPlots = "No plots files: a stage declares them under plots: in dds.yaml"

// printPlots sums up each plots file: per ref its state, its points and
// the last value of each line.
func printPlots(w io.Writer, snaps []*results.Snapshot, figures []plotFigure) {
	if len(figures) == 0 {
		fmt.Fprintln(w, noPlots)
		return
	}
	states := map[results.State]bool{}
	for i, fig := range figures {
		if i > 0 {
			fmt.Fprintln(w)
		}
		var ys []string
		for _, s := range snaps {
			if f, ok := s.File(fig.file.path); ok && f.Series != nil {
				for _, l := range f.Series.Lines {
					if !slices.Contains(ys, l.Y) {
						ys = append(ys, l.Y)
					}
				}
			}
		}
		t := &table{header: []string{"ref", "state", "points"}}
		for _, y := range ys {
			t.header = append(t.header, "last "+y)
		}
		for _, s := range snaps {
			f, ok := s.File(fig.file.path)
			if !ok {
				continue
			}
			states[f.State] = true
			row := []string{s.Label(), string(f.State), "-"}
			for _, y := range ys {
				row = append(row, lastValue(f, y))
			}
			if f.Series != nil {
				row[2] = strconv.Itoa(f.Series.Points)
			}
			t.add(row...)
		}
		fmt.Fprintf(w, "%s (stage %s)\n", fig.file.path, fig.file.stage)
		t.print(w, false, "  ")
	}
	printStateNotes(w, states, false)
}

// lastValue is the last number of the line y of f, or "-".
func lastValue(f results.File, y string) string {
	if f.Series == nil {
		return "-"
	}
	for _, l := range f.Series.Lines {
		if l.Y != y {
			continue
		}
		for i := len(l.Values) - 1; i >= 0; i-- {
			if !math.IsNaN(l.Values[i]) {
				return strconv.FormatFloat(l.Values[i], 'g', -1, 64)
			}
		}
	}
	return "-"
}

// numbers marshals NaN, a gap, as null.
type numbers []float64

func (n numbers) MarshalJSON() ([]byte, error) {
	b := []byte{'['}
	for i, v := range n {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b = append(b, "null"...)
		} else {
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		}
	}
	return append(b, ']'), nil
}

type plotsJSONLine struct {
	Y      string  `json:"y"`
	Values numbers `json:"values"`
}

type plotsJSONRef struct {
	Ref       string          `json:"ref"`
	Commit    string          `json:"commit"`
	Signature string          `json:"signature"`
	State     results.State   `json:"state"`
	Error     string          `json:"error,omitempty"`
	X         string          `json:"x,omitempty"`
	Xs        numbers         `json:"xs,omitempty"`
	Lines     []plotsJSONLine `json:"lines,omitempty"`
}

type plotsJSONFile struct {
	Path  string         `json:"path"`
	Stage string         `json:"stage"`
	Refs  []plotsJSONRef `json:"refs"`
}

// plotsJSON is what --json prints: per plots file, per ref, its state and
// series.
func plotsJSON(snaps []*results.Snapshot) any {
	files := []plotsJSONFile{}
	for _, file := range filesOf(snaps) {
		out := plotsJSONFile{Path: file.path, Stage: file.stage, Refs: []plotsJSONRef{}}
		for _, s := range snaps {
			f, ok := s.File(file.path)
			if !ok {
				continue
			}
			r := plotsJSONRef{Ref: s.Ref, Commit: s.Commit, Signature: f.Signature, State: f.State, Error: f.Error}
			if f.Series != nil {
				r.X, r.Xs = f.Series.X, f.Series.Xs
				for _, l := range f.Series.Lines {
					r.Lines = append(r.Lines, plotsJSONLine{Y: l.Y, Values: l.Values})
				}
			}
			out.Refs = append(out.Refs, r)
		}
		files = append(files, out)
	}
	return struct {
		Plots []plotsJSONFile `json:"plots"`
	}{files}
}
