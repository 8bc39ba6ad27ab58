package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/rogpeppe/go-internal/testscript"
)

// The graph checks render what git dds draws with the real tools: Debian's
// graphviz, the mermaid npm package and headless Chromium. `make
// tools-browser` (e2e/tools-browser.sh) installs them; mermaid lands in
// .tools/ at the root of the module.
const mermaidScript = "../.tools/node_modules/mermaid/dist/mermaid.min.js"

// browserTimeout bounds one browser check, start to screenshot.
const browserTimeout = 90 * time.Second

// toolCondition answers `[tool:dot]`, `[tool:chromium]`, `[tool:mermaid]`
// and `[tool:strace]` (which `make tools-shell` installs). Outside CI a missing tool is a skip; in CI (CI=true) it
// is an error, so that a broken install cannot pass as a skipped test.
func toolCondition(cond string) (bool, error) {
	name, ok := strings.CutPrefix(cond, "tool:")
	if !ok {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	var missing string
	installer := "make tools-browser"
	switch name {
	case "strace":
		installer = "make tools-shell"
		if _, err := exec.LookPath("strace"); err != nil {
			missing = "strace is not installed"
		}
	case "dot":
		if _, err := exec.LookPath("dot"); err != nil {
			missing = "graphviz (dot) is not installed"
		}
	case "chromium":
		if _, err := chromiumPath(); err != nil {
			missing = err.Error()
		}
	case "mermaid":
		if _, err := os.Stat(mermaidScript); err != nil {
			missing = "the mermaid npm package is not in .tools/"
		}
	default:
		return false, fmt.Errorf("unknown tool %q in condition %q; known: dot, chromium, mermaid, strace", name, cond)
	}
	if missing == "" {
		return true, nil
	}
	if os.Getenv("CI") == "true" {
		return false, fmt.Errorf("%s, and CI must run the checks that need it: %s installs it", missing, installer)
	}
	return false, nil
}

// chromiumPath finds Debian's chromium, or another Chromium-based browser.
func chromiumPath() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", errors.New("headless Chromium is not installed (no chromium on PATH)")
}

// cmdDotSVG renders a DOT file with graphviz's dot and asserts that the SVG
// has exactly one node per named stage: `dotsvg FILE STAGE...`.
func cmdDotSVG(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: dotsvg FILE STAGE...")
	}
	cmd := exec.Command("dot", "-Tsvg", ts.MkAbs(args[0]))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		ts.Fatalf("dot -Tsvg %s: %v\n%s", args[0], err, stderr.String())
	}
	if strings.Contains(strings.ToLower(stderr.String()), "error") || strings.Contains(strings.ToLower(stderr.String()), "warning") {
		ts.Fatalf("dot -Tsvg %s complained:\n%s", args[0], stderr.String())
	}
	// The SVG's node groups, read as XML: <g class="node"><title>NAME</title>.
	var svg struct {
		Groups []struct {
			Class  string `xml:"class,attr"`
			Title  string `xml:"title"`
			Groups []struct {
				Class string `xml:"class,attr"`
				Title string `xml:"title"`
			} `xml:"g"`
		} `xml:"g"`
	}
	if err := xml.Unmarshal(out, &svg); err != nil {
		ts.Fatalf("dot wrote an SVG that does not parse: %v", err)
	}
	var nodes []string
	for _, top := range svg.Groups {
		for _, g := range top.Groups {
			if strings.Fields(g.Class)[0] == "node" {
				nodes = append(nodes, g.Title)
			}
		}
	}
	ts.Logf("dot drew nodes %q", nodes)
	want := slices.Sorted(slices.Values(args[1:]))
	if got := slices.Sorted(slices.Values(nodes)); !slices.Equal(got, want) {
		ts.Fatalf("dot drew nodes %q, want %q", got, want)
	}
}

// stageClass is one `NAME=CLASS` argument: a stage and the class (state or
// merge action) its node must have.
type stageClass struct{ name, class string }

func parseStageClasses(ts *testscript.TestScript, args []string) []stageClass {
	var out []stageClass
	for _, a := range args {
		name, class, ok := strings.Cut(a, "=")
		if !ok || name == "" || class == "" {
			ts.Fatalf("want NAME=CLASS, got %q", a)
		}
		out = append(out, stageClass{name, class})
	}
	return out
}

// drawnNode is a node as the browser shows it.
type drawnNode struct {
	Label   string  `json:"label"`   // the first line of its label: the stage name
	Classes string  `json:"classes"` // its class attribute
	Title   string  `json:"title"`   // its <title>, shown on hover
	Width   float64 `json:"width"`   // its size on the page, in CSS pixels
	Height  float64 `json:"height"`
}

// checkNodes asserts that the browser drew one node per stage, each with
// its class.
func checkNodes(ts *testscript.TestScript, nodes []drawnNode, want []stageClass) {
	if len(nodes) != len(want) {
		ts.Fatalf("the page shows %d nodes, want %d: %+v", len(nodes), len(want), nodes)
	}
	for _, w := range want {
		i := slices.IndexFunc(nodes, func(n drawnNode) bool { return n.Label == w.name })
		if i < 0 {
			ts.Fatalf("no node of stage %s on the page: %+v", w.name, nodes)
		}
		n := nodes[i]
		if !slices.Contains(strings.Fields(n.Classes), w.class) {
			ts.Fatalf("stage %s is drawn with classes %q, want %s", w.name, n.Classes, w.class)
		}
		if n.Width <= 0 || n.Height <= 0 {
			ts.Fatalf("stage %s is drawn with no size (%gx%g)", w.name, n.Width, n.Height)
		}
	}
}

// browser is one headless Chromium with a fresh profile, recording what
// its page asks of the network and writes to its console.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	requests []string
	console  []string
}

// withBrowser starts Chromium as the graph checks need it: headless, no
// sandbox (CI runs as root), no GPU, nothing in the background that would
// reach the network, a fresh profile.
func withBrowser(ts *testscript.TestScript, fn func(b *browser)) {
	path, err := chromiumPath()
	if err != nil {
		ts.Fatalf("%v: make tools-browser installs it", err)
	}
	profile, err := os.MkdirTemp(ts.Getenv("WORK"), "chromium-profile-")
	if err != nil {
		ts.Fatalf("making a Chromium profile folder: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1200, 800),
	)
	defer cancelAlloc()
	b := &browser{}
	tab, cancelTab := chromedp.NewContext(alloc, chromedp.WithListener(b.record))
	defer cancelTab()
	b.ctx = tab
	fn(b)
}

// record runs in the tab's event loop: it only notes what happened.
func (b *browser) record(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, e.Request.URL)
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning || e.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range e.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			b.console = append(b.console, fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " ")))
		}
	case *runtime.EventExceptionThrown:
		text := e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			text += " " + e.ExceptionDetails.Exception.Description
		}
		b.console = append(b.console, "exception: "+text)
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
			b.console = append(b.console, fmt.Sprintf("%s %s: %s", e.Entry.Source, e.Entry.Level, e.Entry.Text))
		}
	}
}

// assertQuiet fails on any console error or warning, and on any request
// but for the files the page is allowed to read.
func (b *browser) assertQuiet(ts *testscript.TestScript, allowed ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.console) > 0 {
		ts.Fatalf("the page wrote to the console:\n%s", strings.Join(b.console, "\n"))
	}
	for _, u := range b.requests {
		if !slices.Contains(allowed, u) {
			ts.Fatalf("the page made a request it should not: %s (allowed: %q)", u, allowed)
		}
	}
}

func fileURL(path string) string { return "file://" + filepath.ToSlash(path) }

// cmdMermaid renders a Mermaid file with the mermaid package in headless
// Chromium, which must parse it and draw one node per stage with its
// class: `mermaid FILE NAME=CLASS...`.
func cmdMermaid(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: mermaid FILE NAME=CLASS...")
	}
	want := parseStageClasses(ts, args[1:])
	source := ts.ReadFile(args[0])
	script, err := filepath.Abs(mermaidScript)
	if err != nil {
		ts.Fatalf("%v", err)
	}
	page := filepath.Join(ts.Getenv("WORK"), "mermaid-render.html")
	html := `<!DOCTYPE html><html><head><meta charset="utf-8"><script src="` + fileURL(script) + `"></script></head>` +
		`<body><div id="out"></div></body></html>`
	if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
		ts.Fatalf("writing the render page: %v", err)
	}
	quoted, _ := json.Marshal(source)
	render := `(async () => {
		mermaid.initialize({startOnLoad: false, securityLevel: "strict"});
		await mermaid.parse(` + string(quoted) + `);
		const {svg} = await mermaid.render("dds", ` + string(quoted) + `);
		const out = document.getElementById("out");
		out.innerHTML = svg;
		const root = out.querySelector("svg");
		if (!root || root.getAttribute("aria-roledescription") !== "flowchart-v2") {
			throw new Error("mermaid drew no flowchart: " + out.innerHTML.slice(0, 300));
		}
		return [...out.querySelectorAll("g.node")].map(n => {
			const label = n.querySelector(".nodeLabel") || n.querySelector("text");
			const r = n.getBoundingClientRect();
			return {label: label.innerText.split("\n")[0].trim(), classes: n.getAttribute("class"),
				title: "", width: r.width, height: r.height};
		});
	})()`
	withBrowser(ts, func(b *browser) {
		if err := chromedp.Do(b.ctx, chromedp.Navigate(fileURL(page))); err != nil {
			ts.Fatalf("opening the render page: %v", err)
		}
		nodes, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]drawnNode](render, chromedp.EvalAwaitPromise))
		if err != nil {
			ts.Fatalf("mermaid %s could not render %s: %v\n%s", mermaidVersion(), args[0], err, source)
		}
		ts.Logf("mermaid %s drew %+v", mermaidVersion(), nodes)
		checkNodes(ts, nodes, want)
		b.assertQuiet(ts, fileURL(page), fileURL(script))
	})
}

// mermaidVersion is the version of the installed mermaid package, for
// messages.
func mermaidVersion() string {
	data, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(mermaidScript)), "package.json"))
	if err != nil {
		return "(unknown version)"
	}
	var pkg struct{ Version string }
	if json.Unmarshal(data, &pkg) != nil {
		return "(unknown version)"
	}
	return pkg.Version
}

// cmdBrowse opens an HTML page in headless Chromium and asserts that it
// shows one node per stage with its class and a hover title naming its
// signature, writes nothing to the console and requests nothing but
// itself. It saves a screenshot beside the page (FILE.png), which must
// show each class's fill colour: `browse FILE NAME=CLASS...`.
func cmdBrowse(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: browse FILE NAME=CLASS...")
	}
	want := parseStageClasses(ts, args[1:])
	page := ts.MkAbs(args[0])
	read := `[...document.querySelectorAll("figure svg g.node")].map(n => {
		const title = n.querySelector(":scope > title");
		const r = n.getBoundingClientRect();
		return {label: n.querySelector("text").textContent.trim(), classes: n.getAttribute("class"),
			title: title ? title.textContent : "", width: r.width, height: r.height};
	})`
	withBrowser(ts, func(b *browser) {
		if err := chromedp.Do(b.ctx, chromedp.Navigate(fileURL(page))); err != nil {
			ts.Fatalf("opening %s: %v", args[0], err)
		}
		nodes, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]drawnNode](read))
		if err != nil {
			ts.Fatalf("reading the nodes of %s: %v", args[0], err)
		}
		ts.Logf("the page shows %+v", nodes)
		checkNodes(ts, nodes, want)
		for _, n := range nodes {
			if !strings.HasPrefix(n.Title, n.Label+"\n") || !strings.Contains(n.Title, "\nsignature ") {
				ts.Fatalf("stage %s has the hover title %q, want its name and signature", n.Label, n.Title)
			}
		}
		shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			ts.Fatalf("taking a screenshot of %s: %v", args[0], err)
		}
		if err := os.WriteFile(page+".png", shot, 0o644); err != nil {
			ts.Fatalf("saving the screenshot: %v", err)
		}
		fills, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...new Set([...document.querySelectorAll("figure svg g.node rect, figure svg g.node path, figure svg g.node polygon")].map(p => p.getAttribute("fill")))]`))
		if err != nil {
			ts.Fatalf("reading the node colours of %s: %v", args[0], err)
		}
		assertColoursShown(ts, shot, fills)
		b.assertQuiet(ts, fileURL(page))
	})
}

// assertColoursShown fails unless the screenshot has pixels of every fill
// colour: the nodes are not only in the DOM, they were painted.
func assertColoursShown(ts *testscript.TestScript, shot []byte, fills []string) {
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		ts.Fatalf("the screenshot is not a PNG: %v", err)
	}
	for _, fill := range fills {
		var r, g, b uint8
		if _, err := fmt.Sscanf(fill, "#%02x%02x%02x", &r, &g, &b); err != nil {
			continue // none, or a named colour
		}
		if !hasColour(img, r, g, b) {
			ts.Fatalf("the screenshot shows no pixel of the node colour %s", fill)
		}
	}
}

func hasColour(img image.Image, r, g, b uint8) bool {
	near := func(a uint32, want uint8) bool {
		d := int(a>>8) - int(want)
		return d >= -2 && d <= 2
	}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if near(pr, r) && near(pg, g) && near(pb, b) {
				return true
			}
		}
	}
	return false
}

// cmdExample copies FILE to NAME in the folder DDS_GRAPH_EXAMPLE names,
// when it names one: `make docs-graph` refreshes the README's pictures
// from what the real binary drew. Otherwise it does nothing:
// `example FILE NAME`.
func cmdExample(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: example FILE NAME")
	}
	dir := os.Getenv("DDS_GRAPH_EXAMPLE")
	if dir == "" {
		return
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	if err != nil {
		ts.Fatalf("reading the example: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, args[1]), data, 0o644); err != nil {
		ts.Fatalf("writing the example: %v", err)
	}
}
