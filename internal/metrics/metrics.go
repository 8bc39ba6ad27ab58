// Package metrics reads metrics files: JSON, YAML, CSV or TSV files a stage
// writes, mapping names to numbers. Nested names are flattened with dots
// ("loss.test"), list items by position ("scores.0"). The files come from
// any branch's computations, so they are read as hostile: bounded in size,
// values and depth, and every problem is an *Error naming the file and,
// where the format gives one, the line.
package metrics

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Bounds of a metrics file: it holds a summary of a computation, not its
// data, which belongs under outs or plots.
const (
	// MaxSize bounds the bytes of one metrics file (1 MiB).
	MaxSize = 1 << 20
	// MaxValues bounds the values one file names, counting each repetition
	// through a YAML alias, so that a few aliases cannot make a small file
	// fill memory.
	MaxValues = 10_000
	// MaxDepth bounds how deep names nest.
	MaxDepth = 32
)

// Extensions are the file name extensions Parse reads, lower case.
var Extensions = []string{".json", ".yaml", ".yml", ".csv", ".tsv"}

// Value is one metric: a number, or the text the file gave when it is not
// one (kept to be shown, never compared).
type Value struct {
	Number   float64
	Text     string
	IsNumber bool
}

// Num makes a numeric Value.
func Num(f float64) Value { return Value{Number: f, IsNumber: true} }

// String gives the number in its shortest exact form, or the text.
func (v Value) String() string {
	if v.IsNumber {
		return strconv.FormatFloat(v.Number, 'g', -1, 64)
	}
	return v.Text
}

// MarshalJSON writes a number as a JSON number, text as a JSON string.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.IsNumber {
		return []byte(v.String()), nil
	}
	return json.Marshal(v.Text)
}

// Metrics are the values of one file by flattened name.
type Metrics map[string]Value

// Names returns the names of m, sorted.
func (m Metrics) Names() []string { return slices.Sorted(maps.Keys(m)) }

// Error is a problem in a metrics file: which file, where, what is wrong
// and what to do.
type Error struct {
	File string // as named to Parse
	Line int    // 1-based; 0 when unknown
	Msg  string
	Fix  string
}

// Error formats e as FILE:LINE: MSG; FIX, leaving out what is unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": " + e.Msg)
	if e.Fix != "" {
		b.WriteString("; " + e.Fix)
	}
	return b.String()
}

// TooLarge is the error of the metrics file named file, of size bytes,
// over MaxSize: refused from its size alone, before any of it is read.
func TooLarge(file string, size int64) *Error {
	return &Error{File: file, Msg: fmt.Sprintf("the file is %d bytes, over the limit of %d bytes (1 MiB) for a metrics file", size, MaxSize),
		Fix: "keep a summary of a few numbers in metrics; list larger files under outs or plots"}
}

// Read parses the metrics file named file from r, which holds size bytes:
// a file over MaxSize is refused from its size (TooLarge), and no more
// than MaxSize+1 bytes are ever read. An error reading r is returned as
// it is; every other is an *Error.
func Read(file string, r io.Reader, size int64) (Metrics, error) {
	if size > MaxSize {
		return nil, TooLarge(file, size)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, err
	}
	return Parse(file, data)
}

// Parse reads the metrics file named file (its extension says the
// format) from data. Every error is an *Error.
func Parse(file string, data []byte) (Metrics, error) {
	p := &parser{Source: Source{File: file, Data: data}, values: Metrics{}, lines: map[string]int{}}
	if len(data) > MaxSize {
		return nil, TooLarge(file, int64(len(data)))
	}
	if err := p.CheckUTF8(); err != nil {
		return nil, err
	}
	var err error
	switch ext := strings.ToLower(path.Ext(file)); ext {
	case ".json":
		err = p.json()
	case ".yaml", ".yml":
		err = p.yaml()
	case ".csv":
		err = p.csv(',')
	case ".tsv":
		err = p.csv('\t')
	default:
		err = p.ErrorAt(0, fmt.Sprintf("%q is not a metrics format git dds reads", ext),
			"write metrics as .json, .yaml, .yml, .csv or .tsv")
	}
	if err != nil {
		return nil, err
	}
	return p.values, nil
}

type parser struct {
	Source
	values Metrics
	lines  map[string]int // name -> line it was read at, for duplicates
	count  int            // values read, aliases counted each time
	nodes  int            // YAML nodes walked, aliases counted each time
}

// maxNodes bounds the YAML nodes walked, values or not.
const maxNodes = 4 * MaxValues

// add records one value, refusing a name read twice and a file past
// MaxValues.
func (p *parser) add(name string, line int, v Value) error {
	if name == "" {
		return p.ErrorAt(line, "a value has an empty name", "give every value a name")
	}
	if first, ok := p.lines[name]; ok {
		return p.ErrorAt(line, fmt.Sprintf("%q is named twice (lines %d and %d)", name, first, line),
			`keep one (a name with dots, "a.b", is the same as b nested in a)`)
	}
	p.count++
	if p.count > MaxValues {
		return p.ErrorAt(line, fmt.Sprintf("the file holds more than %d values", MaxValues),
			"keep a summary of a few numbers in metrics; list series under plots")
	}
	p.lines[name] = line
	p.values[name] = v
	return nil
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func (p *parser) tooDeep(line int) error {
	return p.ErrorAt(line, fmt.Sprintf("names nest deeper than %d levels", MaxDepth), "flatten the file")
}

// json reads a JSON object token by token, which gives each value's line.
func (p *parser) json() error {
	dec := json.NewDecoder(bytes.NewReader(p.Data))
	dec.UseNumber()
	start := p.NextLine(dec)
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) {
		return p.ErrorAt(0, "the file is empty", `write a JSON object of names and numbers, e.g. {"auc": 0.91}`)
	}
	if err != nil {
		return p.JSONError(dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return p.ErrorAt(start, fmt.Sprintf("the top level must be an object of names and values, not %s", JSONKind(tok)),
			`write it as {"auc": 0.91}`)
	}
	if err := p.jsonObject(dec, "", 1); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return p.ErrorAt(p.Line(dec.InputOffset()), "the file holds more than one JSON value", "keep one object")
	}
	return nil
}

// jsonObject reads the members of an object whose '{' was read.
func (p *parser) jsonObject(dec *json.Decoder, prefix string, depth int) error {
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return p.JSONError(dec, err)
		}
		key, _ := tok.(string) // the decoder refuses a key that is not a string
		if err := p.jsonValue(dec, join(prefix, key), depth); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return p.JSONError(dec, err)
	}
	return nil
}

func (p *parser) jsonValue(dec *json.Decoder, name string, depth int) error {
	line := p.NextLine(dec)
	tok, err := dec.Token()
	if err != nil {
		return p.JSONError(dec, err)
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= MaxDepth {
			return p.tooDeep(line)
		}
		if t == '{' {
			return p.jsonObject(dec, name, depth+1)
		}
		for i := 0; dec.More(); i++ {
			if err := p.jsonValue(dec, join(name, strconv.Itoa(i)), depth+1); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return p.JSONError(dec, err)
		}
		return nil
	case json.Number:
		return p.add(name, line, number(string(t)))
	case string:
		return p.add(name, line, Value{Text: t})
	case bool:
		return p.add(name, line, boolean(t))
	default:
		return p.add(name, line, Value{Text: "null"})
	}
}

// JSONKind words what a JSON token opens or is ("a list", "a number"),
// for an error that says what was found where something else belongs.
func JSONKind(tok any) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return "a list"
		}
		return "an object"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return "null"
}

// number reads a number as written; one float64 cannot hold (1e999) is
// kept as text.
func number(s string) Value {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return Value{Text: s}
	}
	return Num(f)
}

func boolean(b bool) Value {
	if b {
		return Num(1)
	}
	return Num(0)
}

// yaml reads a YAML mapping through its nodes, which carry lines.
func (p *parser) yaml() error {
	top, err := p.YAMLDocument("write a mapping of names and numbers, e.g. auc: 0.91")
	if err != nil {
		return err
	}
	if top.Kind != yaml.MappingNode {
		return p.ErrorAt(top.Line, fmt.Sprintf("the top level must map names to values, not %s", yamlKind(top)),
			"write it as auc: 0.91, one name per line")
	}
	return p.yamlNode(top, "", 0)
}

func (p *parser) yamlNode(n *yaml.Node, name string, depth int) error {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	// Values are counted by add; empty mappings and lists repeated through
	// aliases are not values, and are bounded here.
	p.nodes++
	if p.nodes > maxNodes {
		return p.ErrorAt(n.Line, fmt.Sprintf("the file expands to more than %d entries through YAML aliases", maxNodes),
			"write the values out instead of repeating them with aliases")
	}
	if depth > MaxDepth {
		return p.tooDeep(n.Line)
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			if key.Kind == yaml.AliasNode && key.Alias != nil {
				key = key.Alias
			}
			if key.Kind != yaml.ScalarNode {
				return p.ErrorAt(key.Line, fmt.Sprintf("a name must be plain text, not %s", yamlKind(key)), "write the name as text")
			}
			if key.Tag == "!!merge" {
				return p.ErrorAt(key.Line, "YAML merge keys (<<) are not read in metrics", "write the values out")
			}
			if err := p.yamlNode(n.Content[i+1], join(name, key.Value), depth+1); err != nil {
				return err
			}
		}
		return nil
	case yaml.SequenceNode:
		for i, item := range n.Content {
			if err := p.yamlNode(item, join(name, strconv.Itoa(i)), depth+1); err != nil {
				return err
			}
		}
		return nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int", "!!float":
			v := number(strings.ReplaceAll(n.Value, "_", ""))
			if !v.IsNumber {
				v = Value{Text: n.Value} // .nan, .inf: shown as written
			}
			return p.add(name, n.Line, v)
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err == nil {
				return p.add(name, n.Line, boolean(b))
			}
		case "!!null":
			return p.add(name, n.Line, Value{Text: "null"})
		}
		return p.add(name, n.Line, Value{Text: n.Value})
	}
	return p.ErrorAt(n.Line, fmt.Sprintf("%s cannot be read as a value", yamlKind(n)), "write a number")
}

func yamlKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "empty"
		case "!!int", "!!float":
			return "a number"
		}
		return "a string"
	}
	return "an alias"
}

// csv reads a header of names and rows of values; the last row counts,
// as the values at the end of a run.
func (p *parser) csv(sep rune) error {
	r := csv.NewReader(bytes.NewReader(p.Data))
	r.Comma = sep
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return p.ErrorAt(0, "the file is empty", "write a header row of names, then a row of numbers")
	}
	if err != nil {
		return p.CSVError(err)
	}
	if len(header) > MaxValues {
		return p.ErrorAt(1, fmt.Sprintf("the header names %d columns, over %d", len(header), MaxValues),
			"keep a summary of a few numbers in metrics; list series under plots")
	}
	var last []string
	lastLine := 0
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return p.CSVError(err)
		}
		last = row
		lastLine, _ = r.FieldPos(0)
	}
	if last == nil {
		return p.ErrorAt(1, "the file has a header but no row of values", "write the values on the line after the names")
	}
	for i, name := range header {
		name = strings.TrimSpace(name)
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff")
		}
		if name == "" {
			return p.ErrorAt(1, fmt.Sprintf("column %d has no name", i+1), "name every column in the header")
		}
		v := number(strings.TrimSpace(last[i]))
		if !v.IsNumber {
			v = Value{Text: last[i]}
		}
		if err := p.addColumn(name, lastLine, v); err != nil {
			return err
		}
	}
	return nil
}

// addColumn is add with the wording of a header.
func (p *parser) addColumn(name string, line int, v Value) error {
	if _, ok := p.lines[name]; ok {
		return p.ErrorAt(1, fmt.Sprintf("column %q is named twice in the header", name), "rename one")
	}
	return p.add(name, line, v)
}
