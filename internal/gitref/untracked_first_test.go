package gitref

import "testing"

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
