package results

import (
	"encoding/json"
	"testing"

	"github.com/git-dds/git-dds/internal/metrics"
)

func TestDiffMetrics(t *testing.T) {
	a := &Snapshot{Ref: "main", Files: []File{
		{Path: "m.json", State: Computed, Values: metrics.Metrics{"auc": metrics.Num(0.81), "n": metrics.Num(3), "model": {Text: "tree"}}},
		{Path: "gone.csv", State: Computed, Values: metrics.Metrics{"f1": metrics.Num(0.5)}},
	}}
	b := &Snapshot{Ref: "lr2", Files: []File{
		{Path: "m.json", State: Computed, Values: metrics.Metrics{"auc": metrics.Num(0.85), "n": metrics.Num(3), "model": {Text: "forest"}}},
		{Path: "gone.csv", State: Stale},
	}}
	got, err := json.Marshal(DiffMetrics(a, b, false))
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"path":"gone.csv","name":"f1","old":0.5,"new":null,"change":null},` +
		`{"path":"m.json","name":"auc","old":0.81,"new":0.85,"change":0.04},` +
		`{"path":"m.json","name":"model","old":"tree","new":"forest","change":null}]`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if all := DiffMetrics(a, b, true); len(all) != 4 {
		t.Errorf("--all lists %d metrics, want 4", len(all))
	}
}

func TestDiffParams(t *testing.T) {
	a := &Snapshot{Params: []Param{{"train", "p.yaml:lr", "0.1"}, {"train", "p.yaml:depth", "3"}, {"clean", "p.yaml:k", `"mean"`}}}
	b := &Snapshot{Params: []Param{{"train", "p.yaml:lr", "0.2"}, {"train", "p.yaml:depth", "3"}, {"train", "p.yaml:seed", "1"}}}
	got, err := json.Marshal(DiffParams(a, b, false))
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"stage":"clean","name":"p.yaml:k","old":"mean","new":null},` +
		`{"stage":"train","name":"p.yaml:lr","old":0.1,"new":0.2},` +
		`{"stage":"train","name":"p.yaml:seed","old":null,"new":1}]`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
