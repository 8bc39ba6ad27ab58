package results

import (
	"encoding/json"
	"sort"
	"strconv"

	"github.com/git-dds/git-dds/internal/metrics"
)

// MetricChange is one metric of one file in two snapshots.
type MetricChange struct {
	Path string `json:"path"`
	Name string `json:"name"`
	// Old and New are nil where the snapshot has no such value (the
	// file is not computed there, or does not name it).
	Old *metrics.Value `json:"old"`
	New *metrics.Value `json:"new"`
	// Change is New - Old when both are numbers, to 12 significant digits.
	Change *float64 `json:"change"`
}

// Same reports whether the value is the same in both snapshots.
func (c MetricChange) Same() bool {
	return c.Old != nil && c.New != nil && *c.Old == *c.New
}

// DiffMetrics lists, by path then name, the metrics whose value differs
// between a and b (every metric, with all).
func DiffMetrics(a, b *Snapshot, all bool) []MetricChange {
	paths := map[string]bool{}
	for _, s := range []*Snapshot{a, b} {
		for _, f := range s.Files {
			paths[f.Path] = true
		}
	}
	changes := []MetricChange{}
	for _, path := range sortedKeys(paths) {
		fa, _ := a.File(path)
		fb, _ := b.File(path)
		names := map[string]bool{}
		for name := range fa.Values {
			names[name] = true
		}
		for name := range fb.Values {
			names[name] = true
		}
		for _, name := range sortedKeys(names) {
			c := MetricChange{Path: path, Name: name, Old: valueOf(fa.Values, name), New: valueOf(fb.Values, name)}
			if c.Old != nil && c.New != nil && c.Old.IsNumber && c.New.IsNumber {
				d := rounded(c.New.Number - c.Old.Number)
				c.Change = &d
			}
			if all || !c.Same() {
				changes = append(changes, c)
			}
		}
	}
	return changes
}

// rounded keeps 12 significant digits of a difference: 0.85 - 0.81 is
// 0.039999999999999925 in floating point, and the digits past the
// twelfth are the noise of that, not of the metrics.
func rounded(d float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(d, 'g', 12, 64), 64)
	if err != nil {
		return d
	}
	return r
}

func valueOf(m metrics.Metrics, name string) *metrics.Value {
	v, ok := m[name]
	if !ok {
		return nil
	}
	return &v
}

// ParamChange is one declared params key of one stage in two snapshots.
type ParamChange struct {
	Stage string `json:"stage"`
	Name  string `json:"name"` // file:key
	// Old and New are the canonical JSON values; nil where the stage does
	// not declare the key.
	Old json.RawMessage `json:"old"`
	New json.RawMessage `json:"new"`
}

// DiffParams lists, by stage then name, the declared params keys whose
// value differs between a and b (every key, with all).
func DiffParams(a, b *Snapshot, all bool) []ParamChange {
	type key struct{ stage, name string }
	old, new := map[key]string{}, map[key]string{}
	for _, p := range a.Params {
		old[key{p.Stage, p.Name}] = p.Value
	}
	for _, p := range b.Params {
		new[key{p.Stage, p.Name}] = p.Value
	}
	keys := map[key]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range new {
		keys[k] = true
	}
	sorted := make([]key, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].stage != sorted[j].stage {
			return sorted[i].stage < sorted[j].stage
		}
		return sorted[i].name < sorted[j].name
	})
	changes := []ParamChange{}
	for _, k := range sorted {
		o, inOld := old[k]
		n, inNew := new[k]
		if !all && inOld && inNew && o == n {
			continue
		}
		c := ParamChange{Stage: k.stage, Name: k.name}
		if inOld {
			c.Old = json.RawMessage(o)
		}
		if inNew {
			c.New = json.RawMessage(n)
		}
		changes = append(changes, c)
	}
	return changes
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
