package ui

import (
	"bytes"
	"testing"
)

func TestPrefixWriterWritesWholeLines(t *testing.T) {
	var buf bytes.Buffer
	pw := NewPrefixWriter(&buf, nil, "[clean] ")
	for _, chunk := range []string{"one\ntw", "o\n", "three"} {
		if _, err := pw.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := buf.String(), "[clean] one\n[clean] two\n"; got != want {
		t.Errorf("before Flush: %q, want %q", got, want)
	}
	pw.Flush()
	if got, want := buf.String(), "[clean] one\n[clean] two\n[clean] three\n"; got != want {
		t.Errorf("after Flush: %q, want %q", got, want)
	}
}
