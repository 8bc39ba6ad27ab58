package results

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/git-dds/git-dds/internal/metrics"
)

// Comparison is one table of refs: a row per ref, a column per params
// key whose value is not the same on every ref, and a column per metric.
type Comparison struct {
	Params  []string `json:"params"`  // file:key
	Metrics []string `json:"metrics"` // PATH:NAME
	Rows    []Row    `json:"rows"`
}

// Row is one ref of a Comparison.
type Row struct {
	Ref    string `json:"ref"`
	Commit string `json:"commit"`
	// State sums up its metrics files: computed when all are, else the
	// state of the one furthest from it (unreadable, lost, stale, remote);
	// "" for a ref without metrics files.
	State   State                      `json:"state"`
	Params  map[string]json.RawMessage `json:"params"`
	Metrics map[string]*metrics.Value  `json:"metrics"`

	label string
}

// Label is the ref as a person reads it.
func (r Row) Label() string { return r.label }

// stateRank orders the states from computed to furthest from it.
var stateRank = map[State]int{Computed: 0, Remote: 1, Stale: 2, Lost: 3, Unreadable: 4}

// Compare builds the table of snaps, in their order.
func Compare(snaps []*Snapshot) *Comparison {
	c := &Comparison{Params: []string{}, Metrics: []string{}, Rows: []Row{}}
	metricCols := map[string]bool{}
	paramValues := map[string]map[string]bool{} // name -> values seen ("" for absent)
	for _, s := range snaps {
		row := Row{Ref: s.Ref, Commit: s.Commit, label: s.Label(),
			Params: map[string]json.RawMessage{}, Metrics: map[string]*metrics.Value{}}
		for _, p := range s.Params {
			if _, seen := row.Params[p.Name]; !seen { // stages reading one key read one value
				row.Params[p.Name] = json.RawMessage(p.Value)
			}
		}
		if len(s.Files) > 0 {
			row.State = Computed
		}
		for _, f := range s.Files {
			if stateRank[f.State] > stateRank[row.State] {
				row.State = f.State
			}
			for name, v := range f.Values {
				col := f.Path + ":" + name
				metricCols[col] = true
				row.Metrics[col] = &v
			}
		}
		c.Rows = append(c.Rows, row)
	}
	for _, row := range c.Rows {
		for name := range row.Params {
			if paramValues[name] == nil {
				paramValues[name] = map[string]bool{}
			}
		}
	}
	for name := range paramValues {
		for _, row := range c.Rows {
			paramValues[name][string(row.Params[name])] = true
		}
		if len(paramValues[name]) > 1 {
			c.Params = append(c.Params, name)
		}
	}
	sort.Strings(c.Params)
	c.Metrics = sortedKeys(metricCols)
	for i := range c.Rows {
		for name := range c.Rows[i].Params {
			if len(paramValues[name]) < 2 {
				delete(c.Rows[i].Params, name)
			}
		}
	}
	return c
}

// SortError is a --sort column the table does not have.
type SortError struct {
	Column  string
	Columns []string // every column of the table
	Matches []string // the columns whose path ends with Column, when several do
}

func (e *SortError) Error() string {
	if len(e.Matches) > 1 {
		return fmt.Sprintf("--sort %s matches several columns, %s; write the whole path", e.Column, strings.Join(e.Matches, ", "))
	}
	if len(e.Columns) == 0 {
		return fmt.Sprintf("no column %q to sort by: the table has no metrics and no params that differ", e.Column)
	}
	return fmt.Sprintf("no column %q to sort by; the columns are %s", e.Column, strings.Join(e.Columns, ", "))
}

// Sort orders the rows by column (a metric PATH:NAME or a params key
// FILE:KEY; a unique suffix of the path is enough, metrics.json:auc), in
// descending order when it starts with "-". Rows without a number there
// come last, in their order.
func (c *Comparison) Sort(column string) error {
	desc := strings.HasPrefix(column, "-")
	column = strings.TrimPrefix(column, "-")
	col, isMetric, err := c.column(column)
	if err != nil {
		return err
	}
	number := func(r Row) (float64, bool) {
		if isMetric {
			v := r.Metrics[col]
			if v == nil || !v.IsNumber {
				return 0, false
			}
			return v.Number, true
		}
		var f float64
		err := json.Unmarshal(r.Params[col], &f)
		return f, err == nil
	}
	sort.SliceStable(c.Rows, func(i, j int) bool {
		a, aok := number(c.Rows[i])
		b, bok := number(c.Rows[j])
		switch {
		case aok != bok:
			return aok
		case !aok:
			return false
		case desc:
			return a > b
		default:
			return a < b
		}
	})
	return nil
}

// column finds the column name means: itself, or the one column whose
// path ends with it after a "/".
func (c *Comparison) column(name string) (string, bool, error) {
	var found []string
	isMetric := false
	for _, group := range []struct {
		cols   []string
		metric bool
	}{{c.Metrics, true}, {c.Params, false}} {
		for _, col := range group.cols {
			if col == name {
				return col, group.metric, nil
			}
			if strings.HasSuffix(col, "/"+name) {
				found = append(found, col)
				isMetric = group.metric
			}
		}
	}
	if len(found) == 1 {
		return found[0], isMetric, nil
	}
	return "", false, &SortError{Column: name, Columns: append(append([]string{}, c.Metrics...), c.Params...), Matches: found}
}
