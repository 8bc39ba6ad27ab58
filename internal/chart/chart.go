// Package chart draws line charts as SVG and PNG, and a self-contained
// HTML page of them, from its own plain input: it knows nothing of refs,
// stages or files. The drawing is gonum.org/v1/plot's, which writes SVG
// and PNG itself, so a page holds its charts inline and needs no script
// or network (docs/internals/design.md says why this library).
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Size of a chart: wide enough for a legend beside many steps.
const (
	Width  = 18 * vg.Centimeter
	Height = 10 * vg.Centimeter
	// pngDPI makes a PNG sharp on a README without making it large.
	pngDPI = 120
)

// MaxPoints bounds the points of one chart, across its lines: beyond it a
// page would take long to open and a reader learns nothing more.
const MaxPoints = 1_000_000

// Line is one series: Y against X, of the same length. A NaN in either
// is a gap.
type Line struct {
	Name string
	X, Y []float64
}

// Chart is one chart: a title, the names of its axes, its lines.
type Chart struct {
	Title, XLabel, YLabel string
	Lines                 []Line
}

// palette tells lines apart for most forms of colour blindness (Okabe
// and Ito's).
var palette = []color.RGBA{
	{0x00, 0x72, 0xb2, 0xff}, {0xd5, 0x5e, 0x00, 0xff}, {0x00, 0x9e, 0x73, 0xff}, {0xcc, 0x79, 0xa7, 0xff},
	{0xe6, 0x9f, 0x00, 0xff}, {0x56, 0xb4, 0xe9, 0xff}, {0x00, 0x00, 0x00, 0xff}, {0xf0, 0xe4, 0x42, 0xff},
}

// dashes tell apart the lines past the palette's colours.
var dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}}

var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// build makes the plot of c and its legend, drawn beside it rather than
// over the lines. Values too large to lay out on an axis are an error
// rather than a chart of nothing.
func build(c Chart) (*plot.Plot, *plot.Legend, error) {
	points := 0
	for _, l := range c.Lines {
		if len(l.X) != len(l.Y) {
			return nil, nil, fmt.Errorf("line %q has %d x values and %d y values", l.Name, len(l.X), len(l.Y))
		}
		points += len(l.X)
	}
	if points > MaxPoints {
		return nil, nil, fmt.Errorf("the chart %s has %d points, over %d", c.Title, points, MaxPoints)
	}
	if err := checkRange(c.Lines, func(l Line) []float64 { return l.X }); err != nil {
		return nil, nil, fmt.Errorf("the x values of %s: %w", c.Title, err)
	}
	if err := checkRange(c.Lines, func(l Line) []float64 { return l.Y }); err != nil {
		return nil, nil, fmt.Errorf("the y values of %s: %w", c.Title, err)
	}
	p := plot.New()
	p.Title.Text = c.Title
	p.X.Label.Text, p.Y.Label.Text = c.XLabel, c.YLabel
	for _, st := range []*plot.Axis{&p.X, &p.Y} {
		st.Label.TextStyle.Font = font.From(sans, 11)
		st.Tick.Label.Font = font.From(sans, 9)
	}
	p.Title.TextStyle.Font = font.From(sans, 12)
	legend := plot.NewLegend()
	legend.TextStyle.Font = font.From(sans, 10)
	legend.Top, legend.Left = true, true
	p.Add(plotter.NewGrid())
	for i, l := range c.Lines {
		style := draw.LineStyle{Color: palette[i%len(palette)], Width: vg.Points(1.5), Dashes: dashes[(i/len(palette))%len(dashes)]}
		var thumb plot.Thumbnailer
		for _, seg := range segments(l) {
			if len(seg) == 1 {
				s, err := plotter.NewScatter(seg)
				if err != nil {
					return nil, nil, err
				}
				s.GlyphStyle = draw.GlyphStyle{Color: style.Color, Radius: vg.Points(2), Shape: draw.CircleGlyph{}}
				p.Add(s)
				continue
			}
			line, err := plotter.NewLine(seg)
			if err != nil {
				return nil, nil, err
			}
			line.LineStyle = style
			p.Add(line)
			thumb = line
		}
		if thumb == nil {
			line := &plotter.Line{LineStyle: style}
			thumb = line
		}
		legend.Add(l.Name, thumb)
	}
	return p, &legend, nil
}

// legendGap is the space between the plot and its legend, margin the
// space around both.
const (
	legendGap = 8 * vg.Millimeter
	margin    = 3 * vg.Millimeter
)

// drawOn draws c on canvas: the plot on the left, its legend in a column on
// the right as wide as its longest name, up to a third of the width.
func drawOn(canvas vg.CanvasSizer, c Chart) error {
	p, legend, err := build(c)
	if err != nil {
		return err
	}
	dc := draw.New(canvas)
	dc = draw.Crop(dc, margin, -margin, margin, -margin)
	width := min(legend.Rectangle(dc).Size().X+legendGap, (dc.Max.X-dc.Min.X)/3)
	p.Draw(draw.Crop(dc, 0, -width, 0, 0))
	legend.Draw(draw.Crop(dc, dc.Max.X-dc.Min.X-width+legendGap/2, 0, 0, -legendGap))
	return nil
}

// checkRange refuses values whose span overflows: the axis could not be
// divided into ticks.
func checkRange(lines []Line, values func(Line) []float64) error {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, l := range lines {
		for _, v := range values(l) {
			if !math.IsNaN(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if lo <= hi && (math.IsInf(hi-lo, 0) || math.Abs(lo) > 1e300 || math.Abs(hi) > 1e300) {
		return fmt.Errorf("they span %g to %g, too wide to draw", lo, hi)
	}
	return nil
}

// segments cuts a line at its gaps (NaN in x or y).
func segments(l Line) []plotter.XYs {
	var out []plotter.XYs
	var cur plotter.XYs
	for i := range l.X {
		x, y := l.X[i], l.Y[i]
		if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
			if len(cur) > 0 {
				out = append(out, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, plotter.XY{X: x, Y: y})
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// SVG writes c as an SVG document.
func SVG(w io.Writer, c Chart) error {
	canvas := vgsvg.New(Width, Height)
	if err := drawOn(canvas, c); err != nil {
		return err
	}
	_, err := canvas.WriteTo(w)
	return err
}

// PNG writes c as a PNG image.
func PNG(w io.Writer, c Chart) error {
	canvas := vgimg.NewWith(vgimg.UseWH(Width, Height), vgimg.UseDPI(pngDPI))
	if err := drawOn(canvas, c); err != nil {
		return err
	}
	_, err := vgimg.PngCanvas{Canvas: canvas}.WriteTo(w)
	return err
}

// inlineSVG is c as an <svg> element to put in a page: without the XML
// prologue a document starts with.
func inlineSVG(c Chart) (string, error) {
	var buf bytes.Buffer
	if err := SVG(&buf, c); err != nil {
		return "", err
	}
	s := buf.String()
	i := strings.Index(s, "<svg")
	if i < 0 {
		return "", errors.New("the drawing has no <svg> element")
	}
	return s[i:], nil
}
