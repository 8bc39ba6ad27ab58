package chart

import (
	"html/template"
	"io"
)

// Figure is one chart of a page, under its heading, with notes under it
// (what could not be drawn, and why). A figure with Error set shows it in
// place of the chart.
type Figure struct {
	Heading string
	Chart   Chart
	Notes   []string
	Error   string
}

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #1f2328; }
figure { margin: 0 0 2em 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-weight: 600; margin-bottom: .5em; }
p.note { color: #59636e; margin: .2em 0; }
p.error { color: #cf222e; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{range .Figures}}<figure>
<figcaption>{{.Heading}}</figcaption>
{{if .Error}}<p class="error">{{.Error}}</p>
{{else if .SVG}}{{.SVG}}
{{end}}{{range .Notes}}<p class="note">{{.}}</p>
{{end}}</figure>
{{else}}<p>Nothing to draw.</p>
{{end}}{{range .Notes}}<p class="note">{{.}}</p>
{{end}}</body>
</html>
`))

// Page writes a self-contained HTML page titled title: each figure's
// chart as inline SVG, no script, nothing from the network, so it opens
// offline and can be attached to a CI run. A chart that cannot be drawn
// shows why in its place; notes go under every figure.
func Page(w io.Writer, title string, figures []Figure, notes []string) error {
	type shown struct {
		Heading, Error string
		SVG            template.HTML
		Notes          []string
	}
	data := struct {
		Title   string
		Figures []shown
		Notes   []string
	}{Title: title, Notes: notes}
	for _, f := range figures {
		s := shown{Heading: f.Heading, Error: f.Error, Notes: f.Notes}
		if s.Error == "" && len(f.Chart.Lines) > 0 {
			svg, err := inlineSVG(f.Chart)
			if err != nil {
				s.Error = err.Error()
			}
			// The SVG is gonum's drawing, whose text it escapes.
			s.SVG = template.HTML(svg)
		}
		data.Figures = append(data.Figures, s)
	}
	return page.Execute(w, data)
}
