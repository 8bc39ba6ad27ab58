package graph

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// WriteMermaid draws g as a Mermaid flowchart, as GitHub and GitLab render
// in a ```mermaid block: one classDef per class, each node in its class.
// Nodes get generated ids (s0, s1...) since a stage may be called like a
// Mermaid keyword (end, graph, class).
func WriteMermaid(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	if g.Title != "" {
		fmt.Fprintf(bw, "%%%% %s\n", strings.ReplaceAll(g.Title, "\n", " "))
	}
	fmt.Fprintln(bw, "flowchart LR")
	for i, n := range g.Nodes {
		name, rest := n.labelLines()
		lines := []string{mermaidText(name)}
		for _, l := range rest {
			lines = append(lines, mermaidText(l))
		}
		fmt.Fprintf(bw, "  %s[\"%s\"]\n", mermaidID(i), strings.Join(lines, "<br/>"))
	}
	for _, e := range g.edges() {
		fmt.Fprintf(bw, "  %s --> %s\n", mermaidID(e[0]), mermaidID(e[1]))
	}
	used := map[string][]string{}
	for i, n := range g.Nodes {
		used[n.Class] = append(used[n.Class], mermaidID(i))
	}
	for _, c := range g.Classes {
		if len(used[c.Name]) == 0 {
			continue
		}
		def := fmt.Sprintf("fill:%s,stroke:%s,color:%s,stroke-width:2px", c.Fill, c.Stroke, textColor)
		if c.Dashed {
			def += ",stroke-dasharray:5 3"
		}
		fmt.Fprintf(bw, "  classDef %s %s\n", mermaidClass(c.Name), def)
		fmt.Fprintf(bw, "  class %s %s\n", strings.Join(used[c.Name], ","), mermaidClass(c.Name))
	}
	return bw.Flush()
}

func mermaidID(i int) string { return fmt.Sprintf("s%d", i) }

// mermaidClass keeps a class name to what classDef accepts.
func mermaidClass(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

// mermaidText escapes one line of a quoted Mermaid label. Mermaid decodes
// "#NNN;" entity codes in labels, so every character that could end the
// string, start an entity, open HTML or markdown, or break the line is
// written as one; letters, digits and plain punctuation stay as they are.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == unicode.ReplacementChar || unicode.IsControl(r):
			// Nothing good can come of a control character in a label.
			b.WriteString("#65533;")
		case r > unicode.MaxASCII && unicode.IsPrint(r):
			b.WriteRune(r)
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" .,:/-_+=()~", r)):
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "#%d;", r)
		}
	}
	return b.String()
}
