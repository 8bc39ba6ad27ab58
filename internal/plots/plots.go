// Package plots reads plots files: CSV, TSV, JSON or YAML series a stage
// writes, a row per step and a column per quantity. It owns the table a
// file holds and the choice of the columns a chart draws from it; the
// drawing is internal/chart's. The files come from any branch's
// computations, so they are read as hostile: bounded in size, rows and
// columns, and every problem is a *metrics.Error naming the file and,
// where the format gives one, the line.
package plots

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/git-dds/git-dds/internal/metrics"
)

// Bounds of a plots file: a series of a run, drawn on one page.
const (
	// MaxSize bounds the bytes of one plots file (8 MiB).
	MaxSize = 8 << 20
	// MaxRows bounds the rows (points) of one file.
	MaxRows = 100_000
	// MaxColumns bounds the columns of one file.
	MaxColumns = 1_000
	// MaxCells bounds rows times columns.
	MaxCells = 1_000_000
)

// Extensions are the file name extensions Parse reads, lower case.
var Extensions = []string{".json", ".yaml", ".yml", ".csv", ".tsv"}

// Table is a plots file: named columns of numbers, a value per row. A
// cell that is not a number (or is missing from a JSON row) is NaN, drawn
// as a gap.
type Table struct {
	Columns []string
	Values  [][]float64 // by column, each of length Rows
	Rows    int
}

// Column returns the values of the column named name.
func (t *Table) Column(name string) ([]float64, bool) {
	for i, c := range t.Columns {
		if c == name {
			return t.Values[i], true
		}
	}
	return nil, false
}

// TooLarge is the error of the plots file named file, of size bytes, over
// MaxSize: refused from its size alone.
func TooLarge(file string, size int64) *metrics.Error {
	return &metrics.Error{File: file, Msg: fmt.Sprintf("the file is %d bytes, over the limit of %d bytes (8 MiB) for a plots file", size, MaxSize),
		Fix: "write fewer points (every Nth step), or list the file under outs"}
}

// Parse reads the plots file named file (its extension says the format)
// from data. Every error is a *metrics.Error.
func Parse(file string, data []byte) (*Table, error) {
	if len(data) > MaxSize {
		return nil, TooLarge(file, int64(len(data)))
	}
	p := &parser{file: file, data: data, t: &Table{}, index: map[string]int{}}
	if !utf8.Valid(data) {
		return nil, p.errorAt(lineOf(data, firstInvalid(data)), "the file is not valid UTF-8", "write it as UTF-8")
	}
	var err error
	switch ext := strings.ToLower(path.Ext(file)); ext {
	case ".csv":
		err = p.csv(',')
	case ".tsv":
		err = p.csv('\t')
	case ".json":
		err = p.json()
	case ".yaml", ".yml":
		err = p.yaml()
	default:
		err = p.errorAt(0, fmt.Sprintf("%q is not a plots format git dds reads", ext), "write plots as .csv, .tsv, .json, .yaml or .yml")
	}
	if err != nil {
		return nil, err
	}
	if p.t.Rows == 0 {
		return nil, p.errorAt(0, "the file has no rows", "write a row per step")
	}
	return p.t, nil
}

type parser struct {
	file  string
	data  []byte
	t     *Table
	index map[string]int // column name -> its index
}

func (p *parser) errorAt(line int, msg, fix string) *metrics.Error {
	return &metrics.Error{File: p.file, Line: line, Msg: msg, Fix: fix}
}

// column returns the index of the column name, adding it (NaN in the rows
// so far) when it is new.
func (p *parser) column(name string, line int) (int, error) {
	if i, ok := p.index[name]; ok {
		return i, nil
	}
	if name == "" {
		return 0, p.errorAt(line, "a column has no name", "name every column")
	}
	if len(p.t.Columns) >= MaxColumns {
		return 0, p.errorAt(line, fmt.Sprintf("the file has more than %d columns", MaxColumns), "keep the series a chart draws")
	}
	if (len(p.t.Columns)+1)*max(p.t.Rows, 1) > MaxCells {
		return 0, p.tooMany(line)
	}
	p.index[name] = len(p.t.Columns)
	p.t.Columns = append(p.t.Columns, name)
	col := make([]float64, p.t.Rows)
	for i := range col {
		col[i] = math.NaN()
	}
	p.t.Values = append(p.t.Values, col)
	return len(p.t.Columns) - 1, nil
}

func (p *parser) tooMany(line int) error {
	return p.errorAt(line, fmt.Sprintf("the file holds more than %d rows or %d values", MaxRows, MaxCells),
		"write fewer points (every Nth step)")
}

// row starts a new row, NaN in every column.
func (p *parser) row(line int) error {
	if p.t.Rows >= MaxRows || (p.t.Rows+1)*len(p.t.Columns) > MaxCells {
		return p.tooMany(line)
	}
	p.t.Rows++
	for i := range p.t.Values {
		p.t.Values[i] = append(p.t.Values[i], math.NaN())
	}
	return nil
}

// set writes the value of column i in the last row.
func (p *parser) set(i int, v float64) { p.t.Values[i][p.t.Rows-1] = v }

// number reads a cell: NaN when it is not a finite number.
func number(s string) float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsInf(f, 0) {
		return math.NaN()
	}
	return f
}

// csv reads a header of column names and a row per step.
func (p *parser) csv(sep rune) error {
	r := csv.NewReader(bytes.NewReader(p.data))
	r.Comma = sep
	r.ReuseRecord = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return p.errorAt(0, "the file is empty", "write a header row of column names, then a row per step")
	}
	if err != nil {
		return p.csvError(err)
	}
	for i, name := range header {
		name = strings.TrimSpace(name)
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff")
		}
		if _, ok := p.index[name]; ok {
			return p.errorAt(1, fmt.Sprintf("column %q is named twice in the header", name), "rename one")
		}
		if name == "" {
			return p.errorAt(1, fmt.Sprintf("column %d has no name", i+1), "name every column in the header")
		}
		if _, err := p.column(name, 1); err != nil {
			return err
		}
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return p.csvError(err)
		}
		line, _ := r.FieldPos(0)
		if err := p.row(line); err != nil {
			return err
		}
		for i, cell := range rec {
			p.set(i, number(cell))
		}
	}
}

func (p *parser) csvError(err error) error {
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		what := perr.Err.Error()
		fix := "fix the quoting at or near this line"
		if errors.Is(perr.Err, csv.ErrFieldCount) {
			what, fix = "this row has a different number of fields than the header", "give every row one value per column"
		}
		return p.errorAt(perr.Line, "not valid CSV: "+what, fix)
	}
	return p.errorAt(0, "not valid CSV: "+err.Error(), "fix the file")
}

// json reads a list of flat objects, a row each, or an object holding one
// such list (as {"train": [...]}).
func (p *parser) json() error {
	dec := json.NewDecoder(bytes.NewReader(p.data))
	dec.UseNumber()
	const fix = `write a list of rows, e.g. [{"step": 1, "loss": 0.5}, {"step": 2, "loss": 0.4}]`
	start := p.next(dec)
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) {
		return p.errorAt(0, "the file is empty", fix)
	}
	if err != nil {
		return p.jsonError(dec, err)
	}
	d, _ := tok.(json.Delim)
	switch d {
	case '[':
		if err := p.jsonRows(dec); err != nil {
			return err
		}
	case '{':
		// One member, whose value is the list of rows.
		if !dec.More() {
			return p.errorAt(start, "the object is empty", fix)
		}
		if _, err := dec.Token(); err != nil {
			return p.jsonError(dec, err)
		}
		line := p.next(dec)
		tok, err := dec.Token()
		if err != nil {
			return p.jsonError(dec, err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return p.errorAt(line, "the object's value must be a list of rows, not "+jsonKind(tok), fix)
		}
		if err := p.jsonRows(dec); err != nil {
			return err
		}
		if dec.More() {
			return p.errorAt(p.next(dec), "the object holds more than one series", "keep one list of rows per file")
		}
		if _, err := dec.Token(); err != nil {
			return p.jsonError(dec, err)
		}
	default:
		return p.errorAt(start, "the top level must be a list of rows, not "+jsonKind(tok), fix)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return p.errorAt(p.next(dec), "the file holds more than one JSON value", "keep one list")
	}
	return nil
}

// jsonRows reads the rows of a list whose '[' was read, and its ']'.
func (p *parser) jsonRows(dec *json.Decoder) error {
	for dec.More() {
		line := p.next(dec)
		tok, err := dec.Token()
		if err != nil {
			return p.jsonError(dec, err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			return p.errorAt(line, "each row must be an object of column names and numbers, not "+jsonKind(tok), `write it as {"step": 1, "loss": 0.5}`)
		}
		if err := p.row(line); err != nil {
			return err
		}
		seen := map[string]bool{}
		for dec.More() {
			keyLine := p.next(dec)
			tok, err := dec.Token()
			if err != nil {
				return p.jsonError(dec, err)
			}
			name, _ := tok.(string)
			if seen[name] {
				return p.errorAt(keyLine, fmt.Sprintf("%q is named twice in this row", name), "keep one")
			}
			seen[name] = true
			i, err := p.column(name, keyLine)
			if err != nil {
				return err
			}
			valueLine := p.next(dec)
			tok, err = dec.Token()
			if err != nil {
				return p.jsonError(dec, err)
			}
			switch v := tok.(type) {
			case json.Number:
				p.set(i, number(string(v)))
			case string, nil:
				// A label or null: a gap.
			case bool:
				p.set(i, map[bool]float64{false: 0, true: 1}[v])
			default:
				return p.errorAt(valueLine, fmt.Sprintf("the value of %q is %s; a row holds numbers", name, jsonKind(tok)),
					"flatten the row: one column per number")
			}
		}
		if _, err := dec.Token(); err != nil {
			return p.jsonError(dec, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return p.jsonError(dec, err)
	}
	return nil
}

func jsonKind(tok any) string {
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

// next gives the line of the next token dec will read.
func (p *parser) next(dec *json.Decoder) int {
	off := dec.InputOffset()
	for off < int64(len(p.data)) && strings.IndexByte(" \t\r\n,:", p.data[off]) >= 0 {
		off++
	}
	return lineOf(p.data, int(off))
}

func (p *parser) jsonError(dec *json.Decoder, err error) error {
	var syntax *json.SyntaxError
	line := lineOf(p.data, int(dec.InputOffset()))
	if errors.As(err, &syntax) {
		line = lineOf(p.data, int(syntax.Offset))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return p.errorAt(line, "not valid JSON: the file ends inside an object or list", "close every { and [")
	}
	return p.errorAt(line, "not valid JSON: "+err.Error(), "fix the JSON syntax at or near this line")
}

// maxNodes bounds the YAML nodes walked, counting each repetition through
// an alias, so that a few aliases cannot make a small file fill memory.
const maxNodes = 4 * MaxCells

// yaml reads a list of flat mappings, a row each.
func (p *parser) yaml() error {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(p.data))
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return p.errorAt(0, "the file is empty", "write a list of rows, e.g. - {step: 1, loss: 0.5}")
	} else if err != nil {
		return p.yamlError(err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		if err != nil {
			return p.yamlError(err)
		}
		return p.errorAt(more.Line, "the file holds more than one YAML document", `keep one: remove this "---" and what follows`)
	}
	top := resolve(doc.Content[0])
	if top.Kind != yaml.SequenceNode {
		return p.errorAt(top.Line, "the top level must be a list of rows", "write a list of rows, e.g. - {step: 1, loss: 0.5}")
	}
	nodes := 0
	for _, item := range top.Content {
		item = resolve(item)
		if item.Kind != yaml.MappingNode {
			return p.errorAt(item.Line, "each row must be a mapping of column names and numbers", "write it as - {step: 1, loss: 0.5}")
		}
		nodes += 1 + len(item.Content)
		if nodes > maxNodes {
			return p.errorAt(item.Line, fmt.Sprintf("the file expands to more than %d entries through YAML aliases", maxNodes),
				"write the rows out instead of repeating them with aliases")
		}
		if err := p.row(item.Line); err != nil {
			return err
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(item.Content); i += 2 {
			key, value := resolve(item.Content[i]), resolve(item.Content[i+1])
			if key.Kind != yaml.ScalarNode {
				return p.errorAt(key.Line, "a column name must be plain text", "write the name as text")
			}
			if seen[key.Value] {
				return p.errorAt(key.Line, fmt.Sprintf("%q is named twice in this row", key.Value), "keep one")
			}
			seen[key.Value] = true
			c, err := p.column(key.Value, key.Line)
			if err != nil {
				return err
			}
			if value.Kind != yaml.ScalarNode {
				return p.errorAt(value.Line, fmt.Sprintf("the value of %q is not a number; a row holds numbers", key.Value),
					"flatten the row: one column per number")
			}
			if t := value.ShortTag(); t == "!!int" || t == "!!float" {
				p.set(c, number(strings.ReplaceAll(value.Value, "_", "")))
			}
		}
	}
	return nil
}

func resolve(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func (p *parser) yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			if l, err := strconv.Atoi(n); err == nil {
				line, msg = l, after
			}
		}
	}
	return p.errorAt(line, "not valid YAML: "+msg, "fix the YAML syntax at or near this line")
}

// lineOf gives the 1-based line of byte offset off in data.
func lineOf(data []byte, off int) int {
	off = min(max(off, 0), len(data))
	return bytes.Count(data[:off], []byte("\n")) + 1
}

func firstInvalid(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(data)
}
