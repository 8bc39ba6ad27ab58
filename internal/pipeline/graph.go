package pipeline

import (
	"container/heap"
	"fmt"
	"slices"
	"strings"
)

// outRef is one declared output: the stage that writes it and where in its
// Outs it is.
type outRef struct {
	stage *Stage
	index int
}

// edge is data flowing from one stage's output into another's deps.
type edge struct{ from, to *Stage }

// link checks what involves several stages (who owns each output, deps that
// reach into outputs, cycles) and orders the stages. stages come in the
// order of the file, so that of two clashing items the later one is blamed.
func link(file string, stages []*Stage, positions map[string]*stagePositions) (*Pipeline, error) {
	p := &Pipeline{
		file:       file,
		byName:     make(map[string]*Stage, len(stages)),
		producers:  make(map[string]outRef),
		external:   make(map[string]*Stage),
		upstream:   make(map[string][]*Stage, len(stages)),
		downstream: make(map[string][]*Stage, len(stages)),
		positions:  positions,
	}
	for _, s := range stages {
		p.byName[s.Name] = s
	}
	if err := p.assignOutputs(stages); err != nil {
		return nil, err
	}
	if err := p.assignExternal(stages); err != nil {
		return nil, err
	}
	edges, err := p.linkDeps(stages)
	if err != nil {
		return nil, err
	}
	if err := p.sortStages(stages, edges); err != nil {
		return nil, err
	}
	return p, nil
}

// assignOutputs gives every output its one stage and refuses outputs that
// nest: a folder output already holds everything under it.
func (p *Pipeline) assignOutputs(stages []*Stage) error {
	for _, s := range stages {
		for i, out := range s.Outs {
			ref := outRef{s, i}
			if owner, taken := p.producers[out]; taken {
				return p.errorAt(p.outPosition(ref),
					fmt.Sprintf("%s is an output of both %s (line %d) and %s (line %d)",
						out, owner.stage.Name, p.outPosition(owner).line, s.Name, p.outPosition(ref).line),
					"keep it in one stage; the other can list it under deps")
			}
			p.producers[out] = ref
		}
	}
	for _, s := range stages {
		for i, out := range s.Outs {
			for dir := range parentDirs(out) {
				outer, nested := p.producers[dir]
				if !nested {
					continue
				}
				inner := outRef{s, i}
				return p.errorAt(p.outPosition(inner),
					fmt.Sprintf("output %s of stage %q (line %d) lies inside output %s of stage %q (line %d)",
						out, s.Name, p.outPosition(inner).line, dir, outer.stage.Name, p.outPosition(outer).line),
					fmt.Sprintf("outputs must not nest: drop %s, or move it out of %s", out, dir))
			}
		}
	}
	return nil
}

// assignExternal gives every external output its one stage.
func (p *Pipeline) assignExternal(stages []*Stage) error {
	for _, s := range stages {
		for i, ext := range s.External {
			if owner, taken := p.external[ext.Name]; taken {
				return p.errorAt(p.positions[s.Name].external[i],
					fmt.Sprintf("external output %s is declared by both %s (line %d) and %s", ext.Name, owner.Name, owner.Line, s.Name),
					"rename one: an external output has one stage that writes it")
			}
			p.external[ext.Name] = s
		}
	}
	return nil
}

// depAt names dep i of s and where it is written: its deps, then its ext
// deps (as "ext:NAME").
func (p *Pipeline) depAt(s *Stage, i int) (string, position) {
	if i < len(s.Deps) {
		return s.Deps[i], p.positions[s.Name].deps[i]
	}
	i -= len(s.Deps)
	return ExtPrefix + s.ExtDeps[i], p.positions[s.Name].extDeps[i]
}

// linkDeps makes each stage whose output a dep names (the output itself or a
// path inside it) upstream of the stage that lists the dep. It returns the
// index of the first dep that makes each edge, to point at it in a cycle.
func (p *Pipeline) linkDeps(stages []*Stage) (map[edge]int, error) {
	sortedOuts := p.Outs()
	edges := make(map[edge]int)
	for _, s := range stages {
		for i, dep := range s.Deps {
			producer, ok := p.producerOf(dep)
			if !ok {
				if inside := outsInside(sortedOuts, dep); len(inside) > 0 {
					return nil, p.depHoldsOutputs(s, i, inside)
				}
				continue
			}
			e := edge{producer.stage, s}
			if _, linked := edges[e]; linked {
				continue
			}
			edges[e] = i
			p.upstream[s.Name] = append(p.upstream[s.Name], e.from)
			p.downstream[e.from.Name] = append(p.downstream[e.from.Name], s)
		}
		for i, name := range s.ExtDeps {
			producer, ok := p.external[name]
			at := p.positions[s.Name].extDeps[i]
			switch {
			case !ok:
				return nil, p.errorAt(at, fmt.Sprintf("dep ext:%s of stage %q names no external output", name, s.Name),
					"declare it under external: of the stage that writes it, or fix the name")
			case producer == s:
				return nil, p.errorAt(at, fmt.Sprintf("stage %q depends on its own external output %s", s.Name, name),
					"a stage cannot depend on what it writes: remove the dep")
			}
			e := edge{producer, s}
			if _, linked := edges[e]; linked {
				continue
			}
			edges[e] = len(s.Deps) + i
			p.upstream[s.Name] = append(p.upstream[s.Name], e.from)
			p.downstream[e.from.Name] = append(p.downstream[e.from.Name], s)
		}
		for i, params := range s.Params {
			if producer, ok := p.producerOf(params.File); ok {
				return nil, p.errorAt(p.positions[s.Name].params[i],
					fmt.Sprintf("params file %s of stage %q is an output of stage %q", params.File, s.Name, producer.stage.Name),
					"params are read from the committed tree: commit a params file, or list this one under deps")
			}
		}
	}
	for _, neighbours := range []map[string][]*Stage{p.upstream, p.downstream} {
		for _, stages := range neighbours {
			slices.SortFunc(stages, byName)
		}
	}
	return edges, nil
}

// outsInside returns the outputs under folder dir, from all outputs sorted.
func outsInside(sortedOuts []string, dir string) []string {
	prefix := dir + "/"
	first, _ := slices.BinarySearch(sortedOuts, prefix)
	last := first
	for last < len(sortedOuts) && strings.HasPrefix(sortedOuts[last], prefix) {
		last++
	}
	return sortedOuts[first:last]
}

// depHoldsOutputs refuses dep i of s, a folder holding outputs: the folder's
// tree id in git does not see them, so the signature would miss their
// changes.
func (p *Pipeline) depHoldsOutputs(s *Stage, i int, inside []string) *Error {
	dep, at := s.Deps[i], p.positions[s.Name].deps[i]
	var others []string
	for _, out := range inside {
		if producer := p.producers[out].stage; producer != s {
			others = append(others, fmt.Sprintf("%s (%s)", out, producer.Name))
		}
	}
	if len(others) == 0 {
		return p.errorAt(at, fmt.Sprintf("dep %s of stage %q holds its own output %s", dep, s.Name, inside[0]),
			"a stage cannot depend on what it writes: narrow the dep, or move the output out of it")
	}
	const shown = 5
	if len(others) > shown {
		others = append(others[:shown], fmt.Sprintf("and %d more", len(others)-shown))
	}
	return p.errorAt(at, fmt.Sprintf("dep %s of stage %q is a folder holding outputs of other stages: %s", dep, s.Name, strings.Join(others, ", ")),
		"list those outputs under deps instead of the folder")
}

// sortStages sets p.Stages to a topological order, taking among the stages
// whose upstream is all placed the first by name.
func (p *Pipeline) sortStages(stages []*Stage, edges map[edge]int) error {
	waiting := make(map[*Stage]int, len(stages)) // upstream stages not yet placed
	ready := &stageHeap{}
	for _, s := range stages {
		waiting[s] = len(p.upstream[s.Name])
		if waiting[s] == 0 {
			heap.Push(ready, s)
		}
	}
	order := make([]*Stage, 0, len(stages))
	for ready.Len() > 0 {
		s := heap.Pop(ready).(*Stage)
		order = append(order, s)
		for _, next := range p.downstream[s.Name] {
			waiting[next]--
			if waiting[next] == 0 {
				heap.Push(ready, next)
			}
		}
	}
	if len(order) < len(stages) {
		return p.cycleError(waiting, edges)
	}
	p.Stages = order
	return nil
}

// cycleError names one cycle among the stages sortStages could not place.
// Each of them still waits for an unplaced upstream stage, so walking
// upstream from one of them must come back to a stage already seen.
func (p *Pipeline) cycleError(waiting map[*Stage]int, edges map[edge]int) *Error {
	var start *Stage
	for s, n := range waiting {
		if n > 0 && (start == nil || s.Name < start.Name) {
			start = s
		}
	}
	seenAt := make(map[*Stage]int)
	var walk []*Stage
	for s := start; ; {
		if i, seen := seenAt[s]; seen {
			walk = walk[i:]
			break
		}
		seenAt[s] = len(walk)
		walk = append(walk, s)
		i := slices.IndexFunc(p.upstream[s.Name], func(u *Stage) bool { return waiting[u] > 0 })
		s = p.upstream[s.Name][i]
	}
	// The walk went against the flow of data; tell it with the flow, from
	// the first name, so that the same cycle always reads the same.
	slices.Reverse(walk)
	first := slices.Index(walk, slices.MinFunc(walk, byName))
	cycle := append(walk[first:], walk[:first]...)

	names := make([]string, 0, len(cycle)+1)
	links := make([]string, 0, len(cycle))
	for i, from := range cycle {
		to := cycle[(i+1)%len(cycle)]
		dep, at := p.depAt(to, edges[edge{from, to}])
		names = append(names, from.Name)
		links = append(links, fmt.Sprintf("%s of %s (line %d)", dep, to.Name, at.line))
	}
	names = append(names, cycle[0].Name)
	_, closing := p.depAt(cycle[0], edges[edge{cycle[len(cycle)-1], cycle[0]}])
	return p.errorAt(closing,
		"stages form a cycle: "+strings.Join(names, " -> "),
		"remove one of the deps that close it: "+strings.Join(links, ", "))
}

// stageHeap hands out the stages ready to be placed, first by name.
type stageHeap []*Stage

func (h stageHeap) Len() int           { return len(h) }
func (h stageHeap) Less(i, j int) bool { return h[i].Name < h[j].Name }
func (h stageHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *stageHeap) Push(s any)        { *h = append(*h, s.(*Stage)) }
func (h *stageHeap) Pop() any {
	last := (*h)[len(*h)-1]
	*h = (*h)[:len(*h)-1]
	return last
}

func byName(a, b *Stage) int { return strings.Compare(a.Name, b.Name) }

func (p *Pipeline) outPosition(ref outRef) position {
	return p.positions[ref.stage.Name].outs[ref.index]
}

func (p *Pipeline) errorAt(at position, msg, fix string) *Error {
	return &Error{File: p.file, Line: at.line, Col: at.col, Msg: msg, Fix: fix}
}
