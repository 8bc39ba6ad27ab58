package results

import (
	"errors"
	"testing"

	"github.com/git-dds/git-dds/internal/metrics"
)

func TestCompare(t *testing.T) {
	snap := func(ref, lr string, state State, auc float64) *Snapshot {
		s := &Snapshot{Ref: ref, Params: []Param{{"train", "p.yaml:lr", lr}, {"train", "p.yaml:depth", "3"}, {"eval", "p.yaml:lr", lr}}}
		f := File{Path: "a/metrics.json", State: state}
		if state == Computed {
			f.Values = metrics.Metrics{"auc": metrics.Num(auc)}
		}
		s.Files = append(s.Files, f, File{Path: "b/metrics.json", State: Computed, Values: metrics.Metrics{"auc": metrics.Num(1)}})
		return s
	}
	c := Compare([]*Snapshot{snap("a", "0.1", Computed, 0.8), snap("b", "0.3", Stale, 0), snap("c", "0.2", Computed, 0.9)})
	if len(c.Params) != 1 || c.Params[0] != "p.yaml:lr" {
		t.Errorf("params columns %v, want only p.yaml:lr: depth is the same everywhere", c.Params)
	}
	if c.Rows[1].State != Stale {
		t.Errorf("b is %s, want stale", c.Rows[1].State)
	}
	if bare := Compare([]*Snapshot{{Ref: "docs"}}); bare.Rows[0].State != "" {
		t.Errorf("a ref without metrics files is %q, want no state", bare.Rows[0].State)
	}
	order := func() string {
		var s string
		for _, r := range c.Rows {
			s += r.Ref
		}
		return s
	}
	if err := c.Sort("-a/metrics.json:auc"); err != nil || order() != "cab" {
		t.Errorf("sorted by -auc: %s, %v; want cab, the row without a value last", order(), err)
	}
	if err := c.Sort("p.yaml:lr"); err != nil || order() != "acb" {
		t.Errorf("sorted by lr: %s, %v; want acb", order(), err)
	}
	var serr *SortError
	if err := c.Sort("metrics.json:auc"); !errors.As(err, &serr) || len(serr.Matches) != 2 {
		t.Errorf("an ambiguous column: %v, want a SortError naming both", err)
	}
	if err := c.Sort("auc"); !errors.As(err, &serr) {
		t.Errorf("an unknown column: %v, want a SortError", err)
	}
}
