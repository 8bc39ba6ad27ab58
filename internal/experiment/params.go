package experiment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// maxParamsFile bounds a params file git dds edits, as signatures bound
// the params files they read.
const maxParamsFile = 8 << 20

// SetParam gives the params file data (named file: .json is edited as
// JSON, anything else as YAML) with the scalar at the dotted key set to
// value, as -S writes it: a number, true, false or null stay what they are,
// anything else is a string. Only the value's bytes change, so comments,
// order and layout stay; a YAML value whose extent cannot be told from the
// file is written by re-encoding the document, which keeps comments. A
// segment that is a decimal number indexes into a list.
func SetParam(data []byte, file, key, value string) ([]byte, error) {
	if len(data) > maxParamsFile {
		return nil, fmt.Errorf("%s is %d bytes, over the limit of 8 MiB for a params file", file, len(data))
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%s is not valid UTF-8", file)
	}
	if key == "" || strings.Contains("."+key+".", "..") {
		return nil, fmt.Errorf("params key %q has an empty part", key)
	}
	if path.Ext(file) == ".json" {
		return setJSON(data, file, key, value)
	}
	return setYAML(data, file, key, value)
}

// jsonScalar is value as -S means it, in JSON: a number (written as JSON
// writes one: .5 is 0.5), true, false or null as such, anything else a
// string.
func jsonScalar(value string) string {
	switch value {
	case "true", "false", "null":
		return value
	}
	if f, err := strconv.ParseFloat(value, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		if json.Valid([]byte(value)) {
			return value
		}
		n := strconv.FormatFloat(f, 'g', -1, 64)
		if strings.ContainsAny(value, ".eE") && !strings.ContainsAny(n, ".e") {
			n += ".0" // 1. is a float, and stays one
		}
		return n
	}
	quoted, _ := json.Marshal(value)
	return string(quoted)
}

func setJSON(data []byte, file, key, value string) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	start, end, err := findJSON(dec, data, strings.Split(key, "."), 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", file, key, err)
	}
	out := make([]byte, 0, len(data)+len(value)+2)
	out = append(out, data[:start]...)
	out = append(out, jsonScalar(value)...)
	return append(out, data[end:]...), nil
}

var errNotInFile = errors.New("not in the file; -S sets a key the file has")

// findJSON reads the next value of dec and gives the offsets of the scalar
// at segs below it.
func findJSON(dec *json.Decoder, data []byte, segs []string, depth int) (start, end int64, err error) {
	if depth > 1000 {
		return 0, 0, errors.New("nested more than 1000 deep")
	}
	start = dec.InputOffset()
	for start < int64(len(data)) && strings.IndexByte(" \t\r\n:,", data[start]) >= 0 {
		start++
	}
	tok, err := dec.Token()
	if err != nil {
		return 0, 0, fmt.Errorf("not valid JSON: %w", err)
	}
	delim, isDelim := tok.(json.Delim)
	if len(segs) == 0 {
		if isDelim {
			return 0, 0, errors.New("is an object or a list; -S sets a single value")
		}
		return start, dec.InputOffset(), nil
	}
	if !isDelim {
		return 0, 0, errNotInFile
	}
	for i := 0; dec.More(); i++ {
		match := false
		if delim == '{' {
			k, err := dec.Token()
			if err != nil {
				return 0, 0, fmt.Errorf("not valid JSON: %w", err)
			}
			name, _ := k.(string)
			match = name == segs[0]
		} else {
			match = strconv.Itoa(i) == segs[0]
		}
		if match {
			return findJSON(dec, data, segs[1:], depth+1)
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return 0, 0, fmt.Errorf("not valid JSON: %w", err)
		}
	}
	return 0, 0, errNotInFile
}

func setYAML(data []byte, file, key, value string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s is not valid YAML: %w", file, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: %s: %w", file, key, errNotInFile)
	}
	n := doc.Content[0]
	for _, seg := range strings.Split(key, ".") {
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == seg {
					next = n.Content[i+1]
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(n.Content) && strconv.Itoa(i) == seg {
				next = n.Content[i]
			}
		case yaml.AliasNode:
			return nil, fmt.Errorf("%s: %s is behind a YAML alias; -S sets a value written in place", file, key)
		}
		if next == nil {
			return nil, fmt.Errorf("%s: %s: %w", file, key, errNotInFile)
		}
		n = next
	}
	switch {
	case n.Kind == yaml.AliasNode || n.Anchor != "":
		return nil, fmt.Errorf("%s: %s is a YAML alias or anchor; -S sets a value written in place", file, key)
	case n.Kind != yaml.ScalarNode:
		return nil, fmt.Errorf("%s: %s is a mapping or a list; -S sets a single value", file, key)
	}
	text := yamlScalar(value)
	if out, ok := spliceYAML(data, n, text); ok {
		return out, nil
	}
	n.Value, n.Tag, n.Style = value, "", 0
	if strings.HasPrefix(text, `"`) {
		n.Style = yaml.DoubleQuotedStyle
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(yamlIndent(data))
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("%s: writing %s: %w", file, key, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("%s: writing %s: %w", file, key, err)
	}
	return buf.Bytes(), nil
}

// yamlScalar is value as -S means it, in YAML, as YAML reads it: plain
// when YAML reads it back as a number, a bool, null or that very string,
// quoted otherwise.
func yamlScalar(value string) string {
	if value == "" || strings.ContainsAny(value, "\n\r\t#'\"") || strings.TrimSpace(value) != value {
		return jsonScalar(value)
	}
	var back any
	if err := yaml.Unmarshal([]byte("v: "+value+"\n"), &struct{ V *any }{&back}); err != nil {
		return jsonScalar(value)
	}
	switch b := back.(type) {
	case string:
		if b != value || strings.Contains(value, ": ") {
			return jsonScalar(value)
		}
	case int, int64, uint64, float64, bool, nil:
	default:
		return jsonScalar(value) // a mapping, a list, a date: not a scalar -S means
	}
	return value
}

// spliceYAML replaces the text of the plain scalar n, on one line, by text.
// ok is false when n is not written plain, as its value, on its line.
func spliceYAML(data []byte, n *yaml.Node, text string) ([]byte, bool) {
	if n.Style != 0 || n.Line < 1 || n.Column < 1 || strings.ContainsAny(n.Value, "\n") || n.Value == "" {
		return nil, false
	}
	lineStart := 0
	for l := 1; l < n.Line; l++ {
		i := bytes.IndexByte(data[lineStart:], '\n')
		if i < 0 {
			return nil, false
		}
		lineStart += i + 1
	}
	line := data[lineStart:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	// The column counts characters.
	col := 0
	for c := 1; c < n.Column; c++ {
		_, size := utf8.DecodeRune(line[col:])
		if size == 0 {
			return nil, false
		}
		col += size
	}
	rest := line[col:]
	if !bytes.HasPrefix(rest, []byte(n.Value)) {
		return nil, false
	}
	after := rest[len(n.Value):]
	if len(after) > 0 && !bytes.HasPrefix(after, []byte(" ")) && !bytes.HasPrefix(after, []byte("\t")) &&
		!bytes.HasPrefix(after, []byte(",")) && !bytes.HasPrefix(after, []byte("}")) && !bytes.HasPrefix(after, []byte("]")) &&
		!bytes.HasPrefix(after, []byte("\r")) {
		return nil, false
	}
	start := lineStart + col
	out := make([]byte, 0, len(data)+len(text))
	out = append(out, data[:start]...)
	out = append(out, text...)
	return append(out, data[start+len(n.Value):]...), true
}

// yamlIndent guesses the indentation of data: that of its first indented
// line, 2 when it has none.
func yamlIndent(data []byte) int {
	for line := range strings.Lines(string(data)) {
		trimmed := strings.TrimLeft(line, " ")
		if n := len(line) - len(trimmed); n > 0 && strings.TrimSpace(trimmed) != "" && !strings.HasPrefix(trimmed, "#") {
			if n >= 2 && n <= 8 {
				return n
			}
			break
		}
	}
	return 2
}
