package pipeline

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePlotsWithAxes(t *testing.T) {
	p, err := Parse(FileName, doc(
		"stages:",
		"  train:",
		"    cmd: python train.py",
		"    plots:",
		"      - out/loss.csv",
		"      - ./out/roc.json: {x: fpr, y: tpr}",
		"      - out/acc.tsv:",
		"          y: [train, test]",
		"      - out/lr.csv:",
	))
	if err != nil {
		t.Fatal(err)
	}
	train := p.Stage("train")
	if want := []string{"out/loss.csv", "out/roc.json", "out/acc.tsv", "out/lr.csv"}; !reflect.DeepEqual(train.Plots, want) {
		t.Errorf("plots = %v, want %v", train.Plots, want)
	}
	want := []PlotAxes{{File: "out/roc.json", X: "fpr", Y: []string{"tpr"}}, {File: "out/acc.tsv", Y: []string{"train", "test"}}, {File: "out/lr.csv"}}
	if !reflect.DeepEqual(train.PlotAxes, want) {
		t.Errorf("axes = %+v, want %+v", train.PlotAxes, want)
	}
	if got := train.Axes("out/loss.csv"); !reflect.DeepEqual(got, PlotAxes{File: "out/loss.csv"}) {
		t.Errorf("axes of a plain plots file = %+v", got)
	}
	if got := p.positions["train"].outs[1]; got != (position{6, 9}) {
		t.Errorf("position of out/roc.json = %v, want 6:9", got)
	}
	checkRoundTrip(t, p)
}

func TestParsePlotsErrors(t *testing.T) {
	for _, tt := range []struct {
		name, plots, want string
	}{
		{"two paths in one item", "[{a.csv: {x: s}, b.csv: {x: s}}]", "dds.yaml:4:13: each plots file of stage \"train\" maps one path to its columns, not 2"},
		{"options not a mapping", "[a.csv: x]", "dds.yaml:4:20: the options of plots file a.csv of stage \"train\" must be a mapping of x and y, not a string"},
		{"unknown key", "[a.csv: {z: s}]", "dds.yaml:4:21: unknown key \"z\" for plots file a.csv of stage \"train\""},
		{"x a list", "[a.csv: {x: [s]}]", "dds.yaml:4:24: x of plots file a.csv must name a column, not a list"},
		{"y a mapping", "[a.csv: {y: [{a: b}]}]", "dds.yaml:4:25: y of plots file a.csv must name a column, not a mapping"},
		{"x twice", "[a.csv: {x: s, x: t}]", "key \"x\" appears twice for plots file a.csv"},
		{"bad path", "[../a.csv: {x: s}]", "dds.yaml:4:13: plots file \"../a.csv\""},
		{"path twice", "[a.csv, a.csv: {x: s}]", "plots file a.csv is listed twice"},
		{"not a format", "[a.png: {x: s}]", "plots file a.png of stage \"train\" is not .json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(FileName, doc("stages:", "  train:", "    cmd: make", "    plots: "+tt.plots))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
