package signature

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/pipeline"
)

// Bounds on one params value: YAML aliases can make a small file expand into
// an enormous value, and a signature should never wait on that.
const (
	maxParamBytes = 1 << 20
	maxParamNodes = 1 << 20
	maxParamDepth = 1000
)

// maxParamsFileSize bounds a params file: it holds settings, and data read
// by a stage belongs in its deps, where only its git object id counts.
const maxParamsFileSize = 8 << 20

var errParamTooLarge = errors.New("the value is larger than 1 MiB or nested more than 1000 deep once its aliases are expanded: declare a narrower key")

// loadParams parses a params file of tree, YAML or JSON alike (JSON is read
// as YAML). It gives the document's top node, or nil for an empty file.
func loadParams(tree gitref.Tree, file string) (*yaml.Node, error) {
	// Read and parsed before the look-up, which waits for a sweep of the
	// working tree's deps to end where the read need not; the look-up's
	// answer still comes first.
	data, readErr := tree.ReadFile(file)
	var (
		doc      *yaml.Node
		parseErr error
	)
	if readErr == nil {
		doc, parseErr = parseParams(file, data)
	}
	_, ok, err := tree.Lookup(file)
	if err != nil {
		return nil, fmt.Errorf("reading params file %q: %w", file, err)
	}
	if !ok {
		return nil, asInput(fmt.Errorf("params file %q is not tracked here: add and commit it, or fix the stage's params in %s", file, pipeline.FileName))
	}
	if readErr != nil {
		return nil, fmt.Errorf("reading params file %q: %w", file, readErr)
	}
	return doc, parseErr
}

// parseParams parses data, the content of the params file file.
func parseParams(file string, data []byte) (*yaml.Node, error) {
	if len(data) > maxParamsFileSize {
		return nil, asInput(&pipeline.Error{File: file,
			Msg: fmt.Sprintf("it is %d bytes, over the limit of %d bytes (8 MiB)", len(data), maxParamsFileSize),
			Fix: "a params file holds settings: move the data to a file the stage lists under deps"})
	}
	if !utf8.Valid(data) {
		line, col := lineCol(data, int64(firstInvalidUTF8(data)))
		return nil, asInput(&pipeline.Error{File: file, Line: line, Col: col,
			Msg: "it is not valid UTF-8", Fix: "save it as UTF-8"})
	}
	// A .json file is held to JSON, which is what the command reading it
	// expects; YAML would take a trailing comma or a bare word in silence.
	if path.Ext(file) == ".json" {
		if err := checkJSON(file, data); err != nil {
			return nil, asInput(err)
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, asInput(pipeline.SyntaxError(file, data, err))
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// checkJSON refuses data, the params file file, unless it holds exactly one
// JSON value, with the line and column where it goes wrong.
func checkJSON(file string, data []byte) error {
	if json.Valid(data) {
		return nil
	}
	const fix = "fix the JSON syntax at this line and column"
	dec := json.NewDecoder(bytes.NewReader(data))
	var v json.RawMessage
	err := dec.Decode(&v)
	var syntax *json.SyntaxError
	switch {
	case err == nil:
		rest := dec.InputOffset()
		for rest < int64(len(data)) && strings.ContainsRune(" \t\r\n", rune(data[rest])) {
			rest++
		}
		line, col := lineCol(data, rest)
		return &pipeline.Error{File: file, Line: line, Col: col, Msg: "not valid JSON: more than one value",
			Fix: "a JSON file holds one value: keep the first, or wrap them in a list"}
	case errors.As(err, &syntax):
		line, col := lineCol(data, max(syntax.Offset-1, 0))
		return &pipeline.Error{File: file, Line: line, Col: col, Msg: "not valid JSON: " + syntax.Error(), Fix: fix}
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		line, col := lineCol(data, int64(len(data)))
		return &pipeline.Error{File: file, Line: line, Col: col, Msg: "not valid JSON: unexpected end of the file", Fix: "close what is open, or write a value"}
	}
	return &pipeline.Error{File: file, Msg: "not valid JSON: " + err.Error(), Fix: fix}
}

// firstInvalidUTF8 gives the offset of the first byte of data that is not
// UTF-8, or len(data).
func firstInvalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(data)
}

// lineCol gives the one-based line and column, in characters, of the byte
// at offset in data.
func lineCol(data []byte, offset int64) (line, col int) {
	before := data[:min(offset, int64(len(data)))]
	start := bytes.LastIndexByte(before, '\n') + 1
	return bytes.Count(before, []byte("\n")) + 1, utf8.RuneCount(before[start:]) + 1
}

// paramValue gives the value at a dotted key of a params document as
// canonical JSON: object keys sorted, no insignificant whitespace, integers
// in decimal, floats in their shortest exact form and always with a '.' or
// an exponent, so that 1 and 1.0 stay distinct (an int and a float are
// different values to the command reading them) while 1.0, 1.00 and 10e-1
// are one value. .inf and .nan become Infinity, -Infinity and NaN.
// A path segment that is a decimal number indexes into a list.
func paramValue(doc *yaml.Node, key string) (string, error) {
	return paramValueCached(doc, key, nil)
}

// keyIndex remembers, per mapping node, where each key leads, so that
// looking up keys of many stages in one large params file does not read the
// whole mapping again for every key.
type keyIndex map[*yaml.Node]map[string]*yaml.Node

// indexedKeys is the size from which a mapping's keys are remembered: a
// small mapping is read again faster than its map is kept, and a params
// file of a key per stage has thousands of them.
const indexedKeys = 16

// paramValueCached is paramValue with look-ups remembered in idx (nil
// remembers nothing).
func paramValueCached(doc *yaml.Node, key string, idx keyIndex) (string, error) {
	w := &jsonWriter{index: idx}
	n, err := w.lookup(doc, key)
	if err != nil {
		return "", err
	}
	if err := w.write(n, 0); err != nil {
		return "", err
	}
	return w.buf.String(), nil
}

// jsonWriter writes a YAML node as canonical JSON within the bounds above.
type jsonWriter struct {
	index   keyIndex
	buf     bytes.Buffer
	visited int
}

func (w *jsonWriter) visit(depth int) error {
	w.visited++
	if w.visited > maxParamNodes || depth > maxParamDepth || w.buf.Len() > maxParamBytes {
		return errParamTooLarge
	}
	return nil
}

func (w *jsonWriter) lookup(n *yaml.Node, key string) (*yaml.Node, error) {
	missing := fmt.Errorf("not in the file: add it there, or remove it from the stage's params in %s", pipeline.FileName)
	for _, segment := range strings.Split(key, ".") {
		n = resolveAlias(n)
		if n == nil {
			return nil, missing
		}
		switch n.Kind {
		case yaml.MappingNode:
			keys, err := w.keysOf(n)
			if err != nil {
				return nil, err
			}
			next, ok := keys[segment]
			if !ok {
				return nil, missing
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(segment)
			if err != nil || i < 0 || i >= len(n.Content) || strconv.Itoa(i) != segment {
				return nil, missing
			}
			n = n.Content[i]
		default:
			return nil, missing
		}
	}
	return n, nil
}

// keysOf maps a mapping's keys to their values, merge keys applied.
func (w *jsonWriter) keysOf(n *yaml.Node) (map[string]*yaml.Node, error) {
	if keys, ok := w.index[n]; ok {
		return keys, nil
	}
	entries, err := w.mappingEntries(n, 0)
	if err != nil {
		return nil, err
	}
	keys := make(map[string]*yaml.Node, len(entries))
	for _, e := range entries {
		if e.keyNode == nil {
			keys[e.key] = e.value
		}
	}
	if w.index != nil && len(keys) >= indexedKeys {
		w.index[n] = keys
	}
	return keys, nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

type mapEntry struct {
	key   string
	value *yaml.Node
	// keyNode is set for a key that is itself a list or mapping: no dotted
	// path names it, and JSON cannot write it.
	keyNode *yaml.Node
}

// mappingEntries gives a mapping's entries with its merge keys (<<) applied
// as YAML defines them: the mapping's own keys win, then earlier merged
// mappings over later ones.
func (w *jsonWriter) mappingEntries(n *yaml.Node, depth int) ([]mapEntry, error) {
	var own, merged []mapEntry
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if err := w.visit(depth); err != nil {
			return nil, err
		}
		k, v := resolveAlias(n.Content[i]), n.Content[i+1]
		if k == nil {
			return nil, fmt.Errorf("line %d: a mapping key is an alias to nothing", n.Content[i].Line)
		}
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			sources := []*yaml.Node{resolveAlias(v)}
			if sources[0] != nil && sources[0].Kind == yaml.SequenceNode {
				sources = sources[0].Content
			}
			for _, src := range sources {
				src = resolveAlias(src)
				if src == nil || src.Kind != yaml.MappingNode {
					return nil, fmt.Errorf("line %d: a merge key (<<) must name a mapping or a list of mappings", k.Line)
				}
				entries, err := w.mappingEntries(src, depth+1)
				if err != nil {
					return nil, err
				}
				merged = append(merged, entries...)
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			own = append(own, mapEntry{value: v, keyNode: k})
			continue
		}
		if seen[k.Value] {
			return nil, fmt.Errorf("line %d: key %q appears twice in one mapping", k.Line, k.Value)
		}
		seen[k.Value] = true
		own = append(own, mapEntry{key: k.Value, value: v})
	}
	for _, e := range merged {
		if !seen[e.key] {
			seen[e.key] = true
			own = append(own, e)
		}
	}
	return own, nil
}

func (w *jsonWriter) write(n *yaml.Node, depth int) error {
	if err := w.visit(depth); err != nil {
		return err
	}
	n = resolveAlias(n)
	if n == nil {
		w.buf.WriteString("null")
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		entries, err := w.mappingEntries(n, depth)
		if err != nil {
			return err
		}
		slices.SortFunc(entries, func(a, b mapEntry) int { return strings.Compare(a.key, b.key) })
		w.buf.WriteByte('{')
		for i, e := range entries {
			if e.keyNode != nil {
				return fmt.Errorf("line %d: a mapping key that is itself a list or mapping has no JSON form", e.keyNode.Line)
			}
			if i > 0 {
				w.buf.WriteByte(',')
			}
			w.writeString(e.key)
			w.buf.WriteByte(':')
			if err := w.write(e.value, depth+1); err != nil {
				return err
			}
		}
		w.buf.WriteByte('}')
	case yaml.SequenceNode:
		w.buf.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			if err := w.write(item, depth+1); err != nil {
				return err
			}
		}
		w.buf.WriteByte(']')
	case yaml.ScalarNode:
		return w.writeScalar(n)
	default:
		w.buf.WriteString("null")
	}
	return nil
}

func (w *jsonWriter) writeScalar(n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		w.buf.WriteString("null")
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		w.buf.WriteString(strconv.FormatBool(b))
	case "!!int":
		var v any
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		switch v := v.(type) {
		case int:
			w.buf.WriteString(strconv.Itoa(v))
		case int64:
			w.buf.WriteString(strconv.FormatInt(v, 10))
		case uint64:
			w.buf.WriteString(strconv.FormatUint(v, 10))
		default:
			return fmt.Errorf("line %d: %q is not an integer", n.Line, n.Value)
		}
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		w.buf.WriteString(formatFloat(f))
	default:
		// Strings, timestamps, binary and custom tags: the text as written.
		w.writeString(n.Value)
	}
	return nil
}

func (w *jsonWriter) writeString(s string) {
	enc := json.NewEncoder(&w.buf)
	enc.SetEscapeHTML(false)
	// Encoding a string cannot fail; the encoder ends it with a newline.
	_ = enc.Encode(s)
	w.buf.Truncate(w.buf.Len() - 1)
}

// formatFloat writes f as encoding/json does, plus ".0" when that would read
// as an integer.
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	b, _ := json.Marshal(f) // finite floats always marshal
	if !bytes.ContainsAny(b, ".e") {
		b = append(b, ".0"...)
	}
	return string(b)
}
