package graph

import (
	"slices"
	"unicode"
)

// The layout draws left to right in layers, as `dot -Grankdir=LR` does:
// each stage in the column after its furthest upstream stage, edges that
// skip columns routed through placeholders, the order within a column
// chosen to cross few edges, and each node drawn near the nodes it connects
// to. Pipelines have tens of stages, rarely hundreds, so the simple,
// well-known heuristics (longest-path layering, barycenter ordering,
// least-squares placement) do well here.
//
// Text is measured as monospace, whose advance (about 0.6 em in DejaVu
// Sans Mono, Menlo, Consolas and Liberation Mono alike) is the only width
// a page can rely on without shipping a font.

const (
	nameSize  = 12.0 // px: the stage name
	textSize  = 10.5 // px: outputs and summary
	advance   = 0.61 // em: the width of a monospace character, a little over
	lineSpace = 1.4  // em: from one baseline to the next
	padX      = 12.0 // px: inside a node, left and right
	padY      = 7.0  // px: inside a node, top and bottom
	rankGap   = 56.0 // px: between columns
	nodeGap   = 16.0 // px: between nodes of a column
	laneGap   = 8.0  // px: beside an edge passing through a column
	border    = 10.0 // px: around the drawing
	sweeps    = 8    // passes of crossing reduction
	placings  = 6    // passes of vertical placement
)

type point struct{ x, y float64 }

// box is a node as drawn: its top-left corner and size.
type box struct{ x, y, w, h float64 }

// drawing is g laid out: a box per node, a polyline per edge of g.edges().
type drawing struct {
	boxes         []box
	edges         [][]point
	width, height float64
}

// vertex is a node of g or a placeholder an edge passes through.
type vertex struct {
	node     int // index in g.Nodes; -1 for a placeholder
	rank     int
	w, h     float64
	up, down []int // vertices in the columns before and after
	order    int   // position in its column
	y        float64
}

// textWidth is the width of s in monospace at size px. Wide characters
// (CJK, emoji) take two cells, as terminals draw them.
func textWidth(s string, size float64) float64 {
	cells := 0
	for _, r := range s {
		cells++
		if isWide(r) {
			cells++
		}
	}
	return float64(cells) * advance * size
}

func isWide(r rune) bool {
	return r >= 0x1100 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hangul, r) ||
		unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || r >= 0x1F300 && r <= 0x1FAFF)
}

// nodeSize is the box that holds a node's label.
func nodeSize(n Node) (w, h float64) {
	name, rest := n.labelLines()
	w = textWidth(name, nameSize)
	for _, line := range rest {
		w = max(w, textWidth(line, textSize))
	}
	h = nameSize*lineSpace + float64(len(rest))*textSize*lineSpace
	return w + 2*padX, h + 2*padY
}

// layout places every node and edge of g.
func layout(g *Graph) drawing {
	edges := g.edges()
	vs := make([]vertex, len(g.Nodes))
	for i, n := range g.Nodes {
		w, h := nodeSize(n)
		vs[i] = vertex{node: i, w: w, h: h}
	}
	assignRanks(vs, edges)

	// Each edge becomes a chain of vertices, one per column it spans.
	chains := make([][]int, len(edges))
	for e, uv := range edges {
		chain := []int{uv[0]}
		for r := vs[uv[0]].rank + 1; r < vs[uv[1]].rank; r++ {
			vs = append(vs, vertex{node: -1, rank: r})
			chain = append(chain, len(vs)-1)
		}
		chain = append(chain, uv[1])
		for k := 0; k+1 < len(chain); k++ {
			vs[chain[k]].down = append(vs[chain[k]].down, chain[k+1])
			vs[chain[k+1]].up = append(vs[chain[k+1]].up, chain[k])
		}
		chains[e] = chain
	}

	layers := orderLayers(vs)
	placeVertically(vs, layers)

	// Columns: as wide as their widest node, nodes centred in them.
	d := drawing{boxes: make([]box, len(g.Nodes)), edges: make([][]point, len(edges))}
	centreX := make([]float64, len(layers))
	x := border
	for r, layer := range layers {
		width := 0.0
		for _, v := range layer {
			width = max(width, vs[v].w)
		}
		centreX[r] = x + width/2
		x += width + rankGap
	}
	d.width = x - rankGap + border
	if len(layers) == 0 {
		d.width = 2 * border
	}
	for i := range g.Nodes {
		v := vs[i]
		d.boxes[i] = box{x: centreX[v.rank] - v.w/2, y: v.y - v.h/2, w: v.w, h: v.h}
		d.height = max(d.height, v.y+v.h/2+border)
	}
	d.height = max(d.height, 2*border)
	for e, chain := range chains {
		from, to := d.boxes[chain[0]], d.boxes[chain[len(chain)-1]]
		pts := []point{{from.x + from.w, from.y + from.h/2}}
		for _, v := range chain[1 : len(chain)-1] {
			pts = append(pts, point{centreX[vs[v].rank], vs[v].y})
		}
		d.edges[e] = append(pts, point{to.x, to.y + to.h/2})
	}
	return d
}

// assignRanks puts each node one column after its furthest upstream node
// (longest-path layering), in topological order whatever the node order.
func assignRanks(vs []vertex, edges [][2]int) {
	indegree := make([]int, len(vs))
	out := make([][]int, len(vs))
	for _, e := range edges {
		out[e[0]] = append(out[e[0]], e[1])
		indegree[e[1]]++
	}
	var queue []int
	for i := range vs {
		if indegree[i] == 0 {
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, v := range out[u] {
			vs[v].rank = max(vs[v].rank, vs[u].rank+1)
			if indegree[v]--; indegree[v] == 0 {
				queue = append(queue, v)
			}
		}
	}
	// A node left with edges in (a cycle, which a pipeline cannot have)
	// keeps the rank its processed upstream nodes gave it; an edge that
	// goes backwards is then drawn as it is.
	for _, e := range edges {
		if vs[e[1]].rank <= vs[e[0]].rank {
			vs[e[1]].rank = vs[e[0]].rank + 1
		}
	}
}

// orderLayers groups the vertices by column and orders each column to
// cross few edges: sweeps that sort each column by the mean position of
// its neighbours in the column before (then after), keeping the best order
// seen.
func orderLayers(vs []vertex) [][]int {
	ranks := 0
	for _, v := range vs {
		ranks = max(ranks, v.rank+1)
	}
	layers := make([][]int, ranks)
	for i, v := range vs {
		layers[v.rank] = append(layers[v.rank], i)
	}
	setOrder := func() {
		for _, layer := range layers {
			for k, v := range layer {
				vs[v].order = k
			}
		}
	}
	setOrder()
	best, bestCrossings := cloneLayers(layers), crossings(vs, layers)
	for sweep := 0; sweep < sweeps && bestCrossings > 0; sweep++ {
		if sweep%2 == 0 {
			for r := 1; r < len(layers); r++ {
				sortByBarycenter(vs, layers[r], func(v int) []int { return vs[v].up })
				setOrder()
			}
		} else {
			for r := len(layers) - 2; r >= 0; r-- {
				sortByBarycenter(vs, layers[r], func(v int) []int { return vs[v].down })
				setOrder()
			}
		}
		if c := crossings(vs, layers); c < bestCrossings {
			best, bestCrossings = cloneLayers(layers), c
		}
	}
	copy(layers, best)
	setOrder()
	return layers
}

func cloneLayers(layers [][]int) [][]int {
	out := make([][]int, len(layers))
	for i, l := range layers {
		out[i] = slices.Clone(l)
	}
	return out
}

// sortByBarycenter orders a column by the mean position of each vertex's
// neighbours; a vertex with none keeps its place.
func sortByBarycenter(vs []vertex, layer []int, neighbours func(int) []int) {
	key := make(map[int]float64, len(layer))
	for _, v := range layer {
		ns := neighbours(v)
		if len(ns) == 0 {
			key[v] = float64(vs[v].order)
			continue
		}
		sum := 0.0
		for _, n := range ns {
			sum += float64(vs[n].order)
		}
		key[v] = sum / float64(len(ns))
	}
	slices.SortStableFunc(layer, func(a, b int) int {
		switch {
		case key[a] < key[b]:
			return -1
		case key[a] > key[b]:
			return 1
		}
		return 0
	})
}

// crossings counts the pairs of edges that cross between adjacent columns.
func crossings(vs []vertex, layers [][]int) int {
	total := 0
	for _, layer := range layers {
		var segs [][2]int
		for _, u := range layer {
			for _, v := range vs[u].down {
				segs = append(segs, [2]int{vs[u].order, vs[v].order})
			}
		}
		for i := range segs {
			for j := i + 1; j < len(segs); j++ {
				a, b := segs[i], segs[j]
				if (a[0]-b[0])*(a[1]-b[1]) < 0 {
					total++
				}
			}
		}
	}
	return total
}

// placeVertically gives each vertex a centre y: columns stacked in order,
// then, pass after pass, each column placed as near as its order allows to
// the mean y of its neighbours (least squares under the spacing
// constraints, which pool-adjacent-violators solves exactly).
func placeVertically(vs []vertex, layers [][]int) {
	for _, layer := range layers {
		y := border
		for k, v := range layer {
			if k > 0 {
				y += gap(vs, layer[k-1], v)
			} else {
				y += vs[v].h / 2
			}
			vs[v].y = y
		}
	}
	for pass := 0; pass < placings; pass++ {
		neighbours := func(v int) []int { return append(slices.Clone(vs[v].up), vs[v].down...) }
		for r := range layers {
			placeLayer(vs, layers[r], neighbours)
		}
		for r := len(layers) - 1; r >= 0; r-- {
			placeLayer(vs, layers[r], neighbours)
		}
	}
	// Shift everything so the topmost edge of the drawing is the border.
	top := 0.0
	first := true
	for _, v := range vs {
		if t := v.y - v.h/2; first || t < top {
			top, first = t, false
		}
	}
	for i := range vs {
		vs[i].y += border - top
	}
}

// gap is the distance between the centres of two vertices stacked in a
// column.
func gap(vs []vertex, a, b int) float64 {
	sep := nodeGap
	if vs[a].node < 0 || vs[b].node < 0 {
		sep = laneGap
	}
	return vs[a].h/2 + sep + vs[b].h/2
}

// placeLayer moves a column's vertices as near as their order allows to
// where their neighbours want them, minimizing the sum of squared moves.
func placeLayer(vs []vertex, layer []int, neighbours func(int) []int) {
	if len(layer) == 0 {
		return
	}
	// With offsets o_k, the spacing constraints y_{k+1} >= y_k + gap become
	// z_{k+1} >= z_k for z_k = y_k - o_k: an isotonic regression.
	want := make([]float64, len(layer))
	offset := make([]float64, len(layer))
	for k, v := range layer {
		if k > 0 {
			offset[k] = offset[k-1] + gap(vs, layer[k-1], v)
		}
		want[k] = vs[v].y
		if ns := neighbours(v); len(ns) > 0 {
			sum := 0.0
			for _, n := range ns {
				sum += vs[n].y
			}
			want[k] = sum / float64(len(ns))
		}
		want[k] -= offset[k]
	}
	z := isotonic(want)
	for k, v := range layer {
		vs[v].y = z[k] + offset[k]
	}
}

// isotonic gives the non-decreasing sequence nearest to xs in least
// squares, by pooling adjacent violators.
func isotonic(xs []float64) []float64 {
	type block struct {
		sum   float64
		count int
	}
	var blocks []block
	for _, x := range xs {
		blocks = append(blocks, block{x, 1})
		for len(blocks) > 1 {
			last, prev := blocks[len(blocks)-1], blocks[len(blocks)-2]
			if prev.sum/float64(prev.count) <= last.sum/float64(last.count) {
				break
			}
			blocks = append(blocks[:len(blocks)-2], block{prev.sum + last.sum, prev.count + last.count})
		}
	}
	out := make([]float64, 0, len(xs))
	for _, b := range blocks {
		for range b.count {
			out = append(out, b.sum/float64(b.count))
		}
	}
	return out
}
