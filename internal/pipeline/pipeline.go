// Package pipeline parses and validates dds.yaml and builds the stage DAG.
package pipeline

import (
	"maps"
	"path"
	"slices"
	"strings"
)

// FileName is the pipeline file at the repository root.
const FileName = "dds.yaml"

// Stage is one step of the pipeline as declared in dds.yaml. Every path is
// repository-relative, slash-separated, cleaned, without a trailing slash.
type Stage struct {
	Name   string
	Cmd    string
	Wdir   string      // "" means the repository root
	Deps   []string    // declared order
	Params []ParamFile // sorted by File; keys sorted and unique
	Env    []string    // sorted and unique
	Outs   []string    // declared order: outs, then metrics, then plots
	// Metrics and Plots are the outputs declared under metrics and plots:
	// files git dds also reads (names to numbers, and series). Each is in
	// Outs too, so it is stored, restored and promoted like any output.
	Metrics []string // declared order
	Plots   []string // declared order
	// PlotAxes are the columns the plots files that name them draw, in
	// the order of Plots: a plots file written alone has none here.
	PlotAxes []PlotAxes
	// External are the outputs the stage writes to the lake rather than
	// the working tree, sorted by name.
	External []External
	// ExtDeps names the external outputs of other stages the stage reads,
	// as "ext:NAME" in deps, without the prefix; sorted and unique.
	ExtDeps []string
	Line    int // line of the stage's name in dds.yaml
	Col     int
}

// PlotAxes are the columns of one plots file a chart draws: X along the
// horizontal axis ("" for the reader's default) and each of Y as a line
// (none for every other column).
type PlotAxes struct {
	File string
	X    string
	Y    []string
}

// Axes returns the axes declared for the plots file path: none when it was
// written alone.
func (s *Stage) Axes(path string) PlotAxes {
	for _, a := range s.PlotAxes {
		if a.File == path {
			return a
		}
	}
	return PlotAxes{File: path}
}

// Formats of an external output: what git dds checks of the objects a
// stage wrote, and which pointer it records.
const (
	FormatFiles   = "files"   // any objects
	FormatParquet = "parquet" // every object is a Parquet file
	FormatDelta   = "delta"   // a Delta table: _delta_log/NNN.json
	FormatIceberg = "iceberg" // an Iceberg table: metadata/*.metadata.json
)

// Formats lists the formats an external output may declare.
var Formats = []string{FormatFiles, FormatParquet, FormatDelta, FormatIceberg}

// ExtPrefix starts a dep that names an external output: "ext:NAME".
const ExtPrefix = "ext:"

// External is one output a stage writes to the lake.
type External struct {
	Name   string // unique across the pipeline
	Format string // one of Formats
}

// ParamFile names the keys of one params file that enter a signature.
type ParamFile struct {
	File string
	Keys []string // dotted paths, e.g. "clean.impute"
}

// Pipeline is a parsed dds.yaml whose stages form a DAG. Only Parse makes
// one: the methods rely on the maps it builds.
type Pipeline struct {
	// Stages in a deterministic topological order: a stage comes after every
	// stage it depends on; ties are broken by name.
	Stages []*Stage

	// Lake is the lake: root of dds.yaml, "" when it names none. A lake
	// set in git config or .ddsconfig overrides it.
	Lake string

	// Publish is the publish: command of dds.yaml, "" when none: git dds
	// publish runs it for each view it writes, after writing them, so
	// that it registers the view's table (CREATE TABLE ... LOCATION,
	// Iceberg's register_table). It is part of no signature.
	Publish string

	file       string
	byName     map[string]*Stage
	external   map[string]*Stage          // external output name -> who writes it
	producers  map[string]outRef          // output path -> who writes it
	upstream   map[string][]*Stage        // stage -> stages it reads from, by name
	downstream map[string][]*Stage        // stage -> stages that read from it, by name
	positions  map[string]*stagePositions // stage -> where its parts are written
}

// Stage returns the stage called name, or nil.
func (p *Pipeline) Stage(name string) *Stage { return p.byName[name] }

// Instances returns the names of the stages a foreach or matrix template
// called template made (template@KEY), in the order of p.Stages; none when
// no template has that name.
func (p *Pipeline) Instances(template string) []string {
	var names []string
	for _, s := range p.Stages {
		if name, _, ok := strings.Cut(s.Name, "@"); ok && name == template {
			names = append(names, s.Name)
		}
	}
	return names
}

// Reads lists the paths a stage's signature reads, in declared order: its
// deps (a file, or a folder and everything under it), then its params
// files.
func (s *Stage) Reads() []string {
	reads := make([]string, 0, len(s.Deps)+len(s.Params))
	reads = append(reads, s.Deps...)
	for _, pf := range s.Params {
		reads = append(reads, pf.File)
	}
	return reads
}

// TrackedDeps lists the deps of st that no stage produces: the files and
// folders its signature reads from git's tree rather than from an upstream
// stage's signature.
func (p *Pipeline) TrackedDeps(st *Stage) []string {
	var deps []string
	for _, d := range st.Deps {
		if _, produced := p.Producer(d); !produced {
			deps = append(deps, d)
		}
	}
	return deps
}

// TrackedReads lists what st's signature reads from git's tree: its
// tracked deps, then its params files (never an output: Parse refuses a
// params file that a stage writes).
func (p *Pipeline) TrackedReads(st *Stage) []string {
	reads := p.TrackedDeps(st)
	for _, pf := range st.Params {
		reads = append(reads, pf.File)
	}
	return reads
}

// Producer returns the stage that writes repoPath (repository-relative,
// slash-separated): one of its outputs is repoPath or a folder holding it.
func (p *Pipeline) Producer(repoPath string) (*Stage, bool) {
	ref, ok := p.producerOf(path.Clean(repoPath))
	return ref.stage, ok
}

func (p *Pipeline) producerOf(clean string) (outRef, bool) {
	if ref, ok := p.producers[clean]; ok {
		return ref, true
	}
	for dir := range parentDirs(clean) {
		if ref, ok := p.producers[dir]; ok {
			return ref, true
		}
	}
	return outRef{}, false
}

// Upstream returns the stages whose outputs s reads directly, by name.
func (p *Pipeline) Upstream(s *Stage) []*Stage { return slices.Clone(p.upstream[s.Name]) }

// Downstream returns the named stages and every stage that reads from them,
// directly or not, in topological order. Names of no stage are ignored.
func (p *Pipeline) Downstream(names ...string) []*Stage { return p.reach(p.downstream, names) }

// Closure returns the named stages and every stage they need, directly or
// not, in topological order. Names of no stage are ignored.
func (p *Pipeline) Closure(names ...string) []*Stage { return p.reach(p.upstream, names) }

// reach returns the stages reachable from names through neighbours,
// including the named ones, in the order of p.Stages.
func (p *Pipeline) reach(neighbours map[string][]*Stage, names []string) []*Stage {
	reached := make(map[*Stage]bool)
	var todo []*Stage
	for _, name := range names {
		if s := p.byName[name]; s != nil && !reached[s] {
			reached[s] = true
			todo = append(todo, s)
		}
	}
	for len(todo) > 0 {
		s := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		for _, next := range neighbours[s.Name] {
			if !reached[next] {
				reached[next] = true
				todo = append(todo, next)
			}
		}
	}
	ordered := make([]*Stage, 0, len(reached))
	for _, s := range p.Stages {
		if reached[s] {
			ordered = append(ordered, s)
		}
	}
	return ordered
}

// Outs returns every output of every stage, sorted.
func (p *Pipeline) Outs() []string { return slices.Sorted(maps.Keys(p.producers)) }

// ExternalProducer returns the stage that writes the external output
// called name.
func (p *Pipeline) ExternalProducer(name string) (*Stage, bool) {
	s, ok := p.external[name]
	return s, ok
}

// ProducerName is Producer as the signature code asks it: the name of the
// stage whose output path is, if any. "ext:NAME" asks for the stage that
// writes the external output NAME.
func (p *Pipeline) ProducerName(path string) (string, bool) {
	if name, ok := strings.CutPrefix(path, ExtPrefix); ok {
		s, ok := p.external[name]
		if !ok {
			return "", false
		}
		return s.Name, true
	}
	s, ok := p.Producer(path)
	if !ok {
		return "", false
	}
	return s.Name, true
}
