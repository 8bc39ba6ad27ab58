package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// maxFileSize bounds dds.yaml: it declares stages, it does not hold data.
// 10,000 stages written out one key per line, with a few deps, params and
// outs each, take about 4.5 MB; the bound leaves room for stages three
// times as long while keeping what a hostile file costs to read (its YAML
// nodes in memory) within reach of a laptop.
const maxFileSize = 16 << 20

// maxFileSizeWords is maxFileSize as the error message says it.
const maxFileSizeWords = "16 MiB"

// maxEntries bounds the stages, paths, keys and names read, counting each
// repetition through a YAML alias and each item of a template's instances,
// so that a few aliases cannot make a small file take hours to read. A file
// without aliases or templates cannot reach it: an entry takes at least two
// bytes.
const maxEntries = maxFileSize / 2

// Patterns compile on first use, not when the process starts: every hook
// and status starts this binary, and most never use them.
var (
	stageNamePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.-]+$`) })
	envNamePattern   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })
	yamlErrorPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`) })
	unknownAnchor    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^unknown anchor '(.*)' referenced$`) })

	topKeys          = []string{"stages", "vars", "lake", "publish"}
	stageKeys        = []string{"cmd", "wdir", "deps", "params", "env", "outs", "metrics", "plots", "external"}
	paramsExtensions = []string{".yaml", ".yml", ".json"}
	// metricsExtensions are the formats git dds reads names and numbers,
	// or series, from.
	metricsExtensions = []string{".json", ".yaml", ".yml", ".csv", ".tsv"}

	// yamlParserProblems are the yaml.v3 errors raised by its parser rather
	// than its scanner. It reports their line zero-based (the scanner's
	// one-based), and that line is where the enclosing block or flow starts.
	yamlParserProblems = []string{
		"did not find expected ',' or ']'",
		"did not find expected ',' or '}'",
		"did not find expected '-' indicator",
		"did not find expected <document start>",
		"did not find expected <stream-start>",
		"did not find expected key",
		"did not find expected node content",
		"found duplicate %TAG directive",
		"found duplicate %YAML directive",
		"found incompatible YAML document",
		"found undefined tag handle",
	}
)

// Parse reads a dds.yaml and checks everything that needs no repository: the
// schema, the path rules, who owns each output, and that the stages form a
// DAG. filename names the file in errors ("" means FileName). Every error is
// an *Error.
func Parse(filename string, data []byte) (*Pipeline, error) {
	if filename == "" {
		filename = FileName
	}
	if len(data) > maxFileSize {
		return nil, &Error{File: filename,
			Msg: fmt.Sprintf("the file is %d bytes, over the limit of %d bytes (%s)", len(data), maxFileSize, maxFileSizeWords),
			Fix: fmt.Sprintf("dds.yaml declares stages, not data: shrink it below %s, e.g. by writing repeated stages once with foreach or matrix", maxFileSizeWords)}
	}
	if !utf8.Valid(data) {
		line, col := firstInvalidUTF8(data)
		return nil, &Error{File: filename, Line: line, Col: col,
			Msg: "the file is not valid UTF-8", Fix: "save it as UTF-8"}
	}
	doc, err := decodeDocument(filename, data)
	if err != nil {
		return nil, err
	}
	r := reader{file: filename}
	stages, positions, err := r.pipeline(doc)
	if err != nil {
		return nil, err
	}
	p, err := link(filename, stages, positions)
	if err != nil {
		return nil, err
	}
	p.Lake = r.lake
	p.Publish = r.publish
	return p, nil
}

// firstInvalidUTF8 returns the 1-based line and column of the first byte of
// data that is not UTF-8.
func firstInvalidUTF8(data []byte) (line, col int) {
	line, col = 1, 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		switch {
		case r == utf8.RuneError && size == 1:
			return line, col
		case r == '\n':
			line, col = line+1, 1
		default:
			col++
		}
		data = data[size:]
	}
	return line, col
}

// decodeDocument parses data into its one YAML document; nil means the file
// holds none (it is empty or only comments).
func decodeDocument(filename string, data []byte) (*yaml.Node, error) {
	decoder := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := decoder.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, nil
	} else if err != nil {
		return nil, syntaxError(filename, data, err)
	}
	var next yaml.Node
	switch err := decoder.Decode(&next); {
	case errors.Is(err, io.EOF):
		return &doc, nil
	case err != nil:
		return nil, syntaxError(filename, data, err)
	default:
		return nil, &Error{File: filename, Line: next.Line, Col: next.Column,
			Msg: "the file holds more than one YAML document",
			Fix: `keep one: remove this "---" and what follows it`}
	}
}

// SyntaxError turns the error yaml.v3 gave reading data, the YAML file
// filename (dds.yaml or a params file), into an *Error at the one-based
// line it means.
func SyntaxError(filename string, data []byte, err error) *Error {
	return syntaxError(filename, data, err)
}

// syntaxError turns a yaml.v3 error into an *Error. yaml.v3 gives only a line,
// and leaves even that out when it is the first line (it tests the
// zero-based line against 0) or when the problem is an unknown anchor.
func syntaxError(filename string, data []byte, err error) *Error {
	e := &Error{File: filename, Msg: "not valid YAML: " + err.Error(),
		Fix: "fix the YAML syntax at or near this line (indentation, a missing quote, colon or bracket)"}
	m := yamlErrorPattern().FindStringSubmatch(err.Error())
	if m == nil {
		return e
	}
	problem := m[2]
	e.Msg = "not valid YAML: " + problem
	if anchor := unknownAnchor().FindStringSubmatch(problem); anchor != nil {
		e.Fix = fmt.Sprintf("define the anchor with &%s before using it, or remove the alias", anchor[1])
		if i := bytes.Index(data, []byte("*"+anchor[1])); i >= 0 {
			e.Line = bytes.Count(data[:i], []byte("\n")) + 1
			e.Col = utf8.RuneCount(data[bytes.LastIndexByte(data[:i], '\n')+1:i]) + 1
		}
		return e
	}
	e.Line = 1
	if m[1] != "" {
		e.Line, _ = strconv.Atoi(m[1])
	}
	if slices.Contains(yamlParserProblems, problem) {
		e.Line++
		if m[1] == "" {
			e.Line = 1
		}
		e.Fix = "fix the YAML syntax of the block that starts on this line (indentation, a missing bracket or dash)"
	}
	return e
}

// reader walks the YAML nodes of dds.yaml into stages, keeping positions.
type reader struct {
	file    string
	lake    string // the lake: root, "" when none
	publish string // the publish: command, "" when none
	entries int    // stages, list items and params files read so far, aliases counted each time
}

func (r *reader) errorAt(n *yaml.Node, msg, fix string) *Error {
	return &Error{File: r.file, Line: n.Line, Col: n.Column, Msg: msg, Fix: fix}
}

// count adds n entries read at node at, refusing more than maxEntries.
func (r *reader) count(at *yaml.Node, n int) error {
	r.entries += n
	if r.entries > maxEntries {
		return r.errorAt(at, fmt.Sprintf("the file expands to more than %d entries through YAML aliases", maxEntries),
			"write the stages out instead of repeating them with aliases")
	}
	return nil
}

// entry is one key and its value in a YAML mapping.
type entry struct {
	key         string
	keyNode, at *yaml.Node // at is the value, aliases resolved
}

// mapping returns the entries of m in order. Keys must be plain strings and
// unique; duplicated words the message for a key written twice (yaml.v3 does
// not check duplicates when it builds nodes).
func (r *reader) mapping(m *yaml.Node, duplicated func(key string, firstLine, againLine int) (msg, fix string)) ([]entry, error) {
	entries := make([]entry, 0, len(m.Content)/2)
	seen := make(map[string]*yaml.Node, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		key := resolve(m.Content[i])
		switch {
		case key.Kind != yaml.ScalarNode || isNull(key):
			return nil, r.errorAt(key, fmt.Sprintf("a key must be a plain name, not %s", describe(key)), "write the key as text")
		case key.Tag == "!!merge":
			return nil, r.errorAt(key, "YAML merge keys (<<) are not supported", "write the keys out in full")
		}
		if first, ok := seen[key.Value]; ok {
			msg, fix := duplicated(key.Value, first.Line, key.Line)
			return nil, r.errorAt(key, msg, fix)
		}
		seen[key.Value] = key
		entries = append(entries, entry{key: key.Value, keyNode: key, at: resolve(m.Content[i+1])})
	}
	return entries, nil
}

// pipeline reads the top level: a mapping whose one key is stages.
func (r *reader) pipeline(doc *yaml.Node) ([]*Stage, map[string]*stagePositions, error) {
	const example = `add one under "stages:", with its cmd and outs`
	if doc == nil || len(doc.Content) == 0 || isNull(resolve(doc.Content[0])) {
		return nil, nil, &Error{File: r.file, Line: 1, Col: 1, Msg: "no stages declared", Fix: example}
	}
	top := resolve(doc.Content[0])
	if top.Kind != yaml.MappingNode {
		return nil, nil, r.errorAt(top, fmt.Sprintf(`the top level must be a mapping with the key "stages", not %s`, describe(top)),
			`start the file with "stages:"`)
	}
	entries, err := r.mapping(top, func(key string, first, again int) (string, string) {
		return fmt.Sprintf("top-level key %q appears twice %s", key, twice(first, again)), "keep one"
	})
	if err != nil {
		return nil, nil, err
	}
	var stages, vars *entry
	for i, e := range entries {
		switch e.key {
		case "stages":
			stages = &entries[i]
		case "vars":
			vars = &entries[i]
		case "lake":
			if r.lake, err = r.lakeRoot(e); err != nil {
				return nil, nil, err
			}
		case "publish":
			if r.publish, err = r.publishCmd(e); err != nil {
				return nil, nil, err
			}
		default:
			return nil, nil, r.errorAt(e.keyNode, fmt.Sprintf("unknown top-level key %q", e.key),
				unknownKeyFix(e.key, topKeys, `remove it; the top-level keys are "stages", "vars", "lake" and "publish"`))
		}
	}
	x := &expander{r: r}
	if vars != nil {
		if x.vars, err = r.vars(*vars); err != nil {
			return nil, nil, err
		}
	}
	switch {
	case stages == nil:
		return nil, nil, r.errorAt(top, "no stages declared", example)
	case isNull(stages.at) || stages.at.Kind == yaml.MappingNode && len(stages.at.Content) == 0:
		return nil, nil, r.errorAt(stages.keyNode, "no stages declared", example)
	case stages.at.Kind != yaml.MappingNode:
		return nil, nil, r.errorAt(stages.at, fmt.Sprintf(`"stages" must map stage names to stages, not %s`, describe(stages.at)),
			`write each stage as "NAME:" indented under "stages:"`)
	}
	return r.stages(x, stages.at)
}

func (r *reader) stages(x *expander, m *yaml.Node) ([]*Stage, map[string]*stagePositions, error) {
	entries, err := r.mapping(m, func(name string, first, again int) (string, string) {
		return fmt.Sprintf("stage %q is declared twice %s", name, twice(first, again)), "rename one or merge them"
	})
	if err != nil {
		return nil, nil, err
	}
	stages := make([]*Stage, 0, len(entries))
	positions := make(map[string]*stagePositions, len(entries))
	for _, e := range entries {
		if err := r.count(e.keyNode, 1); err != nil {
			return nil, nil, err
		}
		if err := r.checkStageName(e); err != nil {
			return nil, nil, err
		}
		if isTemplate(e.at) {
			made, pos, err := x.template(e)
			if err != nil {
				return nil, nil, err
			}
			for i, s := range made {
				stages = append(stages, s)
				positions[s.Name] = pos[i]
			}
			continue
		}
		if x.vars != nil {
			if e.at, err = x.interpolate(e.key, e.at, scope{vars: x.vars}); err != nil {
				return nil, nil, err
			}
		}
		s, pos, err := r.stage(e)
		if err != nil {
			return nil, nil, err
		}
		stages = append(stages, s)
		positions[s.Name] = pos
	}
	return stages, positions, nil
}

func (r *reader) checkStageName(e entry) error {
	const allowed = `letters, digits, "_", "." and "-"`
	switch {
	case strings.Contains(e.key, "@"):
		return r.errorAt(e.keyNode, fmt.Sprintf("stage name %q holds \"@\", which names the stages of a foreach or matrix template", e.key),
			fmt.Sprintf("rename it, e.g. %q, or write the stage as a template", strings.ReplaceAll(e.key, "@", "_")))
	case !stageNamePattern().MatchString(e.key):
		valid := strings.Map(func(c rune) rune {
			if c < utf8.RuneSelf && stageNamePattern().MatchString(string(c)) {
				return c
			}
			return '_'
		}, e.key)
		return r.errorAt(e.keyNode, fmt.Sprintf("stage name %q may only hold %s", e.key, allowed),
			fmt.Sprintf("rename it, e.g. %q", valid))
	case e.key == "." || e.key == "..":
		return r.errorAt(e.keyNode, fmt.Sprintf("stage name %q is reserved", e.key), "rename it")
	}
	return nil
}

// stage reads one stage: e is its name and body.
func (r *reader) stage(e entry) (*Stage, *stagePositions, error) {
	s := &Stage{Name: e.key, Line: e.keyNode.Line, Col: e.keyNode.Column}
	pos := &stagePositions{}
	switch {
	case isNull(e.at):
		return nil, nil, r.errorAt(e.keyNode, fmt.Sprintf("stage %q is empty", s.Name), "give it a cmd and outs")
	case e.at.Kind != yaml.MappingNode:
		return nil, nil, r.errorAt(e.at, fmt.Sprintf("stage %q must be a mapping of cmd, deps, outs and so on, not %s", s.Name, describe(e.at)),
			"write its keys indented under the stage name")
	}
	fields, err := r.mapping(e.at, func(key string, first, again int) (string, string) {
		return fmt.Sprintf("key %q appears twice in stage %q %s", key, s.Name, twice(first, again)), "keep one"
	})
	if err != nil {
		return nil, nil, err
	}
	var (
		outsKey              *yaml.Node
		metricsPos, plotsPos []position
	)
	for _, f := range fields {
		switch f.key {
		case "cmd":
			s.Cmd, err = r.cmd(s.Name, f)
		case "wdir":
			s.Wdir, pos.wdir, err = r.wdir(s.Name, f)
		case "deps":
			s.Deps, pos.deps, err = r.paths(s.Name, "dep", f)
		case "outs":
			outsKey = f.keyNode
			s.Outs, pos.outs, err = r.paths(s.Name, "out", f)
		case "metrics":
			s.Metrics, metricsPos, err = r.paths(s.Name, "metrics file", f)
		case "plots":
			s.Plots, plotsPos, s.PlotAxes, err = r.plots(s.Name, f)
		case "params":
			s.Params, pos.params, err = r.params(s.Name, f)
		case "env":
			s.Env, err = r.env(s.Name, f)
		case "external":
			s.External, pos.external, err = r.external(s.Name, f)
		default:
			err = r.errorAt(f.keyNode, fmt.Sprintf("unknown key %q in stage %q", f.key, s.Name),
				unknownKeyFix(f.key, stageKeys, "remove it; a stage has "+strings.Join(stageKeys, ", ")))
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if err := r.readAlso(s, pos, metricsPos, plotsPos); err != nil {
		return nil, nil, err
	}
	s.Deps, pos.deps, s.ExtDeps, pos.extDeps = splitExtDeps(s.Deps, pos.deps)
	declared := len(s.Outs)+len(s.External) > 0
	switch {
	case s.Cmd == "":
		return nil, nil, r.errorAt(e.keyNode, fmt.Sprintf("stage %q has no cmd", s.Name),
			"add cmd: the shell command that writes its outs")
	case !declared && outsKey != nil:
		return nil, nil, r.errorAt(outsKey, fmt.Sprintf("outs of stage %q is empty", s.Name),
			"list the files or folders its cmd writes")
	case !declared:
		return nil, nil, r.errorAt(e.keyNode, fmt.Sprintf("stage %q has no outs", s.Name),
			"add outs: the files or folders its cmd writes (or external: the outputs it writes to the lake)")
	}
	// An empty list and no list mean the same: one form, whichever was
	// written, so that an encoded pipeline decodes equal to the parse.
	s.Deps, pos.deps = nilIfEmpty(s.Deps), nilIfEmpty(pos.deps)
	s.Params, s.Env = nilIfEmpty(s.Params), nilIfEmpty(s.Env)
	s.Metrics, s.Plots, s.PlotAxes = nilIfEmpty(s.Metrics), nilIfEmpty(s.Plots), nilIfEmpty(s.PlotAxes)
	s.External, pos.external = nilIfEmpty(s.External), nilIfEmpty(pos.external)
	s.ExtDeps, pos.extDeps = nilIfEmpty(s.ExtDeps), nilIfEmpty(pos.extDeps)
	for i := range s.Params {
		s.Params[i].Keys = nilIfEmpty(s.Params[i].Keys)
	}
	if len(pos.params) == 0 {
		pos.params = nil
	}
	return s, pos, nil
}

// splitExtDeps takes the "ext:NAME" items out of deps: they name no path.
func splitExtDeps(deps []string, at []position) (paths []string, pathsAt []position, ext []string, extAt []position) {
	type named struct {
		name string
		at   position
	}
	var found []named
	for i, d := range deps {
		if name, ok := strings.CutPrefix(d, ExtPrefix); ok {
			found = append(found, named{name, at[i]})
			continue
		}
		paths = append(paths, d)
		pathsAt = append(pathsAt, at[i])
	}
	slices.SortFunc(found, func(a, b named) int { return strings.Compare(a.name, b.name) })
	for _, f := range found {
		ext = append(ext, f.name)
		extAt = append(extAt, f.at)
	}
	return paths, pathsAt, ext, extAt
}

// lakeRoot reads the top-level lake: a URL of a bucket or folder. What
// a bucket may be is the lake's to check when it opens it; this refuses
// what no lake can be, and a credential, which dds.yaml would commit.
func (r *reader) lakeRoot(e entry) (string, error) {
	const fix = "write the root of the lake as s3://BUCKET/PREFIX, gs://, azblob:// or file:///ABSOLUTE/PATH"
	if e.at.Kind != yaml.ScalarNode || isNull(e.at) || strings.TrimSpace(e.at.Value) == "" {
		return "", r.errorAt(e.at, fmt.Sprintf("lake must be a URL, not %s", describe(e.at)), fix)
	}
	raw := e.at.Value
	u, err := url.Parse(raw)
	switch {
	case err != nil || strings.ContainsFunc(raw, isControl):
		return "", r.errorAt(e.at, "lake is not a URL", fix)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", r.errorAt(e.at, "lake holds user info, a query or a fragment, where a credential could hide",
			"take it out: credentials come from the environment (AWS_ACCESS_KEY_ID, ~/.aws/credentials), never from dds.yaml, which git shares")
	case !slices.Contains([]string{"s3", "gs", "azblob", "file"}, u.Scheme):
		return "", r.errorAt(e.at, fmt.Sprintf("lake has the scheme %q, which git dds does not know", u.Scheme), fix)
	case u.Scheme != "file" && u.Host == "":
		return "", r.errorAt(e.at, "lake names no bucket", fix)
	case u.Scheme == "file" && (u.Host != "" && u.Host != "localhost" || !path.IsAbs(u.Path)):
		return "", r.errorAt(e.at, "a file:// lake must be an absolute path on this machine", "write file:///ABSOLUTE/PATH")
	}
	return strings.TrimRight(raw, "/"), nil
}

// external reads the outputs a stage writes to the lake: a mapping from
// each name to its settings, {format: files|parquet|delta|iceberg}.
func (r *reader) external(stage string, f entry) ([]External, []position, error) {
	const example = "external: {events: {format: parquet}}"
	if isNull(f.at) {
		return nil, nil, nil
	}
	if f.at.Kind != yaml.MappingNode {
		return nil, nil, r.errorAt(f.at, fmt.Sprintf("external of stage %q must map each output name to its format, not %s", stage, describe(f.at)),
			"write it as "+example)
	}
	if err := r.count(f.keyNode, len(f.at.Content)/2); err != nil {
		return nil, nil, err
	}
	outs, err := r.mapping(f.at, func(name string, first, again int) (string, string) {
		return fmt.Sprintf("external output %s appears twice in stage %q %s", name, stage, twice(first, again)), "keep one"
	})
	if err != nil {
		return nil, nil, err
	}
	type item struct {
		ext External
		at  position
	}
	items := make([]item, 0, len(outs))
	for _, o := range outs {
		if !envNamePattern().MatchString(o.key) {
			return nil, nil, r.errorAt(o.keyNode, fmt.Sprintf("external output name %q of stage %q cannot name the variable DDS_OUT_%s", o.key, stage, o.key),
				`use letters, digits and "_", not starting with a digit: the name is a folder of the lake and a variable`)
		}
		format, err := r.externalFormat(stage, o)
		if err != nil {
			return nil, nil, err
		}
		items = append(items, item{External{Name: o.key, Format: format}, position{o.keyNode.Line, o.keyNode.Column}})
	}
	slices.SortFunc(items, func(a, b item) int { return strings.Compare(a.ext.Name, b.ext.Name) })
	exts := make([]External, len(items))
	at := make([]position, len(items))
	for i, it := range items {
		exts[i], at[i] = it.ext, it.at
	}
	return exts, at, nil
}

// externalFormat reads the settings of one external output: its format,
// files when none is given.
func (r *reader) externalFormat(stage string, o entry) (string, error) {
	fix := "write {format: FORMAT}, FORMAT one of " + strings.Join(Formats, ", ")
	if isNull(o.at) {
		return FormatFiles, nil
	}
	if o.at.Kind != yaml.MappingNode {
		return "", r.errorAt(o.at, fmt.Sprintf("external output %s of stage %q must be a mapping, not %s", o.key, stage, describe(o.at)), fix)
	}
	settings, err := r.mapping(o.at, func(key string, first, again int) (string, string) {
		return fmt.Sprintf("key %q appears twice in external output %s %s", key, o.key, twice(first, again)), "keep one"
	})
	if err != nil {
		return "", err
	}
	format := FormatFiles
	for _, s := range settings {
		if s.key != "format" {
			return "", r.errorAt(s.keyNode, fmt.Sprintf("unknown key %q in external output %s of stage %q", s.key, o.key, stage),
				unknownKeyFix(s.key, []string{"format"}, `remove it; an external output has "format"`))
		}
		if s.at.Kind != yaml.ScalarNode || !slices.Contains(Formats, s.at.Value) {
			return "", r.errorAt(s.at, fmt.Sprintf("format of external output %s of stage %q is %s, which git dds does not know", o.key, stage, strconv.Quote(s.at.Value)), fix)
		}
		format = s.at.Value
	}
	return format, nil
}

// readAlso adds the stage's metrics and plots files to its outputs, after
// its outs: each must be a file git dds can read (by its extension), and
// be declared once across outs, metrics and plots.
func (r *reader) readAlso(s *Stage, pos *stagePositions, metricsPos, plotsPos []position) error {
	firstLine := make(map[string]int, len(s.Outs))
	for i, out := range s.Outs {
		firstLine[out] = pos.outs[i].line
	}
	for _, group := range []struct {
		key   string
		paths []string
		pos   []position
	}{{"metrics", s.Metrics, metricsPos}, {"plots", s.Plots, plotsPos}} {
		for i, p := range group.paths {
			at := group.pos[i]
			if line, ok := firstLine[p]; ok {
				return &Error{File: r.file, Line: at.line, Col: at.col,
					Msg: fmt.Sprintf("%s is declared twice in stage %q %s", p, s.Name, twice(line, at.line)),
					Fix: "list it once: a metrics or plots file is an output already, so leave it out of outs"}
			}
			if !slices.Contains(metricsExtensions, strings.ToLower(path.Ext(p))) {
				return &Error{File: r.file, Line: at.line, Col: at.col,
					Msg: fmt.Sprintf("%s file %s of stage %q is not .json, .yaml, .yml, .csv or .tsv", group.key, p, s.Name),
					Fix: "write it as JSON, YAML, CSV or TSV, or list it under outs"}
			}
			firstLine[p] = at.line
			s.Outs = append(s.Outs, p)
			pos.outs = append(pos.outs, at)
		}
	}
	return nil
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// twice says where something written twice is: "(lines 3 and 7)".
func twice(firstLine, againLine int) string {
	if firstLine == againLine {
		return fmt.Sprintf("(both on line %d)", againLine)
	}
	return fmt.Sprintf("(lines %d and %d)", firstLine, againLine)
}

func unknownKeyFix(key string, known []string, otherwise string) string {
	if guess := suggestKey(key, known); guess != "" {
		return fmt.Sprintf("did you mean %q?", guess)
	}
	return otherwise
}

func (r *reader) cmd(stage string, f entry) (string, error) {
	switch {
	case f.at.Kind == yaml.SequenceNode:
		return "", r.errorAt(f.at, fmt.Sprintf("cmd of stage %q must be a string, not a list", stage),
			`join the commands with " && " into one string`)
	case f.at.Kind != yaml.ScalarNode:
		return "", r.errorAt(f.at, fmt.Sprintf("cmd of stage %q must be a string, not %s", stage, describe(f.at)),
			"write the shell command that writes its outs")
	case isNull(f.at) || strings.TrimSpace(f.at.Value) == "":
		return "", r.errorAt(f.at, fmt.Sprintf("cmd of stage %q is empty", stage),
			"write the shell command that writes its outs")
	case strings.IndexByte(f.at.Value, 0) >= 0:
		// The command goes to sh -c as one argument, a C string: exec
		// would refuse it, far from dds.yaml.
		return "", r.errorAt(f.at, fmt.Sprintf("cmd of stage %q holds a NUL byte (at byte %d), which no command line can carry", stage, strings.IndexByte(f.at.Value, 0)+1),
			`remove the "\0" or "\x00" escape; a command that must write a NUL can use printf '\0'`)
	}
	return f.at.Value, nil
}

// publishCmd reads the top-level publish: the shell command git dds
// publish runs for each view it writes, as a stage's cmd is run.
func (r *reader) publishCmd(e entry) (string, error) {
	const fix = `write the shell command that registers a view's table, e.g. publish: sh jobs/register.sh "$DDS_PUBLISH_URI"`
	switch {
	case e.at.Kind != yaml.ScalarNode:
		return "", r.errorAt(e.at, fmt.Sprintf("publish must be a string, not %s", describe(e.at)), fix)
	case isNull(e.at) || strings.TrimSpace(e.at.Value) == "":
		return "", r.errorAt(e.at, "publish is empty", fix+", or remove publish")
	case strings.IndexByte(e.at.Value, 0) >= 0:
		return "", r.errorAt(e.at, fmt.Sprintf("publish holds a NUL byte (at byte %d), which no command line can carry", strings.IndexByte(e.at.Value, 0)+1),
			`remove the "\0" or "\x00" escape`)
	}
	return e.at.Value, nil
}

func (r *reader) wdir(stage string, f entry) (string, position, error) {
	if f.at.Kind != yaml.ScalarNode || isNull(f.at) {
		return "", position{}, r.errorAt(f.at, fmt.Sprintf("wdir of stage %q must be a path, not %s", stage, describe(f.at)),
			"write a folder relative to the repository root, or remove wdir to run at the root")
	}
	clean, problem := cleanPath(f.at.Value, true)
	if problem != nil {
		return "", position{}, r.errorAt(f.at, problem.about("wdir", f.at.Value, stage), problem.fix)
	}
	if clean == "." {
		clean = ""
	}
	return clean, position{f.at.Line, f.at.Column}, nil
}

// paths reads deps or outs (role "dep" or "out"): a list of paths, each
// written once.
func (r *reader) paths(stage, role string, f entry) ([]string, []position, error) {
	items, err := r.list(stage, f, "a list of paths", fmt.Sprintf("write it as a list: %s: [%s]", f.key, exampleValue(f.at, "PATH")))
	if err != nil {
		return nil, nil, err
	}
	return r.pathItems(stage, role, f, items)
}

// pathItems reads the items of the list f as paths of role.
func (r *reader) pathItems(stage, role string, f entry, items []*yaml.Node) ([]string, []position, error) {
	paths := make([]string, 0, len(items))
	positions := make([]position, 0, len(items))
	firstLine := make(map[string]int, len(items))
	for _, item := range items {
		if err := r.checkItem(stage, f.key, role, "a path", item); err != nil {
			return nil, nil, err
		}
		if name, ok := strings.CutPrefix(item.Value, ExtPrefix); ok && role == "dep" {
			if !stageNamePattern().MatchString(name) || name == "." || name == ".." {
				return nil, nil, r.errorAt(item, fmt.Sprintf("dep %q of stage %q names no external output", item.Value, stage),
					`write ext:NAME, where NAME is an external output of another stage (letters, digits, "_", "." and "-")`)
			}
			if line, ok := firstLine[item.Value]; ok {
				return nil, nil, r.errorAt(item, fmt.Sprintf("dep %s is listed twice in stage %q %s", item.Value, stage, twice(line, item.Line)),
					"remove one")
			}
			firstLine[item.Value] = item.Line
			paths = append(paths, item.Value)
			positions = append(positions, position{item.Line, item.Column})
			continue
		}
		clean, problem := cleanPath(item.Value, false)
		if problem == nil && role != "dep" {
			problem = projectFile(clean)
		}
		if problem != nil {
			return nil, nil, r.errorAt(item, problem.about(role, item.Value, stage), problem.fix)
		}
		if line, ok := firstLine[clean]; ok {
			return nil, nil, r.errorAt(item, fmt.Sprintf("%s %s is listed twice in stage %q %s", role, clean, stage, twice(line, item.Line)),
				"remove one")
		}
		firstLine[clean] = item.Line
		paths = append(paths, clean)
		positions = append(positions, position{item.Line, item.Column})
	}
	return paths, positions, nil
}

// list returns the items of the sequence f holds (none for an empty value),
// counting them against maxEntries.
func (r *reader) list(stage string, f entry, want, fix string) ([]*yaml.Node, error) {
	if isNull(f.at) {
		return nil, nil
	}
	if f.at.Kind != yaml.SequenceNode {
		return nil, r.errorAt(f.at, fmt.Sprintf("%s of stage %q must be %s, not %s", f.key, stage, want, describe(f.at)), fix)
	}
	if err := r.count(f.keyNode, len(f.at.Content)); err != nil {
		return nil, err
	}
	items := make([]*yaml.Node, len(f.at.Content))
	for i, item := range f.at.Content {
		items[i] = resolve(item)
	}
	return items, nil
}

// checkItem refuses a list item that is not a plain string.
func (r *reader) checkItem(stage, key, role, want string, item *yaml.Node) error {
	switch {
	case isNull(item):
		return r.errorAt(item, fmt.Sprintf("empty item in %s of stage %q", key, stage), `write a value after the "-" or remove it`)
	case item.Kind == yaml.MappingNode && len(item.Content) > 0 && role != "env" && role != "params key":
		return r.errorAt(item, fmt.Sprintf("each %s of stage %q must be %s, not a mapping", role, stage, want),
			fmt.Sprintf("write the path alone (- %s); dds.yaml takes no per-path options", resolve(item.Content[0]).Value))
	case item.Kind != yaml.ScalarNode:
		return r.errorAt(item, fmt.Sprintf("each %s of stage %q must be %s, not %s", role, stage, want, describe(item)),
			"write one value per item")
	}
	return nil
}

// params reads a mapping from params files to the dotted keys that count.
func (r *reader) params(stage string, f entry) ([]ParamFile, []position, error) {
	const example = "params: {params.yaml: [train.lr]}"
	if isNull(f.at) {
		return nil, nil, nil
	}
	if f.at.Kind != yaml.MappingNode {
		return nil, nil, r.errorAt(f.at, fmt.Sprintf("params of stage %q must map each params file to its keys, not %s", stage, describe(f.at)),
			"write it as "+example)
	}
	if err := r.count(f.keyNode, len(f.at.Content)/2); err != nil {
		return nil, nil, err
	}
	files, err := r.mapping(f.at, func(file string, first, again int) (string, string) {
		return fmt.Sprintf("params file %s appears twice in stage %q %s", file, stage, twice(first, again)), "merge their keys"
	})
	if err != nil {
		return nil, nil, err
	}
	params := make([]ParamFile, 0, len(files))
	positions := make(map[string]position, len(files))
	firstLine := make(map[string]int, len(files))
	for _, file := range files {
		clean, problem := cleanPath(file.key, false)
		if problem != nil {
			return nil, nil, r.errorAt(file.keyNode, problem.about("params file", file.key, stage), problem.fix)
		}
		if !slices.Contains(paramsExtensions, path.Ext(clean)) {
			return nil, nil, r.errorAt(file.keyNode, fmt.Sprintf("params file %s of stage %q is not .yaml, .yml or .json", clean, stage),
				"keep params in a YAML or JSON file, or list this file under deps")
		}
		if line, ok := firstLine[clean]; ok {
			return nil, nil, r.errorAt(file.keyNode, fmt.Sprintf("params file %s appears twice in stage %q %s", clean, stage, twice(line, file.keyNode.Line)),
				"merge their keys")
		}
		firstLine[clean] = file.keyNode.Line
		keys, err := r.paramKeys(stage, clean, file)
		if err != nil {
			return nil, nil, err
		}
		params = append(params, ParamFile{File: clean, Keys: keys})
		positions[clean] = position{file.keyNode.Line, file.keyNode.Column}
	}
	slices.SortFunc(params, func(a, b ParamFile) int { return strings.Compare(a.File, b.File) })
	at := make([]position, len(params))
	for i, pf := range params {
		at[i] = positions[pf.File]
	}
	return params, at, nil
}

func (r *reader) paramKeys(stage, file string, f entry) ([]string, error) {
	items, err := r.list(stage, f, "a list of keys", fmt.Sprintf("write it as a list: %s: [%s]", f.key, exampleValue(f.at, "train.lr")))
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, r.errorAt(f.keyNode, fmt.Sprintf("params file %s of stage %q lists no keys", file, stage),
			"list the keys that count, e.g. [train.lr], or list the file under deps to depend on all of it")
	}
	keys := make([]string, 0, len(items))
	firstLine := make(map[string]int, len(items))
	for _, item := range items {
		if err := r.checkItem(stage, file, "params key", "a dotted key", item); err != nil {
			return nil, err
		}
		if slices.Contains(strings.Split(item.Value, "."), "") {
			return nil, r.errorAt(item, fmt.Sprintf("params key %q of stage %q has an empty part", item.Value, stage),
				"write a dotted path to a value, e.g. train.lr")
		}
		if line, ok := firstLine[item.Value]; ok {
			return nil, r.errorAt(item, fmt.Sprintf("params key %s of %s is listed twice in stage %q %s", item.Value, file, stage, twice(line, item.Line)),
				"remove one")
		}
		firstLine[item.Value] = item.Line
		keys = append(keys, item.Value)
	}
	slices.Sort(keys)
	return keys, nil
}

// env reads the names of the environment variables whose values count.
func (r *reader) env(stage string, f entry) ([]string, error) {
	items, err := r.list(stage, f, "a list of variable names", fmt.Sprintf("write it as a list: env: [%s]", exampleValue(f.at, "NAME")))
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(items))
	firstLine := make(map[string]int, len(items))
	for _, item := range items {
		if err := r.checkItem(stage, f.key, "env", "a variable name", item); err != nil {
			return nil, err
		}
		if !envNamePattern().MatchString(item.Value) {
			return nil, r.errorAt(item, fmt.Sprintf("env %q of stage %q is not a variable name", item.Value, stage),
				`use letters, digits and "_", not starting with a digit`)
		}
		if line, ok := firstLine[item.Value]; ok {
			return nil, r.errorAt(item, fmt.Sprintf("env %s is listed twice in stage %q %s", item.Value, stage, twice(line, item.Line)),
				"remove one")
		}
		firstLine[item.Value] = item.Line
		names = append(names, item.Value)
	}
	slices.Sort(names)
	return names, nil
}

// resolve follows a YAML alias to the node it names. The walk is bounded by
// the schema, so an anchor that contains its own alias cannot loop it.
func resolve(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names the kind of a node for "must be X, not Y" messages.
func describe(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind != yaml.ScalarNode:
		return "an alias"
	case isNull(n):
		return "empty"
	case n.ShortTag() == "!!bool":
		return "a boolean"
	case n.ShortTag() == "!!int" || n.ShortTag() == "!!float":
		return "a number"
	}
	return "a string"
}

// exampleValue is the value to show in a "write it as a list" fix: the one the
// user wrote when it was a single string.
func exampleValue(n *yaml.Node, placeholder string) string {
	if n.Kind == yaml.ScalarNode && !isNull(n) && n.Value != "" {
		return n.Value
	}
	return placeholder
}
