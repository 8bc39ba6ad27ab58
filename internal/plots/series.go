package plots

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/git-dds/git-dds/internal/metrics"
)

// Step names the row number as x: the first row is step 0.
const Step = "step"

// Series is what a chart draws of one table: the values along x and a
// line per y column, each of the same length.
type Series struct {
	X      string    `json:"x"`
	Xs     []float64 `json:"-"`
	Lines  []Line    `json:"lines"`
	Points int       `json:"points"`
}

// Line is one y column.
type Line struct {
	Y      string    `json:"y"`
	Values []float64 `json:"-"`
}

// Select picks the columns of t a chart draws, as a plots file of dds.yaml
// declares them: x names the column along the horizontal axis ("" for
// the first column when t has more than one, and the row number when it
// has one, or when x is "step" and no column has that name), and ys the
// columns drawn as lines (none for every other column that holds a
// number). file names the file in errors, each a *metrics.Error.
func (t *Table) Select(file, x string, ys []string) (*Series, error) {
	s := &Series{X: x, Points: t.Rows}
	switch {
	case x == "" && len(t.Columns) > 1 && (len(ys) == 0 || !slices.Contains(ys, t.Columns[0])):
		s.X, s.Xs = t.Columns[0], t.Values[0]
	case x == "" || (x == Step && !slices.Contains(t.Columns, Step)):
		s.X, s.Xs = Step, make([]float64, t.Rows)
		for i := range s.Xs {
			s.Xs[i] = float64(i)
		}
	default:
		values, ok := t.Column(x)
		if !ok {
			return nil, t.noColumn(file, "x", x)
		}
		if !anyNumber(values) {
			return nil, &metrics.Error{File: file, Msg: fmt.Sprintf("column %q, the x of the chart, holds no number", x),
				Fix: "name a column of numbers as x in dds.yaml"}
		}
		s.Xs = values
	}
	if len(ys) > 0 {
		for _, y := range ys {
			values, ok := t.Column(y)
			if !ok {
				return nil, t.noColumn(file, "y", y)
			}
			s.Lines = append(s.Lines, Line{Y: y, Values: values})
		}
		return s, nil
	}
	for i, c := range t.Columns {
		if c != s.X && anyNumber(t.Values[i]) {
			s.Lines = append(s.Lines, Line{Y: c, Values: t.Values[i]})
		}
	}
	if len(s.Lines) == 0 {
		return nil, &metrics.Error{File: file, Msg: fmt.Sprintf("no column but %q holds a number to draw", s.X),
			Fix: "write the series as columns of numbers"}
	}
	return s, nil
}

func (t *Table) noColumn(file, axis, name string) error {
	return &metrics.Error{File: file, Msg: fmt.Sprintf("no column %q, the %s of the chart; the columns are %s", name, axis, strings.Join(t.Columns, ", ")),
		Fix: fmt.Sprintf("name one of them as %s of the plots file in dds.yaml", axis)}
}

func anyNumber(values []float64) bool {
	return slices.ContainsFunc(values, func(v float64) bool { return !math.IsNaN(v) })
}
