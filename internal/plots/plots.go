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
	p := &parser{Source: metrics.Source{File: file, Data: data}, t: &Table{}, index: map[string]int{}}
	if err := p.CheckUTF8(); err != nil {
		return nil, err
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
		err = p.ErrorAt(0, fmt.Sprintf("%q is not a plots format git dds reads", ext), "write plots as .csv, .tsv, .json, .yaml or .yml")
	}
	if err != nil {
		return nil, err
	}
	if p.t.Rows == 0 {
		return nil, p.ErrorAt(0, "the file has no rows", "write a row per step")
	}
	return p.t, nil
}

type parser struct {
	metrics.Source
	t     *Table
	index map[string]int // column name -> its index
}

// column returns the index of the column name, adding it (NaN in the rows
// so far) when it is new.
func (p *parser) column(name string, line int) (int, error) {
	if i, ok := p.index[name]; ok {
		return i, nil
	}
	if name == "" {
		return 0, p.ErrorAt(line, "a column has no name", "name every column")
	}
	if len(p.t.Columns) >= MaxColumns {
		return 0, p.ErrorAt(line, fmt.Sprintf("the file has more than %d columns", MaxColumns), "keep the series a chart draws")
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
	return p.ErrorAt(line, fmt.Sprintf("the file holds more than %d rows or %d values", MaxRows, MaxCells),
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
	r := csv.NewReader(bytes.NewReader(p.Data))
	r.Comma = sep
	r.ReuseRecord = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return p.ErrorAt(0, "the file is empty", "write a header row of column names, then a row per step")
	}
	if err != nil {
		return p.CSVError(err)
	}
	for i, name := range header {
		name = strings.TrimSpace(name)
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff")
		}
		if _, ok := p.index[name]; ok {
			return p.ErrorAt(1, fmt.Sprintf("column %q is named twice in the header", name), "rename one")
		}
		if name == "" {
			return p.ErrorAt(1, fmt.Sprintf("column %d has no name", i+1), "name every column in the header")
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
			return p.CSVError(err)
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

// json reads a list of flat objects, a row each, or an object holding one
// such list (as {"train": [...]}).
func (p *parser) json() error {
	dec := json.NewDecoder(bytes.NewReader(p.Data))
	dec.UseNumber()
	const fix = `write a list of rows, e.g. [{"step": 1, "loss": 0.5}, {"step": 2, "loss": 0.4}]`
	start := p.NextLine(dec)
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) {
		return p.ErrorAt(0, "the file is empty", fix)
	}
	if err != nil {
		return p.JSONError(dec, err)
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
			return p.ErrorAt(start, "the object is empty", fix)
		}
		if _, err := dec.Token(); err != nil {
			return p.JSONError(dec, err)
		}
		line := p.NextLine(dec)
		tok, err := dec.Token()
		if err != nil {
			return p.JSONError(dec, err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return p.ErrorAt(line, "the object's value must be a list of rows, not "+metrics.JSONKind(tok), fix)
		}
		if err := p.jsonRows(dec); err != nil {
			return err
		}
		if dec.More() {
			return p.ErrorAt(p.NextLine(dec), "the object holds more than one series", "keep one list of rows per file")
		}
		if _, err := dec.Token(); err != nil {
			return p.JSONError(dec, err)
		}
	default:
		return p.ErrorAt(start, "the top level must be a list of rows, not "+metrics.JSONKind(tok), fix)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return p.ErrorAt(p.NextLine(dec), "the file holds more than one JSON value", "keep one list")
	}
	return nil
}

// jsonRows reads the rows of a list whose '[' was read, and its ']'.
func (p *parser) jsonRows(dec *json.Decoder) error {
	for dec.More() {
		line := p.NextLine(dec)
		tok, err := dec.Token()
		if err != nil {
			return p.JSONError(dec, err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			return p.ErrorAt(line, "each row must be an object of column names and numbers, not "+metrics.JSONKind(tok), `write it as {"step": 1, "loss": 0.5}`)
		}
		if err := p.row(line); err != nil {
			return err
		}
		seen := map[string]bool{}
		for dec.More() {
			keyLine := p.NextLine(dec)
			tok, err := dec.Token()
			if err != nil {
				return p.JSONError(dec, err)
			}
			name, _ := tok.(string)
			if seen[name] {
				return p.ErrorAt(keyLine, fmt.Sprintf("%q is named twice in this row", name), "keep one")
			}
			seen[name] = true
			i, err := p.column(name, keyLine)
			if err != nil {
				return err
			}
			valueLine := p.NextLine(dec)
			tok, err = dec.Token()
			if err != nil {
				return p.JSONError(dec, err)
			}
			switch v := tok.(type) {
			case json.Number:
				p.set(i, number(string(v)))
			case string, nil:
				// A label or null: a gap.
			case bool:
				p.set(i, map[bool]float64{false: 0, true: 1}[v])
			default:
				return p.ErrorAt(valueLine, fmt.Sprintf("the value of %q is %s; a row holds numbers", name, metrics.JSONKind(tok)),
					"flatten the row: one column per number")
			}
		}
		if _, err := dec.Token(); err != nil {
			return p.JSONError(dec, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return p.JSONError(dec, err)
	}
	return nil
}

// maxNodes bounds the YAML nodes walked, counting each repetition through
// an alias, so that a few aliases cannot make a small file fill memory.
const maxNodes = 4 * MaxCells

// yaml reads a list of flat mappings, a row each.
func (p *parser) yaml() error {
	top, err := p.YAMLDocument("write a list of rows, e.g. - {step: 1, loss: 0.5}")
	if err != nil {
		return err
	}
	if top.Kind != yaml.SequenceNode {
		return p.ErrorAt(top.Line, "the top level must be a list of rows", "write a list of rows, e.g. - {step: 1, loss: 0.5}")
	}
	nodes := 0
	for _, item := range top.Content {
		item = resolve(item)
		if item.Kind != yaml.MappingNode {
			return p.ErrorAt(item.Line, "each row must be a mapping of column names and numbers", "write it as - {step: 1, loss: 0.5}")
		}
		nodes += 1 + len(item.Content)
		if nodes > maxNodes {
			return p.ErrorAt(item.Line, fmt.Sprintf("the file expands to more than %d entries through YAML aliases", maxNodes),
				"write the rows out instead of repeating them with aliases")
		}
		if err := p.row(item.Line); err != nil {
			return err
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(item.Content); i += 2 {
			key, value := resolve(item.Content[i]), resolve(item.Content[i+1])
			if key.Kind != yaml.ScalarNode {
				return p.ErrorAt(key.Line, "a column name must be plain text", "write the name as text")
			}
			if seen[key.Value] {
				return p.ErrorAt(key.Line, fmt.Sprintf("%q is named twice in this row", key.Value), "keep one")
			}
			seen[key.Value] = true
			c, err := p.column(key.Value, key.Line)
			if err != nil {
				return err
			}
			if value.Kind != yaml.ScalarNode {
				return p.ErrorAt(value.Line, fmt.Sprintf("the value of %q is not a number; a row holds numbers", key.Value),
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
