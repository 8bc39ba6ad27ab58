// Package graph draws the stage DAG of a pipeline: as DOT for graphviz, as
// Mermaid for GitHub and GitLab markdown, and as a self-contained HTML page
// whose SVG it lays out itself, so that the page needs nothing to be viewed.
//
// It renders a plain Graph and nothing else: what a state or a merge action
// means, and the words under each stage, are the caller's to fill in.
package graph

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Graph is what every format draws: stages as nodes, each with a class that
// gives its colour, and edges from the stages it reads.
type Graph struct {
	Title string `json:"title"`
	// ClassLabel says what classes are: "state" or "action".
	ClassLabel string `json:"class_label"`
	// Classes lists the classes nodes may have, in legend order.
	Classes []Class `json:"classes"`
	Nodes   []Node  `json:"nodes"`
}

// Class is a state or merge action, with the colours that show it.
type Class struct {
	Name    string `json:"name"`
	Meaning string `json:"meaning"`
	Fill    string `json:"fill"`   // #rrggbb
	Stroke  string `json:"stroke"` // #rrggbb
	Dashed  bool   `json:"dashed,omitempty"`
}

// Node is one stage.
type Node struct {
	Name      string   `json:"name"`
	Class     string   `json:"class"`
	Signature string   `json:"signature"`
	Outputs   []string `json:"outputs"`
	// Upstream names the stages whose outputs this one reads: the edges.
	Upstream []string `json:"upstream"`
	// Summary is the line under the outputs: size and time, or why there is none.
	Summary string `json:"summary"`
	// Details is what hovering the node shows after its name, class and
	// signature: where the computation comes from and what changed.
	Details []string `json:"details"`
}

// Format is an output format of Write.
type Format string

// The formats Write knows.
const (
	DOT     Format = "dot"
	Mermaid Format = "mermaid"
	HTML    Format = "html"
)

// Formats lists the formats, for flags and their help.
func Formats() []Format { return []Format{DOT, Mermaid, HTML} }

// ParseFormat reads a --format value.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(s))
	if !slices.Contains(Formats(), f) {
		return "", fmt.Errorf("unknown graph format %q; use dot, mermaid or html", s)
	}
	return f, nil
}

// FormatOfFile guesses the format an output file name asks for, by its
// extension: .dot and .gv for DOT, .mmd and .mermaid for Mermaid, .html and
// .htm for HTML.
func FormatOfFile(name string) (Format, bool) {
	lower := strings.ToLower(name)
	for _, ext := range []struct {
		suffix string
		format Format
	}{{".dot", DOT}, {".gv", DOT}, {".mmd", Mermaid}, {".mermaid", Mermaid}, {".html", HTML}, {".htm", HTML}} {
		if strings.HasSuffix(lower, ext.suffix) {
			return ext.format, true
		}
	}
	return "", false
}

// Write draws g in format f.
func Write(w io.Writer, g *Graph, f Format) error {
	switch f {
	case DOT:
		return WriteDOT(w, g)
	case Mermaid:
		return WriteMermaid(w, g)
	case HTML:
		return WriteHTML(w, g)
	}
	return fmt.Errorf("unknown graph format %q; use dot, mermaid or html", f)
}

// class returns the class called name; an unknown name draws in grey, so a
// graph never fails to draw for want of a colour.
func (g *Graph) class(name string) Class {
	for _, c := range g.Classes {
		if c.Name == name {
			return c
		}
	}
	return Class{Name: name, Fill: "#f3f4f6", Stroke: "#6b7280"}
}

// edges gives each (from, to) pair once, between nodes of g only, in node
// order: a stage removed by a merge may still be named as upstream.
func (g *Graph) edges() [][2]int {
	index := make(map[string]int, len(g.Nodes))
	for i, n := range g.Nodes {
		index[n.Name] = i
	}
	var out [][2]int
	for to, n := range g.Nodes {
		seen := map[int]bool{}
		for _, up := range n.Upstream {
			from, ok := index[up]
			if !ok || seen[from] {
				continue
			}
			seen[from] = true
			out = append(out, [2]int{from, to})
		}
	}
	return out
}

// hover is what a node shows on hover, one line each: its name, its class
// and what that means, its signature and its details.
func (g *Graph) hover(n Node) []string {
	lines := []string{n.Name, n.Class}
	if meaning := g.class(n.Class).Meaning; meaning != "" {
		lines[1] += ": " + meaning
	}
	if n.Signature != "" {
		lines = append(lines, "signature "+n.Signature)
	}
	return append(lines, n.Details...)
}

// maxShownOutputs keeps a node of a stage with many outputs readable.
const maxShownOutputs = 4

// labelLines is what a node shows: its name, its outputs and its summary.
func (n Node) labelLines() (name string, rest []string) {
	outs := n.Outputs
	if len(outs) > maxShownOutputs {
		outs = append(slices.Clone(outs[:maxShownOutputs-1]), fmt.Sprintf("+%d more", len(n.Outputs)-maxShownOutputs+1))
	}
	rest = append(rest, outs...)
	if n.Summary != "" {
		rest = append(rest, n.Summary)
	}
	return n.Name, rest
}

// textColor is dark enough to read on every fill of the palettes.
const textColor = "#111827"

// fontName lists fonts every system has one of, for graphviz.
const fontName = "Helvetica,Arial,sans-serif"
