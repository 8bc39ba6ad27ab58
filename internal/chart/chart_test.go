package chart

import (
	"bytes"
	"encoding/binary"
	"image/png"
	"math"
	"regexp"
	"strings"
	"testing"
)

func example() Chart {
	return Chart{Title: "out/loss.csv", XLabel: "step", YLabel: "loss", Lines: []Line{
		{Name: "main", X: []float64{0, 1, 2, 3}, Y: []float64{1, 0.5, 0.3, 0.2}},
		{Name: "exp <&>", X: []float64{0, 1, 2, 3}, Y: []float64{1, math.NaN(), 0.4, 0.1}},
	}}
}

// strokes counts the drawn lines of an SVG by colour: gonum writes each
// as a path with a stroke of its colour.
func strokes(svg string) map[string]int {
	got := map[string]int{}
	for _, m := range regexp.MustCompile(`<path d="M[^"]*L[^"]*" style="[^"]*stroke:(#[0-9A-F]{6})`).FindAllStringSubmatch(svg, -1) {
		got[m[1]]++
	}
	return got
}

func TestSVG(t *testing.T) {
	var buf bytes.Buffer
	if err := SVG(&buf, example()); err != nil {
		t.Fatal(err)
	}
	svg := buf.String()
	for _, want := range []string{">main<", ">exp &lt;&amp;&gt;<", ">out/loss.csv<", ">step<", ">loss<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the SVG has no %q", want)
		}
	}
	if strings.Contains(svg, "exp <&>") {
		t.Error("a name is written unescaped")
	}
	got := strokes(svg)
	// main is one path; exp is cut at its gap into a point and a path;
	// each has its legend's sample too.
	if got["#0072B2"] != 2 || got["#D55E00"] != 2 {
		t.Errorf("paths by colour: %v", got)
	}
}

func TestPNG(t *testing.T) {
	var buf bytes.Buffer
	if err := PNG(&buf, example()); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 300 {
		t.Errorf("the PNG is %v", b)
	}
}

func TestPageIsSelfContained(t *testing.T) {
	var buf bytes.Buffer
	figs := []Figure{{Heading: "out/loss.csv (stage train)", Chart: example(), Notes: []string{"lr3: stale"}},
		{Heading: "out/bad.csv", Error: "out/bad.csv:3: not valid CSV"},
		{Heading: "out/wide.csv", Chart: Chart{Lines: []Line{{Name: "a", X: []float64{-1e308, 1e308}, Y: []float64{0, 1}}}}}}
	if err := Page(&buf, "git dds plots", figs, []string{"stale: run it"}); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{"<svg ", "<figcaption>out/loss.csv (stage train)</figcaption>", `<p class="note">lr3: stale</p>`,
		`<p class="error">out/bad.csv:3: not valid CSV</p>`, "too wide to draw", `<p class="note">stale: run it</p>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page has no %q", want)
		}
	}
	for _, bad := range []string{"<script", "src=", "href=", "<?xml"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page has %q", bad)
		}
	}
}

func TestLimits(t *testing.T) {
	if err := SVG(&bytes.Buffer{}, Chart{Lines: []Line{{Name: "a", X: []float64{1}, Y: nil}}}); err == nil {
		t.Error("a line of unequal lengths was drawn")
	}
	big := make([]float64, MaxPoints+1)
	if err := SVG(&bytes.Buffer{}, Chart{Lines: []Line{{Name: "a", X: big, Y: big}}}); err == nil || !strings.Contains(err.Error(), "points, over") {
		t.Errorf("too many points: %v", err)
	}
}

// FuzzSVG draws lines of any values: an error or a chart, never a panic.
func FuzzSVG(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f})
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		var xs, ys []float64
		for i := 0; i+16 <= len(data) && len(xs) < 64; i += 16 {
			xs = append(xs, math.Float64frombits(binary.LittleEndian.Uint64(data[i:])))
			ys = append(ys, math.Float64frombits(binary.LittleEndian.Uint64(data[i+8:])))
		}
		_ = SVG(&bytes.Buffer{}, Chart{Title: "t", Lines: []Line{{Name: "a", X: xs, Y: ys}, {Name: "b", X: ys, Y: xs}}})
	})
}
