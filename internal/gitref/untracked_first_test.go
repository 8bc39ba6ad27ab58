package gitref

import (
	"slices"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

func TestFirstComponent(t *testing.T) {
	tests := []struct {
		line   string
		domain []string
		want   string
	}{
		{"/out/a.csv", nil, "out"},
		{"out/a.csv", nil, "out"},
		{"!/out/a.csv", nil, "out"},
		{"out/", nil, ""},
		{"*.pyc", nil, ""},
		{"**/cache", nil, ""},
		{"/*/cache", nil, ""},
		{"/build", nil, "build"},
		{"anything", []string{"src", "lib"}, "src"},
		{"/out\\*x/y", nil, ""},
	}
	for _, tt := range tests {
		if got := firstComponent(tt.line, tt.domain); got != tt.want {
			t.Errorf("firstComponent(%q, %q) = %q, want %q", tt.line, tt.domain, got, tt.want)
		}
	}
}

// The outputs git dds lists in info/exclude are anchored lines: a walk of
// a dep folder must be able to set them aside by their first component,
// or each dep folder is matched against every output of the pipeline.
func TestBaseIgnorePatternsKnowTheirFirstComponent(t *testing.T) {
	hermetic(t)
	tr := newTestRepo(t)
	tr.write(".git/info/exclude", "# comment\n/out/a.txt\n/out/b.txt\n*.tmp\n")
	firsts := map[gitignore.Pattern]string{}
	base, err := tr.open().baseIgnorePatterns(firsts)
	if err != nil {
		t.Fatal(err)
	}
	var anchored []string
	for _, p := range base {
		if first, ok := firsts[p]; ok {
			anchored = append(anchored, first)
		}
	}
	if want := []string{"out", "out"}; !slices.Equal(anchored, want) {
		t.Errorf("first components of the base patterns = %q, want %q", anchored, want)
	}
}
