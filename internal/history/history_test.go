package history

import (
	"testing"

	"github.com/git-dds/git-dds/internal/signature"
)

func TestRepoPath(t *testing.T) {
	tests := []struct {
		cwd, target, want string
	}{
		{"", "out/clean.csv", "out/clean.csv"},
		{"", "./out//clean.csv", "out/clean.csv"},
		{"/repo", "out/clean.csv", "out/clean.csv"},
		{"/repo/out", "clean.csv", "out/clean.csv"},
		{"/repo/out", "../data/raw.csv", "data/raw.csv"},
		{"/repo/out", "/repo/out/model", "out/model"},
		{"/repo", "../elsewhere", ""},
		{"/repo", ".", ""},
		{"/elsewhere", "x", ""},
	}
	for _, tt := range tests {
		if got := repoPath("/repo", tt.cwd, tt.target); got != tt.want {
			t.Errorf("repoPath(/repo, %q, %q) = %q, want %q", tt.cwd, tt.target, got, tt.want)
		}
	}
}

func TestProduces(t *testing.T) {
	rec := &signature.Record{Outputs: []signature.Output{{Path: "out/model", Dir: true}, {Path: "out/clean.csv"}}}
	tests := map[string]bool{
		"out/clean.csv":    true,
		"out/model":        true,
		"out/model/w.bin":  true,
		"out/modelx":       false,
		"out/clean.csv.gz": false,
		"out":              false,
	}
	for path, want := range tests {
		if got := produces(rec, path); got != want {
			t.Errorf("produces(%q) = %v, want %v", path, got, want)
		}
	}
}
