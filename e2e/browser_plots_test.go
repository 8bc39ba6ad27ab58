package e2e

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/chromedp/chromedp"
	"github.com/rogpeppe/go-internal/testscript"
)

// drawnChart is one figure of a plots page as the browser shows it.
type drawnChart struct {
	Caption string   `json:"caption"`
	Texts   []string `json:"texts"` // the text of its SVG: title, ticks, labels, legend
	Lines   []string `json:"lines"` // the stroke colour of each drawn line (legend samples too)
	Width   float64  `json:"width"` // its size on the page, in CSS pixels
	Height  float64  `json:"height"`
}

// cmdBrowsePlots opens a plots page in headless Chromium and asserts its
// charts, in order: each PATH=REF,... names a figure whose caption starts
// with PATH, whose SVG is painted and names every REF, with a line of its
// own for each (and its legend's sample). The page may write nothing to
// the console and request nothing but itself. A screenshot is saved
// beside the page (FILE.png), which must show each line's colour:
// `browse-plots FILE PATH=REF,...`.
func cmdBrowsePlots(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: browse-plots FILE PATH=REF,...")
	}
	page := ts.MkAbs(args[0])
	// A drawn line is a stroke of colour; axes, ticks and grid are black
	// and grey.
	read := `const grey = ["rgb(0, 0, 0)", "rgb(128, 128, 128)"];
	[...document.querySelectorAll("figure")].map(f => {
		const svg = f.querySelector("svg");
		const r = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
		return {caption: f.querySelector("figcaption").textContent,
			texts: svg ? [...svg.querySelectorAll("text")].map(t => t.textContent) : [],
			lines: svg ? [...svg.querySelectorAll("path")].map(p => p.style.stroke).filter(s => s && !grey.includes(s)) : [],
			width: r.width, height: r.height};
	})`
	withBrowser(ts, func(b *browser) {
		if err := chromedp.Do(b.ctx, chromedp.Navigate(fileURL(page))); err != nil {
			ts.Fatalf("opening %s: %v", args[0], err)
		}
		charts, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]drawnChart](read))
		if err != nil {
			ts.Fatalf("reading the charts of %s: %v", args[0], err)
		}
		ts.Logf("the page shows %+v", charts)
		if len(charts) != len(args)-1 {
			ts.Fatalf("the page shows %d charts, want %d", len(charts), len(args)-1)
		}
		var colours []string
		for i, want := range args[1:] {
			path, refs, ok := strings.Cut(want, "=")
			if !ok {
				ts.Fatalf("want PATH=REF,..., got %q", want)
			}
			c := charts[i]
			if !strings.HasPrefix(c.Caption, path+" ") {
				ts.Fatalf("chart %d is %q, want %s", i+1, c.Caption, path)
			}
			if c.Width <= 0 || c.Height <= 0 {
				ts.Fatalf("the chart of %s is drawn with no size", path)
			}
			names := strings.Split(refs, ",")
			for _, ref := range names {
				if !slices.Contains(c.Texts, ref) {
					ts.Fatalf("the chart of %s does not name %s: %q", path, ref, c.Texts)
				}
			}
			// Each ref's line and its legend sample: two strokes of one colour.
			distinct := slices.Compact(slices.Sorted(slices.Values(c.Lines)))
			if len(distinct) != len(names) || len(c.Lines) < 2*len(names) {
				ts.Fatalf("the chart of %s draws lines in %q, want one colour per ref (%s), each a line and a legend sample", path, c.Lines, refs)
			}
			colours = append(colours, distinct...)
		}
		shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			ts.Fatalf("taking a screenshot of %s: %v", args[0], err)
		}
		if err := os.WriteFile(page+".png", shot, 0o644); err != nil {
			ts.Fatalf("saving the screenshot: %v", err)
		}
		var hex []string
		for _, c := range slices.Compact(slices.Sorted(slices.Values(colours))) {
			hex = append(hex, rgbToHex(ts, c))
		}
		assertColoursShown(ts, shot, hex)
		b.assertQuiet(ts, fileURL(page))
	})
}

// rgbToHex turns a CSS "rgb(R, G, B)" into "#rrggbb".
func rgbToHex(ts *testscript.TestScript, rgb string) string {
	var r, g, b int
	if _, err := fmt.Sscanf(rgb, "rgb(%d, %d, %d)", &r, &g, &b); err != nil {
		ts.Fatalf("a line colour %q is not rgb(): %v", rgb, err)
	}
	return fmt.Sprintf("#%02x%02x%02x", r, g, b)
}
