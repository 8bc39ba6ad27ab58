package plots

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

// nan stands for NaN in expected columns, which reflect.DeepEqual cannot
// compare.
const nan = -12345

func columns(t *Table) [][]float64 {
	out := make([][]float64, len(t.Values))
	for i, col := range t.Values {
		for _, v := range col {
			if math.IsNaN(v) {
				v = nan
			}
			out[i] = append(out[i], v)
		}
	}
	return out
}

func TestParseFormats(t *testing.T) {
	want := &Table{Columns: []string{"step", "loss"}, Rows: 3}
	wantValues := [][]float64{{0, 1, 2}, {0.5, nan, 0.25}}
	for _, tt := range []struct{ file, data string }{
		{"p.csv", "\ufeffstep, loss\n0,0.5\n1,n/a\n2,0.25\n"},
		{"p.tsv", "step\tloss\n0\t0.5\n1\t\n2\t0.25\n"},
		{"p.json", `[{"step": 0, "loss": 0.5}, {"step": 1}, {"step": 2, "loss": 0.25}]`},
		{"p.json", `{"train": [{"step": 0, "loss": 0.5}, {"step": 1, "loss": null}, {"step": 2, "loss": 0.25}]}`},
		{"P.YAML", "- {step: 0, loss: 0.5}\n- {step: 1, loss: nope}\n- {step: 2, loss: 0.25}\n"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			got, err := Parse(tt.file, []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Columns, want.Columns) || got.Rows != want.Rows || !reflect.DeepEqual(columns(got), wantValues) {
				t.Errorf("got %v %d rows %v", got.Columns, got.Rows, columns(got))
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct{ file, data, want string }{
		{"p.csv", "", "p.csv: the file is empty; "},
		{"p.csv", "a,b\n", "p.csv: the file has no rows; "},
		{"p.csv", "a,b\n1,2\n3\n", "p.csv:3: not valid CSV: this row has a different number of fields than the header; "},
		{"p.csv", "a,a\n1,2\n", `p.csv:1: column "a" is named twice in the header; `},
		{"p.csv", "a,\n1,2\n", "p.csv:1: column 2 has no name; "},
		{"p.csv", "a\n\"1\n", "p.csv:2: not valid CSV: "},
		{"p.csv", "a\n\xff\n", "p.csv:2: the file is not valid UTF-8; "},
		{"p.json", "{\"a\": 1}", `p.json:1: the object's value must be a list of rows, not a number; `},
		{"p.json", "[\n{\"a\": 1},\n2]", "p.json:3: each row must be an object of column names and numbers, not a number; "},
		{"p.json", "[\n{\"a\": 1,\n \"b\": {\"c\": 2}}]", `p.json:3: the value of "b" is an object; a row holds numbers; `},
		{"p.json", "[\n{\"a\": 1, \"a\": 2}]", `p.json:2: "a" is named twice in this row; `},
		{"p.json", "[\n{\"a\": 1}\n", "p.json:2: not valid JSON: the file ends inside an object or list; "},
		{"p.json", "[{\"a\": 1}] []", "p.json:1: the file holds more than one JSON value; "},
		{"p.json", `{"a": [{"x": 1}], "b": []}`, "p.json:1: the object holds more than one series; "},
		{"p.yaml", "a: 1\n", "p.yaml:1: the top level must be a list of rows; "},
		{"p.yaml", "- 1\n", "p.yaml:1: each row must be a mapping of column names and numbers; "},
		{"p.yaml", "- {a: [1]}\n", `p.yaml:1: the value of "a" is not a number; `},
		{"p.txt", "a\n1\n", `p.txt: ".txt" is not a plots format git dds reads; `},
	} {
		t.Run(tt.want, func(t *testing.T) {
			_, err := Parse(tt.file, []byte(tt.data))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %v, want one starting %q", err, tt.want)
			}
		})
	}
}

func TestParseBounds(t *testing.T) {
	var rows strings.Builder
	rows.WriteString("a\n")
	for i := range MaxRows + 1 {
		fmt.Fprintf(&rows, "%d\n", i)
	}
	if _, err := Parse("p.csv", []byte(rows.String())); err == nil || !strings.Contains(err.Error(), fmt.Sprintf(":%d: the file holds more than %d rows", MaxRows+2, MaxRows)) {
		t.Errorf("rows over the bound: %v", err)
	}
	var header []string
	for i := range MaxColumns + 1 {
		header = append(header, fmt.Sprint("c", i))
	}
	if _, err := Parse("p.csv", []byte(strings.Join(header, ",")+"\n")); err == nil || !strings.Contains(err.Error(), "more than 1000 columns") {
		t.Errorf("columns over the bound: %v", err)
	}
	if _, err := Parse("p.csv", make([]byte, MaxSize+1)); err == nil || !strings.Contains(err.Error(), "over the limit") {
		t.Errorf("size over the bound: %v", err)
	}
	// YAML aliases repeat rows without writing them out.
	bomb := "- &a {x: 1, y: 2}\n" + strings.Repeat("- *a\n", 1000)
	if tab, err := Parse("p.yaml", []byte(bomb)); err != nil || tab.Rows != 1001 {
		t.Errorf("aliased rows: %v", err)
	}
}

func TestSelect(t *testing.T) {
	tab, err := Parse("p.csv", []byte("epoch,loss,acc,label\n1,0.5,0.1,a\n2,0.4,0.2,b\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		x     string
		ys    []string
		wantX string
		want  []string
		xs    []float64
	}{
		{"", nil, "epoch", []string{"loss", "acc"}, []float64{1, 2}},
		{"step", []string{"loss"}, "step", []string{"loss"}, []float64{0, 1}},
		{"acc", nil, "acc", []string{"epoch", "loss"}, []float64{0.1, 0.2}},
		{"", []string{"epoch"}, "step", []string{"epoch"}, []float64{0, 1}},
	} {
		s, err := tab.Select("p.csv", tt.x, tt.ys)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range s.Lines {
			got = append(got, l.Y)
		}
		if s.X != tt.wantX || !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(s.Xs, tt.xs) {
			t.Errorf("Select(%q, %v) = x %s %v, lines %v", tt.x, tt.ys, s.X, s.Xs, got)
		}
	}
	if _, err := tab.Select("p.csv", "time", nil); err == nil || err.Error() != `p.csv: no column "time", the x of the chart; the columns are epoch, loss, acc, label; name one of them as x of the plots file in dds.yaml` {
		t.Errorf("unknown x: %v", err)
	}
	if _, err := tab.Select("p.csv", "", []string{"auc"}); err == nil || !strings.Contains(err.Error(), `no column "auc", the y of the chart`) {
		t.Errorf("unknown y: %v", err)
	}
	if _, err := tab.Select("p.csv", "label", nil); err == nil || !strings.Contains(err.Error(), `column "label", the x of the chart, holds no number`) {
		t.Errorf("x of text: %v", err)
	}
}
