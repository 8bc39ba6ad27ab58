package metrics

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Source is a file a reader parses, as its errors name it: the metrics
// reader here and the plots reader read JSON, YAML and CSV alike, and
// word their syntax errors, lines and encoding problems the same way.
type Source struct {
	File string
	Data []byte
}

// ErrorAt is an error at line of the file (0: the file as a whole).
func (s Source) ErrorAt(line int, msg, fix string) *Error {
	return &Error{File: s.File, Line: line, Msg: msg, Fix: fix}
}

// Line gives the 1-based line of byte offset off.
func (s Source) Line(off int64) int {
	off = min(max(off, 0), int64(len(s.Data)))
	return bytes.Count(s.Data[:off], []byte("\n")) + 1
}

// CheckUTF8 refuses a file that is not UTF-8, at the line of its first
// bad byte.
func (s Source) CheckUTF8() error {
	if utf8.Valid(s.Data) {
		return nil
	}
	for i := 0; i < len(s.Data); {
		r, size := utf8.DecodeRune(s.Data[i:])
		if r == utf8.RuneError && size == 1 {
			return s.ErrorAt(s.Line(int64(i)), "the file is not valid UTF-8", "write it as UTF-8")
		}
		i += size
	}
	return nil
}

// NextLine is the line of the JSON token dec reads next.
func (s Source) NextLine(dec *json.Decoder) int {
	off := dec.InputOffset()
	for off < int64(len(s.Data)) && strings.IndexByte(" \t\r\n,:", s.Data[off]) >= 0 {
		off++
	}
	return s.Line(off)
}

// JSONError words a JSON decoding error at its line.
func (s Source) JSONError(dec *json.Decoder, err error) error {
	var syntax *json.SyntaxError
	line := s.Line(dec.InputOffset())
	if errors.As(err, &syntax) {
		line = s.Line(syntax.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return s.ErrorAt(line, "not valid JSON: the file ends inside an object or list", "close every { and [")
	}
	return s.ErrorAt(line, "not valid JSON: "+err.Error(), "fix the JSON syntax at or near this line")
}

var yamlLine = strings.NewReplacer("yaml: ", "")

// YAMLError words a YAML decoding error at its line.
func (s Source) YAMLError(err error) error {
	msg := yamlLine.Replace(err.Error())
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			if l, err := strconv.Atoi(n); err == nil {
				line, msg = l, after
			}
		}
	}
	return s.ErrorAt(line, "not valid YAML: "+msg, "fix the YAML syntax at or near this line")
}

// YAMLDocument decodes the file's one YAML document and returns its top
// node, an alias resolved; an empty file is an error whose fix is
// emptyFix, and a second document is refused.
func (s Source) YAMLDocument(emptyFix string) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(s.Data))
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, s.ErrorAt(0, "the file is empty", emptyFix)
	} else if err != nil {
		return nil, s.YAMLError(err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, s.YAMLError(err)
		}
		return nil, s.ErrorAt(more.Line, "the file holds more than one YAML document", `keep one: remove this "---" and what follows`)
	}
	top := doc.Content[0]
	if top.Kind == yaml.AliasNode && top.Alias != nil {
		top = top.Alias
	}
	return top, nil
}

// CSVError words a CSV reading error at its line.
func (s Source) CSVError(err error) error {
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		what := perr.Err.Error()
		fix := "fix the quoting at or near this line"
		if errors.Is(perr.Err, csv.ErrFieldCount) {
			what, fix = "this row has a different number of fields than the header", "give every row one value per column"
		}
		return s.ErrorAt(perr.Line, "not valid CSV: "+what, fix)
	}
	return s.ErrorAt(0, "not valid CSV: "+err.Error(), "fix the file")
}
