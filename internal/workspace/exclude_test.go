package workspace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-dds/git-dds/internal/gitref"
)

func TestWithExcludeBlock(t *testing.T) {
	block := func(name string, lines ...string) string {
		s := excludeBeginPrefix + name + excludeBeginSuffix + "\n.*.dds-tmp-*\n"
		for _, l := range lines {
			s += l + "\n"
		}
		return s + excludeEndPrefix + name + excludeEndSuffix + "\n"
	}
	none := func(string) bool { return false }
	tests := []struct {
		name    string
		content string
		outs    []string
		gone    func(string) bool
		want    string
	}{
		{"empty file", "", []string{"out/a.csv"}, none, block(".", "/out/a.csv")},
		{"user lines kept, newline added", "*.pyc", []string{"out/a"}, none, "*.pyc\n" + block(".", "/out/a")},
		{"own block replaced, others kept", "a\n" + block(".", "/old") + "b\n" + block("worktrees/x", "/x"), []string{"new"}, none,
			"a\nb\n" + block("worktrees/x", "/x") + block(".", "/new")},
		{"no outputs, no block to add", "a\n", nil, none, "a\n"},
		{"no outputs removes the block", "a\n" + block(".", "/old"), nil, none, "a\n"},
		{"a gone worktree's block dropped", block("worktrees/x", "/x") + "# mine\n", []string{"o"}, func(n string) bool { return n == "worktrees/x" },
			"# mine\n" + block(".", "/o")},
		{"an unterminated block is the user's", excludeBeginPrefix + "." + excludeBeginSuffix + "\n/x\n", nil, none,
			excludeBeginPrefix + "." + excludeBeginSuffix + "\n/x\n"},
		{"glob characters escaped", "", []string{"out/a*b?[c]"}, none, block(".", `/out/a\*b\?\[c]`)},
		{"trailing space kept", "", []string{"out/a "}, none, block(".", `/out/a\ `)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := withExcludeBlock(tt.content, ".", tt.outs, tt.gone)
			if got != tt.want {
				t.Errorf("withExcludeBlock(%q, %q) =\n%q\nwant\n%q", tt.content, tt.outs, got, tt.want)
			}
			if again := withExcludeBlock(got, ".", tt.outs, tt.gone); again != got {
				t.Errorf("not stable: a second pass gives\n%q", again)
			}
		})
	}
}

func TestSyncExcludeLeavesAnUnchangedFileAlone(t *testing.T) {
	dir := t.TempDir()
	w := &Workspace{Repo: &gitref.Repo{Root: dir, GitDir: filepath.Join(dir, ".git"), CommonDir: filepath.Join(dir, ".git")}, Dir: filepath.Join(dir, ".git", "dds")}
	if err := w.writeExclude([]string{"out/a"}); err != nil {
		t.Fatal(err)
	}
	path := w.ExcludePath()
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.writeExclude([]string{"out/a"}); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("an up-to-date info/exclude was rewritten")
	}
	if _, err := os.Stat(filepath.Join(dir, ".gitignore")); err == nil {
		t.Error("a .gitignore was written")
	}
}

func FuzzWithExcludeBlock(f *testing.F) {
	own := excludeBeginPrefix + "." + excludeBeginSuffix + "\n/x\n" + excludeEndPrefix + "." + excludeEndSuffix + "\n"
	other := excludeBeginPrefix + "worktrees/w" + excludeBeginSuffix + "\n/y\n" + excludeEndPrefix + "worktrees/w" + excludeEndSuffix + "\n"
	f.Add("", "out/a.csv")
	f.Add("*.pyc\n"+own+"tail", "out/a*b?[c]\x00out/d ")
	f.Add(other+own+other, "")
	f.Add(excludeBeginPrefix+"."+excludeBeginSuffix+"\nno end", "o")
	f.Fuzz(func(t *testing.T, content, outList string) {
		var outs []string
		for _, o := range strings.Split(outList, "\x00") {
			if o != "" && !strings.ContainsAny(o, "\n\r") {
				outs = append(outs, o)
			}
		}
		gone := func(name string) bool { return name == "worktrees/gone" }
		got := withExcludeBlock(content, ".", outs, gone)
		if again := withExcludeBlock(got, ".", outs, gone); again != got {
			t.Fatalf("not stable:\n%q\nthen\n%q", got, again)
		}
		// Everything but this worktree's block is what it was.
		// (A last line gets its newline.)
		if a, b := withExcludeBlock(got, ".", nil, gone), withExcludeBlock(content, ".", nil, gone); a != b && a != b+"\n" {
			t.Fatalf("the rest of the file changed:\n%q\nwas\n%q", a, b)
		}
		for _, o := range outs {
			if !strings.Contains(got, "\n/"+escapeIgnore(o)+"\n") {
				t.Fatalf("output %q not listed in\n%q", o, got)
			}
		}
		if len(outs) == 0 && strings.Count(got, excludeBeginPrefix+"."+excludeBeginSuffix) > strings.Count(content, excludeBeginPrefix+"."+excludeBeginSuffix) {
			t.Fatalf("a block was added with no outputs:\n%q", got)
		}
	})
}
