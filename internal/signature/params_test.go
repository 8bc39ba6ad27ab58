package signature

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/git-dds/git-dds/internal/pipeline"
)

const yamlParams = `
train:
  epochs: 10
  lr: 1.0e-3
  ratio: 0.50
  whole: 1.0
  big: 12345678901234567890
  huge: 123456789012345678901234567890
  hex: 0x1F
  under: 1_000
  neg: -7
  inf: .inf
  nan: .NaN
  flag: true
  Flag: True
  yes: yes
  none: null
  tilde: ~
  empty:
  quoted_int: "1"
  text: plain words
  html: <a & b>
  unicode: "héllo\tworld"
  date: 2024-01-02
  layers: [64, 32.0, {size: 16, act: relu}]
  nested:
    z: 1
    a: {y: [], x: {}}
base: &base
  lr: 0.1
  momentum: 0.9
tuned:
  <<: *base
  lr: 0.2
alias: *base
`

const jsonParams = `{
  "train": {"epochs": 10, "lr": 1e-3, "whole": 1.0, "flag": false, "none": null,
            "name": "adam", "layers": [64, {"size": 16}], "escaped": "a\"b\\c\u00e9"},
  "top": 3
}`

func TestParamValue(t *testing.T) {
	tests := []struct {
		doc, key, want string
	}{
		{yamlParams, "train.epochs", `10`},
		{yamlParams, "train.lr", `0.001`},
		{yamlParams, "train.ratio", `0.5`},
		{yamlParams, "train.whole", `1.0`},
		{yamlParams, "train.big", `12345678901234567890`},
		{yamlParams, "train.huge", `1.2345678901234568e+29`},
		{yamlParams, "train.hex", `31`},
		{yamlParams, "train.under", `1000`},
		{yamlParams, "train.neg", `-7`},
		{yamlParams, "train.inf", `Infinity`},
		{yamlParams, "train.nan", `NaN`},
		{yamlParams, "train.flag", `true`},
		{yamlParams, "train.Flag", `true`},
		{yamlParams, "train.yes", `"yes"`},
		{yamlParams, "train.none", `null`},
		{yamlParams, "train.tilde", `null`},
		{yamlParams, "train.empty", `null`},
		{yamlParams, "train.quoted_int", `"1"`},
		{yamlParams, "train.text", `"plain words"`},
		{yamlParams, "train.html", `"<a & b>"`},
		{yamlParams, "train.unicode", `"héllo\tworld"`},
		{yamlParams, "train.date", `"2024-01-02"`},
		{yamlParams, "train.layers", `[64,32.0,{"act":"relu","size":16}]`},
		{yamlParams, "train.layers.1", `32.0`},
		{yamlParams, "train.layers.2.size", `16`},
		{yamlParams, "train.nested", `{"a":{"x":{},"y":[]},"z":1}`},
		{yamlParams, "tuned", `{"lr":0.2,"momentum":0.9}`},
		{yamlParams, "tuned.momentum", `0.9`},
		{yamlParams, "alias.lr", `0.1`},
		{jsonParams, "train.epochs", `10`},
		{jsonParams, "train.lr", `0.001`},
		{jsonParams, "train.whole", `1.0`},
		{jsonParams, "train.flag", `false`},
		{jsonParams, "train.none", `null`},
		{jsonParams, "train.layers.1", `{"size":16}`},
		{jsonParams, "train.escaped", `"a\"b\\cé"`},
		{jsonParams, "train", `{"epochs":10,"escaped":"a\"b\\cé","flag":false,"layers":[64,{"size":16}],"lr":0.001,"name":"adam","none":null,"whole":1.0}`},
		{"n: 1e21", "n", `1e+21`},
		{"n: 1e-7", "n", `1e-7`},
		{"n: 100000.0", "n", `100000.0`},
		{"n: -0.0", "n", `-0.0`},
		{"n: !!str 12", "n", `"12"`},
		{"n: !custom 12", "n", `"12"`},
		{"? [a, b]\n: 1\nn: 2", "n", `2`},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.want, func(t *testing.T) {
			doc := parseDoc(t, tt.doc)
			got, err := paramValue(doc, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("paramValue(%q) = %s, want %s", tt.key, got, tt.want)
			}
		})
	}
}

func TestParamValueSameWhateverTheSpelling(t *testing.T) {
	spellings := []string{
		"a: {x: 1.0, y: [true, null, 'b']}",
		"a:\n  y:\n    - True\n    - ~\n    - \"b\"\n  x: 1.00",
		`{"a": {"y": [true, null, "b"], "x": 10e-1}}`,
		"d: &d {x: 1.0}\na:\n  <<: *d\n  y: [true, null, b]",
	}
	var first string
	for i, doc := range spellings {
		got, err := paramValue(parseDoc(t, doc), "a")
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = got
		} else if got != first {
			t.Errorf("spelling %d gives %s, spelling 0 gives %s", i, got, first)
		}
	}
}

func TestParamValueErrors(t *testing.T) {
	tests := []struct {
		name, doc, key, wantIn string
	}{
		{"a missing key", "a: 1", "b", "not in the file"},
		{"a missing nested key", "a: {b: 1}", "a.c", "not in the file"},
		{"a key under a scalar", "a: 1", "a.b", "not in the file"},
		{"an index past the end", "a: [1]", "a.1", "not in the file"},
		{"a negative index", "a: [1]", "a.-1", "not in the file"},
		{"an index with a leading zero", "a: [1, 2]", "a.01", "not in the file"},
		{"an empty file", "", "a", "not in the file"},
		{"a duplicate key", "a: {b: 1, b: 2}", "a", "appears twice"},
		{"a merge of a scalar", "a: {<<: 1}", "a", "merge key"},
		{"a bad explicit int", "a: !!int abc", "a", "line 1"},
		{"an alias bomb", aliasBomb(), "z", "larger than 1 MiB"},
		{"a self-referencing alias", "a: &x [*x]", "a", "larger than 1 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := paramValue(parseDoc(t, tt.doc), tt.key)
			if err == nil || !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("paramValue(%q) error = %v, want one containing %q", tt.key, err, tt.wantIn)
			}
		})
	}
}

// aliasBomb is a few hundred bytes that expand to 10^9 scalars.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		p := "*a" + string(rune('0'+i-1))
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" +
			strings.Repeat(p+", ", 9) + p + "]\n")
	}
	b.WriteString("z: *a9\n")
	return b.String()
}

func parseDoc(t *testing.T, doc string) *yaml.Node {
	t.Helper()
	n, err := loadParams(fakeTree{"p.yaml": file("00", doc)}, "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func FuzzParamValue(f *testing.F) {
	f.Add(yamlParams, "train.layers")
	f.Add(jsonParams, "train")
	f.Add(aliasBomb(), "z")
	f.Add("a: &x [*x]", "a")
	f.Add("d: &d {x: 1}\na: {<<: [*d, {y: 2}], z: 3}", "a")
	f.Fuzz(func(t *testing.T, doc, key string) {
		n, err := loadParams(fakeTree{"p.yaml": file("00", doc)}, "p.yaml")
		if err != nil {
			return
		}
		first, err := paramValue(n, key)
		if err != nil {
			return
		}
		again, err := paramValue(n, key)
		if err != nil || again != first {
			t.Fatalf("paramValue is not deterministic: %q then %q (%v)", first, again, err)
		}
		// NaN and the infinities are the one departure from JSON.
		if !strings.Contains(first, "NaN") && !strings.Contains(first, "Infinity") && !json.Valid([]byte(first)) {
			t.Fatalf("paramValue gave invalid JSON %q", first)
		}
	})
}

// TestParamsFileErrorsSayWhere checks that a params file that cannot be
// read is reported at its own FILE:LINE:COL, one-based, worded for JSON
// when the file is JSON, and as the user's input to fix.
func TestParamsFileErrorsSayWhere(t *testing.T) {
	tests := []struct {
		file, content string
		want          string // the start of the message
		phrase        string
	}{
		// yaml.v3's parser counts lines from zero, its scanner from one.
		{"p.yaml", "a: 1\nb:\n  c: 2\n d: 3\n", "p.yaml:4:", "not valid YAML"},
		{"p.yaml", "a: 1\nb: [1, 2\nc: 3\n", "p.yaml:", "not valid YAML"},
		{"p.yaml", "a: 1\nb: 'open\n", "p.yaml:2", "not valid YAML"},
		{"p.yml", "a: 1\n\tb: 2\n", "p.yml:2", "not valid YAML"},
		{"conf/p.json", "{\n  \"a\": 1,\n  \"b\": 2,\n}\n", "conf/p.json:4:1: ", "not valid JSON: invalid character '}' looking for beginning of object key string"},
		{"p.json", "{\"a\": 1}\n{\"b\": 2}\n", "p.json:2:1: ", "not valid JSON: more than one value"},
		{"p.json", "{\n  \"a\": [1, 2,\n", "p.json:3:1: ", "not valid JSON: unexpected end of the file"},
		{"p.json", "{\"a\": 1,\n \"b\": tru}\n", "p.json:2:10: ", "not valid JSON: invalid character '}' in literal true"},
		{"p.json", "{\"a\": \"é\", \"b\": x}\n", "p.json:1:17: ", "not valid JSON"},
		{"p.yaml", "a: 1\nb: 2\nc: caf\xe9\n", "p.yaml:3:7: ", "not valid UTF-8"},
		{"p.json", "{\"a\": 1,\n \"b\": \"\xff\"}\n", "p.json:2:8: ", "not valid UTF-8"},
	}
	for _, tt := range tests {
		_, err := loadParams(fakeTree{tt.file: file("00", tt.content)}, tt.file)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.phrase) || !errors.Is(err, ErrInput) {
			t.Errorf("%s %q: %v; want an input error starting %q, with %q", tt.file, tt.content, err, tt.want, tt.phrase)
		}
	}
}

// TestParamsFileIsBounded checks that a params file too large to be
// settings is refused before it is parsed.
func TestParamsFileIsBounded(t *testing.T) {
	big := "a: 1\nlist:\n" + strings.Repeat("  - 12345678901234567890\n", maxParamsFileSize/25+1)
	start := time.Now()
	_, err := loadParams(fakeTree{"p.yaml": file("00", big)}, "p.yaml")
	if err == nil || !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "over the limit") {
		t.Fatalf("a %d-byte params file: %v; want an input error saying it is over the limit", len(big), err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refusing a %d-byte params file took %v", len(big), d)
	}
	if _, err := loadParams(fakeTree{"p.yaml": file("00", big[:maxParamsFileSize-100])}, "p.yaml"); err != nil && strings.Contains(err.Error(), "over the limit") {
		t.Errorf("a params file under the limit is refused: %v", err)
	}
}

// FuzzLoadParams checks that a params file, JSON or YAML, either loads or
// is refused as the user's input at a line and column inside the file, and
// that a .json file loads only when it is JSON.
func FuzzLoadParams(f *testing.F) {
	f.Add(yamlParams, false)
	f.Add(jsonParams, true)
	f.Add("{\n  \"a\": 1,\n}\n", true)
	f.Add("a: 1\n\tb: 2\n", false)
	f.Add("{\"a\": 1}\n{\"b\": 2}", true)
	f.Add("a: [1, 2\n", false)
	f.Fuzz(func(t *testing.T, content string, isJSON bool) {
		name := "conf/p.yaml"
		if isJSON {
			name = "conf/p.json"
		}
		_, err := loadParams(fakeTree{name: file("00", content)}, name)
		if err == nil {
			if isJSON && !json.Valid([]byte(content)) {
				t.Fatalf("%q loaded as JSON", content)
			}
			if !utf8.ValidString(content) {
				t.Fatalf("%q loaded, though it is not UTF-8", content)
			}
			return
		}
		var perr *pipeline.Error
		if !errors.Is(err, ErrInput) || !errors.As(err, &perr) || perr.File != name {
			t.Fatalf("%q: %v is not an input error naming %s", content, err, name)
		}
		// YAML ends a line at a CR too.
		lines := strings.Count(content, "\n") + strings.Count(content, "\r") + 1
		if perr.Line < 0 || perr.Line > lines+1 || perr.Col < 0 || !strings.HasPrefix(err.Error(), name+":") {
			t.Fatalf("%q (%d lines): %v is not at a place in the file", content, lines, err)
		}
	})
}
