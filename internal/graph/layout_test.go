package graph

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

func TestIsotonic(t *testing.T) {
	tests := []struct {
		in, want []float64
	}{
		{nil, []float64{}},
		{[]float64{1, 2, 3}, []float64{1, 2, 3}},
		{[]float64{3, 1}, []float64{2, 2}},
		{[]float64{1, 5, 3, 4}, []float64{1, 4, 4, 4}},
		{[]float64{4, 3, 2, 1}, []float64{2.5, 2.5, 2.5, 2.5}},
	}
	for _, tt := range tests {
		if got := isotonic(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("isotonic(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// dag builds a graph of n nodes and the given edges (from, to).
func dag(n int, edges ...[2]int) *Graph {
	g := &Graph{Classes: states()}
	for i := range n {
		g.Nodes = append(g.Nodes, Node{Name: fmt.Sprintf("s%d", i), Class: "fresh", Outputs: []string{fmt.Sprintf("out/%d.csv", i)}})
	}
	for _, e := range edges {
		g.Nodes[e[1]].Upstream = append(g.Nodes[e[1]].Upstream, g.Nodes[e[0]].Name)
	}
	return g
}

func centreY(b box) float64 { return b.y + b.h/2 }

func TestLayoutColumns(t *testing.T) {
	// 0 → 1 → 2, 0 → 2 (skipping a column), 3 alone.
	g := dag(4, [2]int{0, 1}, [2]int{1, 2}, [2]int{0, 2})
	d := layout(g)
	checkDrawing(t, g, d)
	if !(d.boxes[0].x < d.boxes[1].x && d.boxes[1].x < d.boxes[2].x) {
		t.Errorf("the chain is not drawn left to right: %+v", d.boxes)
	}
	if d.boxes[3].x != d.boxes[0].x {
		t.Errorf("a stage with no upstream is not in the first column: %+v", d.boxes)
	}
	// The edge that skips a column bends through a point in the middle one.
	skip := slices.Index(g.edges(), [2]int{0, 2})
	if len(d.edges[skip]) != 3 {
		t.Errorf("the edge 0 → 2 has points %v, want one in the middle column", d.edges[skip])
	}
}

func TestLayoutUncrosses(t *testing.T) {
	// Listed in an order that crosses: 0 → 3 and 1 → 2.
	g := dag(4, [2]int{0, 3}, [2]int{1, 2})
	d := layout(g)
	checkDrawing(t, g, d)
	if (centreY(d.boxes[0])-centreY(d.boxes[1]))*(centreY(d.boxes[3])-centreY(d.boxes[2])) <= 0 {
		t.Errorf("the edges cross: %+v", d.boxes)
	}
}

func TestLayoutEmpty(t *testing.T) {
	d := layout(&Graph{})
	if d.width <= 0 || d.height <= 0 || len(d.boxes) != 0 {
		t.Errorf("an empty graph draws as %+v", d)
	}
}

// checkDrawing asserts what every drawing must hold: finite coordinates,
// boxes inside the drawing and apart within a column, edges from the right
// side of their source to the left side of their target.
func checkDrawing(t *testing.T, g *Graph, d drawing) {
	t.Helper()
	finite := func(fs ...float64) bool {
		for _, f := range fs {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return false
			}
		}
		return true
	}
	for i, b := range d.boxes {
		if !finite(b.x, b.y, b.w, b.h) || b.x < 0 || b.y < 0 || b.x+b.w > d.width+0.01 || b.y+b.h > d.height+0.01 {
			t.Fatalf("node %d at %+v lies outside the %gx%g drawing", i, b, d.width, d.height)
		}
		for j, o := range d.boxes[:i] {
			sameColumn := b.x+b.w/2 == o.x+o.w/2
			if sameColumn && b.y < o.y+o.h+nodeGap-0.01 && o.y < b.y+b.h+nodeGap-0.01 {
				t.Fatalf("nodes %d %+v and %d %+v overlap", j, o, i, b)
			}
		}
	}
	for e, uv := range g.edges() {
		pts, from, to := d.edges[e], d.boxes[uv[0]], d.boxes[uv[1]]
		first, last := pts[0], pts[len(pts)-1]
		if first.x != from.x+from.w || last.x != to.x || !(from.x+from.w < to.x) {
			t.Fatalf("edge %v runs %v between %+v and %+v", uv, pts, from, to)
		}
		for k := 1; k < len(pts); k++ {
			if !finite(pts[k].x, pts[k].y) || pts[k].x <= pts[k-1].x {
				t.Fatalf("edge %v goes back: %v", uv, pts)
			}
		}
	}
}

// FuzzLayout lays out DAGs read from bytes: byte pairs name edges from a
// lower to a higher node.
func FuzzLayout(f *testing.F) {
	f.Add(uint8(4), []byte{0, 1, 1, 2, 0, 2})
	f.Add(uint8(6), []byte{0, 5, 1, 4, 2, 3, 0, 3, 5, 1})
	f.Add(uint8(1), []byte{})
	f.Add(uint8(12), []byte{0, 11, 0, 10, 1, 11, 3, 7, 7, 9, 2, 9, 4, 8, 8, 11, 5, 6})
	f.Fuzz(func(t *testing.T, n uint8, pairs []byte) {
		size := int(n%40) + 1
		var edges [][2]int
		for k := 0; k+1 < len(pairs) && len(edges) < 200; k += 2 {
			a, b := int(pairs[k])%size, int(pairs[k+1])%size
			if a == b {
				continue
			}
			edges = append(edges, [2]int{min(a, b), max(a, b)})
		}
		g := dag(size, edges...)
		checkDrawing(t, g, layout(g))
	})
}
