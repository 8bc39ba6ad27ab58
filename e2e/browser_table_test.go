package e2e

import (
	"os"
	"slices"
	"strings"

	"github.com/chromedp/chromedp"
	"github.com/rogpeppe/go-internal/testscript"
)

// cmdBrowseTable opens an HTML page in headless Chromium and asserts the
// first cell of each row of its table, in order, then that a click on the
// header named COLUMN sorts the rows as given after it, with no console
// error and no request but the page:
// A screenshot is saved beside the page (FILE.png):
// `browse-table FILE REF... [-- COLUMN REF...]`.
func cmdBrowseTable(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: browse-table FILE REF... [-- COLUMN REF...]")
	}
	page := ts.MkAbs(args[0])
	want, clicked := args[1:], []string(nil)
	if i := slices.Index(want, "--"); i >= 0 {
		want, clicked = want[:i], want[i+1:]
	}
	const refs = `[...document.querySelectorAll("table tbody tr")].map(r => r.cells[0].textContent)`
	withBrowser(ts, func(b *browser) {
		if err := chromedp.Do(b.ctx, chromedp.Navigate(fileURL(page))); err != nil {
			ts.Fatalf("opening %s: %v", args[0], err)
		}
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](refs))
		if err != nil {
			ts.Fatalf("reading the rows of %s: %v", args[0], err)
		}
		if !slices.Equal(got, want) {
			ts.Fatalf("the page shows the rows %s, want %s", strings.Join(got, " "), strings.Join(want, " "))
		}
		if len(clicked) > 0 {
			click := `[...document.querySelectorAll("table th")].filter(th => th.textContent === ` + jsString(clicked[0]) + `).forEach(th => th.click())`
			if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](click)); err != nil {
				ts.Fatalf("clicking the header %s: %v", clicked[0], err)
			}
			got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](refs))
			if err != nil {
				ts.Fatalf("reading the rows of %s: %v", args[0], err)
			}
			if !slices.Equal(got, clicked[1:]) {
				ts.Fatalf("sorted by %s, the page shows %s, want %s", clicked[0], strings.Join(got, " "), strings.Join(clicked[1:], " "))
			}
		}
		shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			ts.Fatalf("taking a screenshot of %s: %v", args[0], err)
		}
		if err := os.WriteFile(page+".png", shot, 0o644); err != nil {
			ts.Fatalf("saving the screenshot: %v", err)
		}
		b.assertQuiet(ts, fileURL(page))
	})
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
