package run

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWithIgnoreBlock(t *testing.T) {
	block := func(lines ...string) string {
		s := ignoreBegin + "\n.*.dds-tmp-*\n"
		for _, l := range lines {
			s += l + "\n"
		}
		return s + ignoreEnd + "\n"
	}
	tests := []struct {
		name    string
		content string
		outs    []string
		want    string
	}{
		{"empty file", "", []string{"out/a.csv"}, block("/out/a.csv")},
		{"user lines kept, newline added", "*.pyc", []string{"out/a"}, "*.pyc\n" + block("/out/a")},
		{"block replaced in place", "a\n" + block("/old") + "b\n", []string{"new"}, "a\n" + block("/new") + "b\n"},
		{"no outputs, no block to add", "a\n", nil, "a\n"},
		{"no outputs empties an existing block", "a\n" + block("/old"), nil, "a\n" + block()},
		{"glob characters escaped", "", []string{"out/a*b?[c]"}, block(`/out/a\*b\?\[c]`)},
		{"trailing space kept", "", []string{"out/a "}, block(`/out/a\ `)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := withIgnoreBlock(tt.content, tt.outs); got != tt.want {
				t.Errorf("withIgnoreBlock(%q, %q) =\n%q\nwant\n%q", tt.content, tt.outs, got, tt.want)
			}
		})
	}
}

func TestSyncGitignoreLeavesAnUnchangedFileAlone(t *testing.T) {
	root := t.TempDir()
	if err := SyncGitignore(root, []string{"out/a"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, ".gitignore")
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := SyncGitignore(root, []string{"out/a"}); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("an up-to-date .gitignore was rewritten")
	}
}
