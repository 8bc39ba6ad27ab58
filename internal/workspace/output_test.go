package workspace

import (
	"slices"
	"testing"
)

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
