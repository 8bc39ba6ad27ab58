package graph

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"strings"
)

// WriteDOT draws g for graphviz (`dot -Tsvg`): one box per stage, filled
// with its class's colour, its hover text as the node's tooltip.
func WriteDOT(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	if g.Title != "" {
		fmt.Fprintf(bw, "// %s\n", strings.ReplaceAll(g.Title, "\n", " "))
	}
	fmt.Fprintln(bw, "digraph dds {")
	fmt.Fprintf(bw, "  graph [rankdir=LR, nodesep=0.35, ranksep=0.55, fontname=%s];\n", dotString(fontName))
	fmt.Fprintf(bw, "  node [shape=box, style=\"rounded,filled\", penwidth=1.6, margin=\"0.25,0.08\", fontsize=11, fontname=%s, fontcolor=%s];\n",
		dotString(fontName), dotString(textColor))
	fmt.Fprintf(bw, "  edge [color=%s, arrowsize=0.7];\n", dotString(edgeColor))
	for i, n := range g.Nodes {
		c := g.class(n.Class)
		style := "rounded,filled"
		if c.Dashed {
			style += ",dashed"
		}
		fmt.Fprintf(bw, "  %s [id=%s, class=%s, style=%s, fillcolor=%s, color=%s, label=%s",
			dotString(n.Name), dotString(nodeID(i)), dotString(n.Class), dotString(style),
			dotString(c.Fill), dotString(c.Stroke), dotLabel(n))
		fmt.Fprintf(bw, ", tooltip=%s];\n", dotString(strings.Join(g.hover(n), "\n")))
	}
	for _, e := range g.edges() {
		fmt.Fprintf(bw, "  %s -> %s;\n", dotString(g.Nodes[e[0]].Name), dotString(g.Nodes[e[1]].Name))
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}

// nodeID is the id of a node in DOT's and RenderSVG's SVG.
func nodeID(i int) string { return fmt.Sprintf("n%d", i) }

// dotString quotes s as a DOT string. Graphviz reads backslash escapes in
// labels and tooltips (\n, \l, \N...), so a backslash is doubled to stay one.
func dotString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
		default:
			if r < 0x20 || r == 0x7f {
				// graphviz reads strings as C does: a NUL would end one.
				r = '\uFFFD'
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// dotLabel is an HTML-like label: the stage name in bold, then its outputs
// and summary in a smaller size. HTML-like labels escape like HTML, which
// leaves no character of a name or path special.
func dotLabel(n Node) string {
	name, rest := n.labelLines()
	var b strings.Builder
	b.WriteString("<<b>")
	b.WriteString(dotHTML(name))
	b.WriteString("</b>")
	for _, line := range rest {
		b.WriteString(`<br/><font point-size="9">`)
		b.WriteString(dotHTML(line))
		b.WriteString("</font>")
	}
	b.WriteString(">")
	return b.String()
}

// dotHTML escapes text for an HTML-like label. Graphviz's label parser
// reads numeric character references, and an empty label element is
// invalid, so an empty line becomes a space.
func dotHTML(s string) string {
	if s == "" {
		return " "
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
			// Control characters are not allowed in XML, even as references.
			b.WriteString("\uFFFD")
		case r == '&' || r == '<' || r == '>' || r == '"' || r == '\'':
			b.WriteString(html.EscapeString(string(r)))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
