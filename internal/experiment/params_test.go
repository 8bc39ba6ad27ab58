package experiment

import (
	"encoding/json"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSetParamYAMLKeepsTheRest(t *testing.T) {
	for _, c := range []struct{ name, in, key, value, want string }{
		{"comment after", "# top\ntrain:\n  lr: 0.1   # rate\n  depth: 3\n", "train.lr", "0.2",
			"# top\ntrain:\n  lr: 0.2   # rate\n  depth: 3\n"},
		{"flow mapping", "train: {lr: 0.1, depth: 3}\n", "train.depth", "5",
			"train: {lr: 0.1, depth: 5}\n"},
		{"list index", "layers:\n  - 10\n  - 20\n", "layers.1", "30",
			"layers:\n  - 10\n  - 30\n"},
		{"string", "opt: adam\n", "opt", "sgd", "opt: sgd\n"},
		{"string that reads as a number stays a string when asked so", "opt: adam\n", "opt", "yes please", "opt: yes please\n"},
		{"quoted value is re-encoded, comment kept", "# c\nname: \"a\"\nn: 1\n", "name", "b c", "# c\nname: b c\nn: 1\n"},
		{"four spaces", "train:\n    lr: '0.1' # c\n    x: 1\n", "train.lr", "0.3", "train:\n    lr: 0.3 # c\n    x: 1\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := SetParam([]byte(c.in), "params.yaml", c.key, c.value)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

func TestSetParamJSONKeepsTheRest(t *testing.T) {
	in := "{\n  \"train\": {\"lr\": 0.1, \"opt\": \"adam\", \"layers\": [1, 2]},\n  \"seed\": 7\n}\n"
	for _, c := range []struct{ key, value, want string }{
		{"train.lr", "0.2", "{\n  \"train\": {\"lr\": 0.2, \"opt\": \"adam\", \"layers\": [1, 2]},\n  \"seed\": 7\n}\n"},
		{"train.opt", "sgd", "{\n  \"train\": {\"lr\": 0.1, \"opt\": \"sgd\", \"layers\": [1, 2]},\n  \"seed\": 7\n}\n"},
		{"train.layers.1", "3", "{\n  \"train\": {\"lr\": 0.1, \"opt\": \"adam\", \"layers\": [1, 3]},\n  \"seed\": 7\n}\n"},
		{"seed", "true", "{\n  \"train\": {\"lr\": 0.1, \"opt\": \"adam\", \"layers\": [1, 2]},\n  \"seed\": true\n}\n"},
	} {
		got, err := SetParam([]byte(in), "params.json", c.key, c.value)
		if err != nil {
			t.Fatalf("%s: %v", c.key, err)
		}
		if string(got) != c.want {
			t.Errorf("%s=%s: got:\n%s\nwant:\n%s", c.key, c.value, got, c.want)
		}
	}
}

func TestSetParamRefuses(t *testing.T) {
	for _, c := range []struct{ file, in, key, want string }{
		{"p.yaml", "a: 1\n", "b", "not in the file"},
		{"p.yaml", "a: {b: 1}\n", "a", "a mapping or a list"},
		{"p.yaml", "x: &v 1\ny: *v\n", "y", "alias"},
		{"p.json", `{"a": 1}`, "a.b", "not in the file"},
		{"p.json", `{"a": [1]}`, "a", "an object or a list"},
		{"p.json", `{"a": `, "a", "not valid JSON"},
		{"p.yaml", "a: 1\n", "a..b", "empty part"},
	} {
		_, err := SetParam([]byte(c.in), c.file, c.key, "2")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %q, key %s: got %v, want an error saying %q", c.file, c.in, c.key, err, c.want)
		}
	}
}

// FuzzSetParam checks that a params file of any content never panics
// SetParam, and that what it writes reads back with the value set.
func FuzzSetParam(f *testing.F) {
	f.Add([]byte("train:\n  lr: 0.1 # c\n"), "train.lr", "0.5", false)
	f.Add([]byte(`{"train": {"lr": 0.1}}`), "train.lr", "x y", true)
	f.Add([]byte("a: [1, {b: 2}]\n"), "a.1.b", "true", false)
	f.Fuzz(func(t *testing.T, data []byte, key, value string, isJSON bool) {
		file := "p.yaml"
		if isJSON {
			file = "p.json"
		}
		out, err := SetParam(data, file, key, value)
		if err != nil || strings.ContainsAny(value, "\n\r\t") || strings.TrimSpace(value) != value {
			return
		}
		var doc yaml.Node
		if isJSON && !json.Valid(out) {
			t.Fatalf("not JSON after setting %s=%q in %q: %q", key, value, data, out)
		}
		if err := yaml.Unmarshal(out, &doc); err != nil {
			t.Fatalf("not YAML after setting %s=%q in %q: %q: %v", key, value, data, out, err)
		}
	})
}

func TestParseSetAndCombinations(t *testing.T) {
	a, err := ParseSet("train.lr=0.05,0.1,0.05")
	if err != nil || a.Key != "train.lr" || a.File != "" || strings.Join(a.Values, " ") != "0.05 0.1" {
		t.Fatalf("got %+v, %v", a, err)
	}
	b, err := ParseSet("params.yaml:model.depth=3,5")
	if err != nil || b.File != "params.yaml" || b.Key != "model.depth" {
		t.Fatalf("got %+v, %v", b, err)
	}
	for _, bad := range []string{"lr", "=1", "a..b=1", "f.yaml:=1"} {
		if _, err := ParseSet(bad); err == nil {
			t.Errorf("-S %q was taken", bad)
		}
	}
	combos := combinations([]Set{a, b})
	var names []string
	for _, c := range combos {
		names = append(names, c.name(""))
	}
	if got := strings.Join(names, " "); got != "lr=0.05,depth=3 lr=0.05,depth=5 lr=0.1,depth=3 lr=0.1,depth=5" {
		t.Errorf("names: %s", got)
	}
	same := combinations([]Set{{Key: "a.x", Values: []string{"1/2"}}, {Key: "b.x", Values: []string{"a b"}}})
	if got := same[0].name("p"); got != "p-a.x=1_2,b.x=a_b" {
		t.Errorf("name: %s", got)
	}
}

func TestScalars(t *testing.T) {
	for _, c := range []struct{ in, json, yaml string }{
		{"0.1", "0.1", "0.1"},
		{".5", "0.5", ".5"},
		{"1.", "1.0", "1."},
		{"1e-3", "1e-3", "1e-3"},
		{"+2", "2", "+2"},
		{"inf", `"inf"`, "inf"},
		{".inf", `".inf"`, ".inf"},
		{"true", "true", "true"},
		{"null", "null", "null"},
		{"", `""`, `""`},
		{"adam", `"adam"`, "adam"},
		{"a: b", `"a: b"`, `"a: b"`},
		{"[1]", `"[1]"`, `"[1]"`},
		{"it's", `"it's"`, `"it's"`},
	} {
		if got := jsonScalar(c.in); got != c.json {
			t.Errorf("jsonScalar(%q) = %s, want %s", c.in, got, c.json)
		}
		if got := yamlScalar(c.in); got != c.yaml {
			t.Errorf("yamlScalar(%q) = %s, want %s", c.in, got, c.yaml)
		}
	}
}
