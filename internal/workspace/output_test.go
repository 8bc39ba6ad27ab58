package workspace

import (
	"bytes"
	"slices"
	"testing"
)

func TestPrefixWriterWritesWholeLines(t *testing.T) {
	var buf bytes.Buffer
	pw := &prefixWriter{w: &buf, prefix: "[clean] "}
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

func TestTailBufferKeepsTheLastLines(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   []string
	}{
		{"nothing", nil, nil},
		{"fewer than max", []string{"a\nb\n"}, []string{"a", "b"}},
		{"more than max", []string{"1\n2\n3\n4\n"}, []string{"2", "3", "4"}},
		{"unterminated last line", []string{"1\n2\n3\n4"}, []string{"2", "3", "4"}},
		{"split across writes", []string{"hel", "lo\nwor", "ld\n"}, []string{"hello", "world"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := &tailBuffer{max: 3}
			for _, w := range tt.writes {
				tb.Write([]byte(w))
			}
			if got := tb.Lines(); !slices.Equal(got, tt.want) {
				t.Errorf("Lines() = %q, want %q", got, tt.want)
			}
		})
	}
}
