package cli

import (
	"testing"

	"github.com/git-dds/git-dds/internal/graph"
)

func TestGraphFormat(t *testing.T) {
	tests := []struct {
		flag, output string
		open         bool
		want         graph.Format
		wantErr      bool
	}{
		{"", "", false, graph.DOT, false},
		{"", "", true, graph.HTML, false},
		{"", "g.mmd", false, graph.Mermaid, false},
		{"", "g.html", true, graph.HTML, false},
		{"", "g.txt", false, graph.DOT, false},
		{"dot", "g.html", false, graph.DOT, false}, // the flag wins over the extension
		{"mermaid", "", false, graph.Mermaid, false},
		{"mermaid", "", true, "", true},
		{"", "g.dot", true, "", true},
		{"svg", "", false, "", true},
	}
	for _, tt := range tests {
		got, err := graphFormat(tt.flag, tt.output, tt.open)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("graphFormat(%q, %q, %v) = %q, %v; want %q, error %v", tt.flag, tt.output, tt.open, got, err, tt.want, tt.wantErr)
		}
		if err != nil && exitCode(err) != exitInput {
			t.Errorf("graphFormat(%q, %q, %v) fails with exit code %d, want %d", tt.flag, tt.output, tt.open, exitCode(err), exitInput)
		}
	}
}
