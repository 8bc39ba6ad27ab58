package graph

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"

	"github.com/git-dds/git-dds/internal/ui"
)

//go:embed page.html.tmpl
var pageTemplate string

// WriteHTML draws g as one self-contained page: the SVG of RenderSVG, a
// legend of the classes shown and a table of the stages, with inline
// styles only. The page loads nothing: its Content-Security-Policy forbids
// it. Hovering a node shows its signature and details.
func WriteHTML(w io.Writer, g *Graph) error {
	page, err := template.New("page").Parse(pageTemplate)
	if err != nil {
		return fmt.Errorf("the graph page template: %w", err)
	}
	type row struct {
		Node
		Class Class
	}
	data := struct {
		*Graph
		SVG    template.HTML
		Legend []Class
		Rows   []row
	}{Graph: g, SVG: template.HTML(RenderSVG(g))} // RenderSVG escapes every text it writes
	used := map[string]bool{}
	for _, n := range g.Nodes {
		used[n.Class] = true
		short := n
		short.Signature = ui.ShortID(n.Signature)
		data.Rows = append(data.Rows, row{Node: short, Class: g.class(n.Class)})
	}
	for _, c := range g.Classes {
		if used[c.Name] {
			data.Legend = append(data.Legend, c)
		}
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, data); err != nil {
		return fmt.Errorf("writing the graph page: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}
