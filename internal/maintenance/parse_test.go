package maintenance

import (
	"slices"
	"strings"
	"testing"
)

func TestParseWorktreeList(t *testing.T) {
	const a, b = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	tests := []struct {
		name string
		in   string
		want []string // commits
	}{
		{"empty", "", nil},
		{"one worktree on a branch", "worktree /r\nHEAD " + a + "\nbranch refs/heads/main\n\n", []string{a}},
		{
			"a linked worktree, detached",
			"worktree /r\nHEAD " + a + "\nbranch refs/heads/main\n\nworktree /r-wt\nHEAD " + b + "\ndetached\n\n",
			[]string{a, b},
		},
		{"a branch with no commit yet", "worktree /r\nHEAD 0000000000000000000000000000000000000000\nbranch refs/heads/main\n\n", nil},
		{"a bare repository", "worktree /r.git\nbare\n\n", nil},
		{"a line git may add later", "worktree /r\nHEAD " + a + "\nprunable gitdir file points to non-existent location\n\n", []string{a}},
		{"a truncated id", "worktree /r\nHEAD 1234\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range parseWorktreeList([]byte(tt.in)) {
				got = append(got, r.commit)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParseWorktreeList(f *testing.F) {
	f.Add("worktree /r\nHEAD 1111111111111111111111111111111111111111\nbranch refs/heads/main\n\n")
	f.Add("worktree /r.git\nbare\n\n")
	f.Add("HEAD \nworktree\n\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		for _, r := range parseWorktreeList([]byte(in)) {
			if len(r.commit) != 40 || strings.Trim(r.commit, "0") == "" {
				t.Fatalf("parsed %q as a commit", r.commit)
			}
		}
	})
}
