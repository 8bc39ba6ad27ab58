package pipeline

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Templates, as DVC writes them: a stage whose body holds foreach and do,
// or matrix beside the stage's keys, stands for one stage per item (per
// combination), named TEMPLATE@KEY, each read as if written out. ${NAME}
// in a template's strings is an item, its key, or a value of the top-level
// vars; a file that declares vars interpolates them in every stage. A file
// with neither templates nor vars reads as before: "${" in its commands is
// the shell's.

const (
	// maxInstances bounds the stages all templates of a file make, so that a
	// matrix of a few short lists cannot ask for billions.
	maxInstances = 100_000
	// maxExpandedBytes bounds the text interpolation writes, over all
	// instances: "${v}${v}${v}" of a long v grows faster than the file.
	maxExpandedBytes = 64 << 20
	// maxDepth bounds how deep a stage's body nests: a stage is a few
	// levels deep, an alias inside its own anchor endless.
	maxDepth = 32
)

// Patterns compile on first use, not when the process starts: every hook
// and status starts this binary, and most never use them.
var (
	// instanceKeyPattern is what may follow "@" in an instance's name.
	instanceKeyPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.-]+$`) })
	// referencePattern finds ${NAME.PATH} and its escaped form \${...}.
	referencePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\\?\$\{([^{}]*)\}`) })
	namePathPattern  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$`) })
)

// scope is what ${NAME} may name in one stage: the file's vars, then the
// instance's item and key.
type scope struct {
	vars  map[string]*yaml.Node
	local map[string]*yaml.Node
}

func (s scope) lookup(name string) (*yaml.Node, bool) {
	if n, ok := s.local[name]; ok {
		return n, true
	}
	n, ok := s.vars[name]
	return n, ok
}

// expander interpolates stage bodies and keeps the file's bounds.
type expander struct {
	r         *reader
	vars      map[string]*yaml.Node // nil when the file declares no vars
	instances int
	written   int // bytes interpolation wrote
	visited   int // nodes interpolation walked
}

// vars reads the top-level vars: a mapping, or a list of mappings, of
// names to values.
func (r *reader) vars(e entry) (map[string]*yaml.Node, error) {
	vars := make(map[string]*yaml.Node)
	add := func(m *yaml.Node) error {
		entries, err := r.mapping(m, func(key string, first, again int) (string, string) {
			return fmt.Sprintf("var %q is declared twice %s", key, twice(first, again)), "keep one"
		})
		if err != nil {
			return err
		}
		for _, v := range entries {
			if _, ok := vars[v.key]; ok {
				return r.errorAt(v.keyNode, fmt.Sprintf("var %q is declared twice", v.key), "keep one")
			}
			if !namePathPattern().MatchString(v.key) || strings.Contains(v.key, ".") {
				return r.errorAt(v.keyNode, fmt.Sprintf("var %q is not a name", v.key),
					`use letters, digits, "_" and "-", starting with a letter or "_"`)
			}
			if v.key == "item" || v.key == "key" {
				return r.errorAt(v.keyNode, fmt.Sprintf("var %q is reserved for the instances of foreach and matrix", v.key), "rename it")
			}
			vars[v.key] = v.at
		}
		return nil
	}
	const fix = "write the values inline: vars: [{NAME: VALUE}], or put a value in params and list it under the stage's params"
	switch {
	case isNull(e.at):
		return vars, nil
	case e.at.Kind == yaml.MappingNode:
		return vars, add(e.at)
	case e.at.Kind != yaml.SequenceNode:
		return nil, r.errorAt(e.at, fmt.Sprintf("vars must be a mapping of names to values, or a list of them, not %s", describe(e.at)), fix)
	}
	for _, item := range e.at.Content {
		item = resolve(item)
		if item.Kind == yaml.ScalarNode && !isNull(item) {
			return nil, r.errorAt(item, fmt.Sprintf("vars entry %q names a file: git dds reads no file into dds.yaml", item.Value), fix)
		}
		if item.Kind != yaml.MappingNode {
			return nil, r.errorAt(item, fmt.Sprintf("each vars entry must be a mapping of names to values, not %s", describe(item)), fix)
		}
		if err := add(item); err != nil {
			return nil, err
		}
	}
	return vars, nil
}

// isTemplate tells whether a stage body is a foreach or matrix template.
func isTemplate(body *yaml.Node) bool {
	if body.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i < len(body.Content); i += 2 {
		if k := resolve(body.Content[i]); k.Kind == yaml.ScalarNode && (k.Value == "foreach" || k.Value == "matrix") {
			return true
		}
	}
	return false
}

// instance is one stage a template makes: its key after "@" and what
// ${item} and ${key} mean in it.
type instance struct {
	key   string
	local map[string]*yaml.Node
	at    *yaml.Node // the item, for errors about its key
}

// template reads the stage e, a foreach or matrix template, into its
// instances, each as r.stage reads a stage written out.
func (x *expander) template(e entry) ([]*Stage, []*stagePositions, error) {
	r := x.r
	fields, err := r.mapping(e.at, func(key string, first, again int) (string, string) {
		return fmt.Sprintf("key %q appears twice in stage %q %s", key, e.key, twice(first, again)), "keep one"
	})
	if err != nil {
		return nil, nil, err
	}
	var (
		instances []instance
		body      *yaml.Node
		foreach   *entry
	)
	for i, f := range fields {
		if f.key == "foreach" {
			foreach = &fields[i]
		}
	}
	if foreach != nil {
		var do *entry
		for i, f := range fields {
			switch f.key {
			case "foreach":
			case "do":
				do = &fields[i]
			default:
				return nil, nil, r.errorAt(f.keyNode, fmt.Sprintf("unknown key %q in foreach stage %q", f.key, e.key),
					"a foreach stage has foreach and do: move the stage's keys under do")
			}
		}
		if do == nil {
			return nil, nil, r.errorAt(e.keyNode, fmt.Sprintf("foreach stage %q has no do", e.key),
				"add do: the stage's keys, using ${item} (and ${key} over a mapping)")
		}
		if do.at.Kind != yaml.MappingNode {
			return nil, nil, r.errorAt(do.at, fmt.Sprintf("do of stage %q must be a mapping of cmd, deps, outs and so on, not %s", e.key, describe(do.at)),
				"write the stage's keys indented under do")
		}
		body = do.at
		instances, err = x.foreach(e.key, foreach.at)
	} else {
		// matrix sits beside the stage's own keys: the body is the
		// stage without it.
		body = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: e.at.Line, Column: e.at.Column}
		var matrix *entry
		for i, f := range fields {
			if f.key == "matrix" {
				matrix = &fields[i]
				continue
			}
			body.Content = append(body.Content, f.keyNode, f.at)
		}
		instances, err = x.matrix(e.key, matrix.at)
	}
	if err != nil {
		return nil, nil, err
	}
	stages := make([]*Stage, 0, len(instances))
	positions := make([]*stagePositions, 0, len(instances))
	seen := make(map[string]*yaml.Node, len(instances))
	for _, in := range instances {
		name := e.key + "@" + in.key
		if !instanceKeyPattern().MatchString(in.key) {
			return nil, nil, r.errorAt(in.at, fmt.Sprintf("instance %q of stage %q may only hold letters, digits, \"_\", \".\" and \"-\" after \"@\"", name, e.key),
				"use a mapping whose keys name the instances: foreach: {NAME: VALUE}")
		}
		if first, ok := seen[in.key]; ok {
			return nil, nil, r.errorAt(in.at, fmt.Sprintf("stage %q is made twice by its template %s", name, twice(first.Line, in.at.Line)),
				"make each item (or combination) unique")
		}
		seen[in.key] = in.at
		if err := r.count(e.keyNode, 1); err != nil {
			return nil, nil, err
		}
		expanded, err := x.interpolate(name, body, scope{vars: x.vars, local: in.local})
		if err != nil {
			return nil, nil, err
		}
		s, pos, err := r.stage(entry{key: name, keyNode: e.keyNode, at: expanded})
		if err != nil {
			return nil, nil, err
		}
		stages = append(stages, s)
		positions = append(positions, pos)
	}
	return stages, positions, nil
}

// source resolves what foreach or a matrix list iterates over: written
// in place, or one whole ${NAME} reference.
func (x *expander) source(stage string, n *yaml.Node) (*yaml.Node, error) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || isNull(n) {
		return n, nil
	}
	m := referencePattern().FindStringSubmatchIndex(n.Value)
	if m == nil || m[0] != 0 || m[1] != len(n.Value) || n.Value[0] == '\\' {
		return n, nil
	}
	return x.lookup(stage, n, n.Value[m[2]:m[3]], scope{vars: x.vars})
}

func (x *expander) foreach(stage string, n *yaml.Node) ([]instance, error) {
	r := x.r
	src, err := x.source(stage, n)
	if err != nil {
		return nil, err
	}
	const fix = "write a list, a mapping, or ${NAME} of a var that holds one"
	var instances []instance
	switch src.Kind {
	case yaml.SequenceNode:
		if err := x.reserve(n, stage, len(src.Content)); err != nil {
			return nil, err
		}
		for i, item := range src.Content {
			item = resolve(item)
			key := strconv.Itoa(i)
			if item.Kind == yaml.ScalarNode && !isNull(item) {
				key = item.Value
			}
			instances = append(instances, instance{key: key, at: item, local: map[string]*yaml.Node{"item": item}})
		}
	case yaml.MappingNode:
		entries, err := r.mapping(src, func(key string, first, again int) (string, string) {
			return fmt.Sprintf("foreach key %q of stage %q appears twice %s", key, stage, twice(first, again)), "keep one"
		})
		if err != nil {
			return nil, err
		}
		if err := x.reserve(n, stage, len(entries)); err != nil {
			return nil, err
		}
		for _, en := range entries {
			instances = append(instances, instance{key: en.key, at: en.keyNode,
				local: map[string]*yaml.Node{"item": en.at, "key": en.keyNode}})
		}
	default:
		return nil, r.errorAt(n, fmt.Sprintf("foreach of stage %q must be a list or a mapping, not %s", stage, describe(src)), fix)
	}
	if len(instances) == 0 {
		return nil, r.errorAt(n, fmt.Sprintf("foreach of stage %q is empty", stage), "list one item at least, or remove the stage")
	}
	return instances, nil
}

func (x *expander) matrix(stage string, n *yaml.Node) ([]instance, error) {
	r := x.r
	const fix = "write it as matrix: {NAME: [VALUE, ...], ...}"
	n = resolve(n)
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return nil, r.errorAt(n, fmt.Sprintf("matrix of stage %q must be a mapping of names to lists, not %s", stage, describe(n)), fix)
	}
	axes, err := r.mapping(n, func(key string, first, again int) (string, string) {
		return fmt.Sprintf("matrix key %q of stage %q appears twice %s", key, stage, twice(first, again)), "keep one"
	})
	if err != nil {
		return nil, err
	}
	lists := make([][]*yaml.Node, len(axes))
	total := 1
	for i, a := range axes {
		src, err := x.source(stage, a.at)
		if err != nil {
			return nil, err
		}
		if src.Kind != yaml.SequenceNode || len(src.Content) == 0 {
			return nil, r.errorAt(a.at, fmt.Sprintf("matrix %s of stage %q must be a list of one value at least, not %s", a.key, stage, describe(src)), fix)
		}
		for _, v := range src.Content {
			lists[i] = append(lists[i], resolve(v))
		}
		// Checked as it grows, so that the product cannot overflow.
		total *= len(lists[i])
		if total > maxInstances-x.instances {
			return nil, x.tooMany(n, stage)
		}
	}
	if err := x.reserve(n, stage, total); err != nil {
		return nil, err
	}
	instances := make([]instance, 0, total)
	at := make([]int, len(axes))
	for range total {
		item := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
		parts := make([]string, len(axes))
		for i, a := range axes {
			v := lists[i][at[i]]
			item.Content = append(item.Content, a.keyNode, v)
			parts[i] = a.key + strconv.Itoa(at[i])
			if v.Kind == yaml.ScalarNode && !isNull(v) {
				parts[i] = v.Value
			}
		}
		instances = append(instances, instance{key: strings.Join(parts, "-"), at: n, local: map[string]*yaml.Node{"item": item}})
		// The last axis turns fastest, as in nested loops written in order.
		for i := len(at) - 1; i >= 0; i-- {
			if at[i]++; at[i] < len(lists[i]) {
				break
			}
			at[i] = 0
		}
	}
	return instances, nil
}

// reserve counts n more instances against maxInstances.
func (x *expander) reserve(at *yaml.Node, stage string, n int) error {
	if n > maxInstances-x.instances {
		return x.tooMany(at, stage)
	}
	x.instances += n
	return nil
}

func (x *expander) tooMany(at *yaml.Node, stage string) error {
	return x.r.errorAt(at, fmt.Sprintf("the templates make more than %d stages (stage %q)", maxInstances, stage),
		"split the pipeline, or make fewer combinations")
}

// interpolate returns n with every ${NAME} in its strings replaced. Nodes
// without one are shared, not copied; the copies keep the template's lines
// and columns, so that errors point into it.
func (x *expander) interpolate(stage string, n *yaml.Node, sc scope) (*yaml.Node, error) {
	return x.walk(stage, n, sc, 0)
}

// walk is interpolate at depth nodes below the stage's body. Aliases make
// the tree a graph, which may loop or repeat a subtree exponentially: the
// depth and the count of nodes visited bound both.
func (x *expander) walk(stage string, n *yaml.Node, sc scope, depth int) (*yaml.Node, error) {
	n = resolve(n)
	if depth > maxDepth {
		return nil, x.r.errorAt(n, fmt.Sprintf("stage %q nests more than %d levels deep", stage, maxDepth),
			"check for a YAML alias inside its own anchor")
	}
	if x.visited++; x.visited > maxEntries {
		return nil, x.r.errorAt(n, fmt.Sprintf("the templates expand to more than %d entries", maxEntries),
			"make fewer instances, or write shorter stages")
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return n, nil
		}
		return x.scalar(stage, n, sc)
	case yaml.MappingNode, yaml.SequenceNode:
		var content []*yaml.Node
		for i, c := range n.Content {
			got, err := x.walk(stage, c, sc, depth+1)
			if err != nil {
				return nil, err
			}
			if got != resolve(c) && content == nil {
				content = make([]*yaml.Node, len(n.Content))
				for j := range i {
					content[j] = resolve(n.Content[j])
				}
			}
			if content != nil {
				content[i] = got
			}
		}
		if content == nil {
			return n, nil
		}
		copied := *n
		copied.Content = content
		return &copied, nil
	}
	return n, nil
}

// scalar interpolates one string. A string that is one whole reference
// takes the value named, list or mapping included; within a longer string
// each reference must name a plain value. \${ stays ${, for the shell.
func (x *expander) scalar(stage string, n *yaml.Node, sc scope) (*yaml.Node, error) {
	if m := referencePattern().FindStringSubmatchIndex(n.Value); m != nil && m[0] == 0 && m[1] == len(n.Value) && n.Value[0] != '\\' {
		v, err := x.lookup(stage, n, n.Value[m[2]:m[3]], sc)
		if err != nil {
			return nil, err
		}
		if v.Kind != yaml.ScalarNode {
			return v, nil
		}
		if err := x.write(n, stage, len(v.Value)); err != nil {
			return nil, err
		}
		copied := *n
		copied.Value, copied.Tag, copied.Style = v.Value, v.Tag, 0
		return &copied, nil
	}
	var (
		b    strings.Builder
		last int
	)
	for _, m := range referencePattern().FindAllStringSubmatchIndex(n.Value, -1) {
		b.WriteString(n.Value[last:m[0]])
		last = m[1]
		if n.Value[m[0]] == '\\' {
			b.WriteString(n.Value[m[0]+1 : m[1]])
			continue
		}
		name := n.Value[m[2]:m[3]]
		v, err := x.lookup(stage, n, name, sc)
		if err != nil {
			return nil, err
		}
		if v.Kind != yaml.ScalarNode {
			return nil, x.r.errorAt(n, fmt.Sprintf("${%s} in stage %q is %s, which cannot be part of a string", name, stage, describe(v)),
				"write ${NAME} alone as the value to use a list or mapping, or name one of its plain values")
		}
		if err := x.write(n, stage, len(v.Value)); err != nil {
			return nil, err
		}
		b.WriteString(v.Value)
	}
	b.WriteString(n.Value[last:])
	copied := *n
	copied.Value, copied.Tag, copied.Style = b.String(), "!!str", 0
	return &copied, nil
}

// write counts n bytes of interpolated text against maxExpandedBytes.
func (x *expander) write(at *yaml.Node, stage string, n int) error {
	x.written += n
	if x.written > maxExpandedBytes {
		return x.r.errorAt(at, fmt.Sprintf("interpolation writes more than %d bytes (at stage %q)", maxExpandedBytes, stage),
			"refer to long values less often, or shorten them")
	}
	return nil
}

// lookup resolves NAME.PATH: a var, item or key, then mapping keys or
// list positions.
func (x *expander) lookup(stage string, at *yaml.Node, ref string, sc scope) (*yaml.Node, error) {
	r := x.r
	ref = strings.TrimSpace(ref)
	if !namePathPattern().MatchString(ref) {
		return nil, r.errorAt(at, fmt.Sprintf("${%s} in stage %q is not a name or a dotted path", ref, stage),
			`write ${NAME} or ${NAME.KEY}; for the shell's own ${VAR}, write \${VAR}`)
	}
	parts := strings.Split(ref, ".")
	v, ok := sc.lookup(parts[0])
	if !ok {
		fix := `declare it under vars, or for the shell's own ${VAR} write \${VAR}`
		if sc.local == nil && (parts[0] == "item" || parts[0] == "key") {
			fix = "${item} and ${key} exist only inside foreach and matrix stages"
		}
		return nil, r.errorAt(at, fmt.Sprintf("${%s} in stage %q names nothing: no var, item or key %q", ref, stage, parts[0]), fix)
	}
	for i, p := range parts[1:] {
		v = resolve(v)
		var next *yaml.Node
		switch v.Kind {
		case yaml.MappingNode:
			for j := 0; j+1 < len(v.Content); j += 2 {
				if resolve(v.Content[j]).Value == p {
					next = v.Content[j+1]
				}
			}
		case yaml.SequenceNode:
			if k, err := strconv.Atoi(p); err == nil && k >= 0 && k < len(v.Content) {
				next = v.Content[k]
			}
		}
		if next == nil {
			return nil, r.errorAt(at, fmt.Sprintf("${%s} in stage %q names nothing: %s has no %q", ref, stage, strings.Join(parts[:i+1], "."), p),
				"check the name against the value it reads")
		}
		v = next
	}
	return resolve(v), nil
}
