package graph

import (
	"fmt"
	"html"
	"strings"
)

// monospace lists fonts whose advance the layout assumed; every system has
// one of them.
const monospace = `ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace`

// edgeColor draws edges and arrows.
const edgeColor = "#6b7280"

// RenderSVG lays g out and draws it as one <svg> element, ready to inline
// in HTML: a group per node (id n0, n1... in node order, class "node" and
// the node's class), whose <title> browsers show on hover.
func RenderSVG(g *Graph) string {
	d := layout(g)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" role="img" aria-label="%s">`+"\n",
		num(d.width), num(d.height), num(d.width), num(d.height), html.EscapeString(g.Title))
	fmt.Fprintf(&b, `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">`+
		`<path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker></defs>`+"\n", edgeColor)
	for e, uv := range g.edges() {
		fmt.Fprintf(&b, `<g class="edge"><title>%s → %s</title><path d="%s" fill="none" stroke="%s" stroke-width="1.3" marker-end="url(#arrow)"/></g>`+"\n",
			html.EscapeString(g.Nodes[uv[0]].Name), html.EscapeString(g.Nodes[uv[1]].Name), curve(d.edges[e]), edgeColor)
	}
	for i, n := range g.Nodes {
		c, bx := g.class(n.Class), d.boxes[i]
		fmt.Fprintf(&b, `<g id="%s" class="node %s">`, nodeID(i), html.EscapeString(n.Class))
		fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(strings.Join(g.hover(n), "\n")))
		dash := ""
		if c.Dashed {
			dash = ` stroke-dasharray="5 3"`
		}
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" rx="7" fill="%s" stroke="%s" stroke-width="1.6"%s/>`,
			num(bx.x), num(bx.y), num(bx.w), num(bx.h), c.Fill, c.Stroke, dash)
		name, rest := n.labelLines()
		cx, y := bx.x+bx.w/2, bx.y+padY+nameSize
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" font-family='%s' font-size="%s" font-weight="bold" fill="%s">%s</text>`,
			num(cx), num(y), monospace, num(nameSize), textColor, html.EscapeString(name))
		y += nameSize * (lineSpace - 1)
		for _, line := range rest {
			y += textSize * lineSpace
			fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" font-family='%s' font-size="%s" fill="%s">%s</text>`,
				num(cx), num(y), monospace, num(textSize), textColor, html.EscapeString(line))
		}
		b.WriteString("</g>\n")
	}
	b.WriteString("</svg>")
	return b.String()
}

// curve draws a polyline as cubic Béziers that leave and reach each point
// horizontally, as edges between columns do.
func curve(pts []point) string {
	if len(pts) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "M%s,%s", num(pts[0].x), num(pts[0].y))
	for k := 1; k < len(pts); k++ {
		a, c := pts[k-1], pts[k]
		mid := (c.x - a.x) / 2
		fmt.Fprintf(&b, " C%s,%s %s,%s %s,%s", num(a.x+mid), num(a.y), num(c.x-mid), num(c.y), num(c.x), num(c.y))
	}
	return b.String()
}

// num writes a coordinate to a tenth of a pixel.
func num(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	s = strings.TrimSuffix(s, ".0")
	if s == "-0" {
		return "0"
	}
	return s
}
