package gitref

import (
	"context"
	"path/filepath"
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
				got = append(got, r.Commit)
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
			if len(r.Commit) != 40 || strings.Trim(r.Commit, "0") == "" {
				t.Fatalf("parsed %q as a commit", r.Commit)
			}
		}
	})
}

func TestRefsWorktreesStashAndRevList(t *testing.T) {
	ctx := context.Background()
	tr := newTestRepo(t)
	tr.write("a.txt", "1")
	first := tr.commitAll("first")
	tr.write("a.txt", "2")
	second := tr.commitAll("second")
	tr.git("tag", "light", first)
	tr.git("tag", "-a", "-m", "annotated", "annotated", first)
	tr.git("tag", "-a", "-m", "of a tag", "nested", "annotated")
	tr.git("tag", "tree", "HEAD^{tree}")
	tr.git("branch", "side", first)
	tr.git("worktree", "add", "-q", "--detach", tr.path("../linked-"+filepath.Base(tr.dir)), first)
	tr.write("a.txt", "stashed")
	tr.git("stash", "-q")
	stash := tr.git("rev-parse", "stash@{0}")
	r := tr.open()

	refs, err := r.Refs(ctx, "refs/heads", "refs/tags")
	if err != nil {
		t.Fatal(err)
	}
	want := []Ref{
		{"refs/heads/main", second}, {"refs/heads/side", first},
		{"refs/tags/annotated", first}, {"refs/tags/light", first}, {"refs/tags/nested", first},
	}
	if !slices.Equal(refs, want) {
		t.Errorf("Refs = %v, want %v", refs, want)
	}

	heads, err := r.WorktreeHeads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(heads) != 2 || heads[0].Commit != second || heads[0].Path != tr.dir || heads[1].Commit != first {
		t.Errorf("WorktreeHeads = %v", heads)
	}

	stashes, err := r.StashCommits(ctx)
	if err != nil || !slices.Equal(stashes, []string{stash}) {
		t.Errorf("StashCommits = %v, %v; want [%s]", stashes, err, stash)
	}

	for _, tt := range []struct {
		opts RevListOptions
		want []string
	}{
		{RevListOptions{}, []string{second, first}},
		{RevListOptions{Max: 1, FirstParent: true}, []string{second}},
	} {
		if got, err := r.RevList(ctx, "HEAD", tt.opts); err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("RevList(HEAD, %+v) = %v, %v; want %v", tt.opts, got, err, tt.want)
		}
	}
	if _, err := r.RevList(ctx, "nothing", RevListOptions{}); err == nil {
		t.Error("RevList of an unknown revision succeeded")
	}
}
