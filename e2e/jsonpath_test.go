package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The json script command addresses values with a small path language, just
// enough for git dds's documents:
//
//	stages.#                  the length of an array or object
//	stages[0].name            an array element by index
//	stages[*].state           every element (the array must not be empty)
//	stages[name=clean].state  the elements whose field formats as "clean"
//	artifacts[path=out/a.csv] a selector value may hold dots and slashes, not ]
//
// Keys are runs of characters other than '.' and '['.

// decodeJSON decodes one JSON document, keeping numbers as written.
func decodeJSON(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a JSON document: %w", err)
	}
	if dec.More() {
		return nil, errors.New("more than one JSON document")
	}
	return doc, nil
}

// formatJSON renders a value the way scripts compare it: a string as is,
// anything else as compact JSON.
func formatJSON(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Decoded JSON always encodes; keep the value visible regardless.
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// selectJSON returns the values path selects in doc, or an error naming the
// step that selected nothing.
func selectJSON(doc any, path string) ([]any, error) {
	steps, err := parsePath(path)
	if err != nil {
		return nil, err
	}
	values := []any{doc}
	for i, step := range steps {
		var next []any
		for _, v := range values {
			selected, err := step.apply(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", pathPrefix(steps[:i+1]), err)
			}
			next = append(next, selected...)
		}
		values = next
	}
	return values, nil
}

type stepKind int

const (
	stepKey      stepKind = iota // .name
	stepLength                   // .#
	stepIndex                    // [3]
	stepAll                      // [*]
	stepSelector                 // [field=value]
)

type pathStep struct {
	kind  stepKind
	key   string // stepKey; the field of stepSelector
	index int    // stepIndex
	value string // stepSelector
}

func (s pathStep) String() string {
	switch s.kind {
	case stepLength:
		return ".#"
	case stepIndex:
		return fmt.Sprintf("[%d]", s.index)
	case stepAll:
		return "[*]"
	case stepSelector:
		return "[" + s.key + "=" + s.value + "]"
	default:
		return "." + s.key
	}
}

func pathPrefix(steps []pathStep) string {
	var b strings.Builder
	for _, s := range steps {
		b.WriteString(s.String())
	}
	return strings.TrimPrefix(b.String(), ".")
}

func parsePath(path string) ([]pathStep, error) {
	var steps []pathStep
	for rest := path; rest != ""; {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			if rest == "" || rest[0] == '.' || rest[0] == '[' {
				return nil, fmt.Errorf("path %q: a '.' must be followed by a key", path)
			}
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("path %q: '[' without ']'", path)
			}
			step, err := parseBracket(rest[1:end])
			if err != nil {
				return nil, fmt.Errorf("path %q: %w", path, err)
			}
			steps = append(steps, step)
			rest = rest[end+1:]
		default:
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			key := rest[:end]
			if key == "#" {
				steps = append(steps, pathStep{kind: stepLength})
			} else {
				steps = append(steps, pathStep{kind: stepKey, key: key})
			}
			rest = rest[end:]
		}
	}
	return steps, nil
}

func parseBracket(inner string) (pathStep, error) {
	if inner == "*" {
		return pathStep{kind: stepAll}, nil
	}
	if field, value, ok := strings.Cut(inner, "="); ok {
		if field == "" {
			return pathStep{}, fmt.Errorf("selector [%s] names no field", inner)
		}
		return pathStep{kind: stepSelector, key: field, value: value}, nil
	}
	index, err := strconv.Atoi(inner)
	if err != nil || index < 0 {
		return pathStep{}, fmt.Errorf("[%s] is neither an index, [*] nor [field=value]", inner)
	}
	return pathStep{kind: stepIndex, index: index}, nil
}

func (s pathStep) apply(v any) ([]any, error) {
	switch s.kind {
	case stepKey:
		object, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("not an object but %s", formatJSON(v))
		}
		field, ok := object[s.key]
		if !ok {
			return nil, errors.New("no such key")
		}
		return []any{field}, nil
	case stepLength:
		switch c := v.(type) {
		case []any:
			return []any{json.Number(strconv.Itoa(len(c)))}, nil
		case map[string]any:
			return []any{json.Number(strconv.Itoa(len(c)))}, nil
		}
		return nil, fmt.Errorf("# of %s, neither an array nor an object", formatJSON(v))
	}

	array, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("not an array but %s", formatJSON(v))
	}
	switch s.kind {
	case stepIndex:
		if s.index >= len(array) {
			return nil, fmt.Errorf("index out of range: the array has %d elements", len(array))
		}
		return []any{array[s.index]}, nil
	case stepAll:
		if len(array) == 0 {
			return nil, errors.New("the array is empty")
		}
		return array, nil
	default:
		var matched []any
		for _, element := range array {
			if object, ok := element.(map[string]any); ok {
				if field, ok := object[s.key]; ok && formatJSON(field) == s.value {
					matched = append(matched, element)
				}
			}
		}
		if len(matched) == 0 {
			return nil, fmt.Errorf("no element has %s %s", s.key, s.value)
		}
		return matched, nil
	}
}

func TestSelectJSON(t *testing.T) {
	const doc = `{"rev": "WORKTREE", "n": 1.5e-3,
	  "stages": [
	    {"name": "clean", "state": "fresh", "outputs": ["out/clean.csv"], "changed": []},
	    {"name": "train", "state": "stale", "outputs": ["out/model.bin"], "changed": ["clean"]}],
	  "artifacts": [{"path": "out/clean.csv", "signature": "ab"}]}`
	tests := []struct {
		path    string
		want    []string
		wantErr string
	}{
		{path: "", want: []string{`{"artifacts":[{"path":"out/clean.csv","signature":"ab"}],"n":1.5e-3,"rev":"WORKTREE","stages":[{"changed":[],"name":"clean","outputs":["out/clean.csv"],"state":"fresh"},{"changed":["clean"],"name":"train","outputs":["out/model.bin"],"state":"stale"}]}`}},
		{path: "rev", want: []string{"WORKTREE"}},
		{path: ".rev", want: []string{"WORKTREE"}},
		{path: "n", want: []string{"1.5e-3"}},
		{path: "stages.#", want: []string{"2"}},
		{path: "stages[0].#", want: []string{"4"}},
		{path: "stages[1].name", want: []string{"train"}},
		{path: "stages[*].state", want: []string{"fresh", "stale"}},
		{path: "stages[name=train].changed", want: []string{`["clean"]`}},
		{path: "stages[name=clean].changed", want: []string{`[]`}},
		{path: "stages[name=train].changed[*]", want: []string{"clean"}},
		{path: "artifacts[path=out/clean.csv].signature", want: []string{"ab"}},
		{path: "stages[name=clean].changed[*]", wantErr: "stages[name=clean].changed[*]: the array is empty"},
		{path: "stages[name=nope]", wantErr: "no element has name nope"},
		{path: "stages[2]", wantErr: "index out of range"},
		{path: "revision", wantErr: "revision: no such key"},
		{path: "rev.x", wantErr: "not an object"},
		{path: "rev[0]", wantErr: "not an array"},
		{path: "rev.#", wantErr: "neither an array nor an object"},
		{path: "stages.", wantErr: "must be followed by a key"},
		{path: "stages[", wantErr: "without ']'"},
		{path: "stages[-1]", wantErr: "neither an index"},
		{path: "stages[=x]", wantErr: "names no field"},
	}
	parsed, err := decodeJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			values, err := selectJSON(parsed, tt.path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("selectJSON(%q) error = %v, want one containing %q", tt.path, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("selectJSON(%q): %v", tt.path, err)
			}
			var got []string
			for _, v := range values {
				got = append(got, formatJSON(v))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("selectJSON(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestDecodeJSONRejects(t *testing.T) {
	for _, text := range []string{"", "{", `{} {}`, "stage clean"} {
		if _, err := decodeJSON(text); err == nil {
			t.Errorf("decodeJSON(%q) accepted it", text)
		}
	}
}

func FuzzSelectJSON(f *testing.F) {
	for _, seed := range []string{"", "a.b", "a[0]", "a[*].b", "a[k=v.w]", "a.#", "[", "a..b", "[=]", "[x=]"} {
		f.Add(seed)
	}
	doc, err := decodeJSON(`{"a": [{"k": "v.w", "b": [1, {"c": null}]}], "b": {"#": 1}}`)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path string) {
		values, err := selectJSON(doc, path)
		if err == nil && len(values) == 0 {
			t.Errorf("selectJSON(%q) selected nothing without an error", path)
		}
	})
}
