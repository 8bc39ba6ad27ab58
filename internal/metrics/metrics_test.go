package metrics

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseFlattens(t *testing.T) {
	want := Metrics{"auc": Num(0.91), "loss.train": Num(0.2), "loss.test": Num(0.3), "scores.0": Num(1), "scores.1": Num(2),
		"best": Num(1), "model": {Text: "tree"}}
	tests := map[string]string{
		"m.json": `{"auc": 0.91, "loss": {"train": 0.2, "test": 3e-1}, "scores": [1, 2], "best": true, "model": "tree"}`,
		"m.yaml": "auc: 0.91\nloss:\n  train: 0.2\n  test: .3\nscores: [1, 2]\nbest: true\nmodel: tree\n",
		"M.YML":  "auc: 0.91\nloss: {train: 0.2, test: 0.3}\nscores:\n  - 1\n  - 2\nbest: yes_not_bool\nmodel: tree\n",
		"m.csv":  "auc,loss.train,loss.test,scores.0,scores.1,best,model\n0.5,9,9,9,9,9,x\n0.91,0.2,0.3,1,2,1,tree\n",
		"m.tsv":  "auc\tloss.train\tloss.test\tscores.0\tscores.1\tbest\tmodel\n0.91\t0.2\t0.3\t1\t2\t1\ttree\n",
	}
	for file, data := range tests {
		t.Run(file, func(t *testing.T) {
			got, err := Parse(file, []byte(data))
			if err != nil {
				t.Fatal(err)
			}
			w := want
			if file == "M.YML" {
				w = Metrics{}
				for k, v := range want {
					w[k] = v
				}
				w["best"] = Value{Text: "yes_not_bool"}
			}
			if !reflect.DeepEqual(got, w) {
				t.Errorf("got  %v\nwant %v", got, w)
			}
		})
	}
}

func TestValueJSON(t *testing.T) {
	for v, want := range map[Value]string{Num(0.1): "0.1", Num(3): "3", {Text: "NaN"}: `"NaN"`} {
		got, err := v.MarshalJSON()
		if err != nil || string(got) != want {
			t.Errorf("%v as JSON = %s, %v; want %s", v, got, err, want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		file, data string
		want       string // the whole message up to the fix
	}{
		{"m.json", "", "m.json: the file is empty"},
		{"m.json", "[1, 2]", "m.json:1: the top level must be an object of names and values, not a list"},
		{"m.json", "{\n  \"a\": 1,\n  \"b\": }\n", "m.json:3: not valid JSON: invalid character '}' looking for beginning of value"},
		{"m.json", "{\"a\": {\"b\": 1}", "m.json:1: not valid JSON: the file ends inside an object or list"},
		{"m.json", "{\"a\": 1}\n{\"b\": 2}", "m.json:2: the file holds more than one JSON value"},
		{"m.json", "{\"a\": 1,\n \"a\": 2}", `m.json:2: "a" is named twice (lines 1 and 2)`},
		{"m.json", "{\"a.b\": 1,\n \"a\": {\"b\": 2}}", `m.json:2: "a.b" is named twice (lines 1 and 2)`},
		{"m.json", "{\"a\": \"\xff\"}", "m.json:1: the file is not valid UTF-8"},
		{"m.json", strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40), "m.json:1: names nest deeper than 32 levels"},
		{"m.yaml", "- 1\n- 2\n", "m.yaml:1: the top level must map names to values, not a list"},
		{"m.yaml", "a: 1\nb: [\n", "m.yaml:2: not valid YAML: did not find expected node content"},
		{"m.yaml", "a: 1\n---\nb: 2\n", "m.yaml:2: the file holds more than one YAML document"},
		{"m.yaml", "a: 1\na: 2\n", `m.yaml:2: "a" is named twice (lines 1 and 2)`},
		{"m.yaml", "[a]: 1\n", "m.yaml:1: a name must be plain text, not a list"},
		{"m.yaml", "just text\n", "m.yaml:1: the top level must map names to values, not a string"},
		{"m.csv", "a,b\n", "m.csv:1: the file has a header but no row of values"},
		{"m.csv", "a,b\n1,2\n3\n", "m.csv:3: not valid CSV: this row has a different number of fields than the header"},
		{"m.csv", "a,,c\n1,2,3\n", "m.csv:1: column 2 has no name"},
		{"m.csv", "a,a\n1,2\n", `m.csv:1: column "a" is named twice in the header`},
		{"m.csv", "a\n\"1\n", "m.csv:2: not valid CSV: extraneous or missing \" in quoted-field"},
		{"m.txt", "a=1", `m.txt: ".txt" is not a metrics format git dds reads`},
		{"m.json", "{" + strings.Repeat(" ", MaxSize) + "}", "m.json: the file is 1048578 bytes, over the limit of 1048576 bytes (1 MiB) for a metrics file"},
		{"m.yaml", yamlBomb(), "m.yaml:1: the file expands to more than 40000 entries through YAML aliases"},
		{"m.json", manyValues(), "m.json:10002: the file holds more than 10000 values"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := Parse(tt.file, []byte(tt.data))
			var merr *Error
			if !errors.As(err, &merr) {
				t.Fatalf("error %v (%T), want an *Error", err, err)
			}
			if got, _, _ := strings.Cut(err.Error(), "; "); got != tt.want {
				t.Errorf("got  %s\nwant %s", err, tt.want)
			}
			if merr.Fix == "" {
				t.Errorf("%s: no fix", err)
			}
		})
	}
}

// yamlBomb repeats empty lists through aliases: few bytes, no values, and
// a walk that would take hours without a bound on the nodes.
func yamlBomb() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [[], [], [], [], [], [], [], [], [], []]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func manyValues() string {
	var b strings.Builder
	b.WriteString("{\n")
	for i := range MaxValues + 1 {
		fmt.Fprintf(&b, "\"m%d\": %d,\n", i, i)
	}
	b.WriteString("\"last\": 0}")
	return b.String()
}
