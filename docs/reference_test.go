package docs

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// referenceDir is the committed command reference, in Markdown, that
// users browsing the repository read: generated from git dds's command
// tree, as the manual pages are, by make docs-reference.
const referenceDir = "reference"

// TestReferenceIsGenerated fails when the committed reference is not what
// the command tree gives today: a flag or help text changed without make
// docs-reference, or a page of a command that is gone. It builds git-dds
// and asks it, as make docs-reference does.
func TestReferenceIsGenerated(t *testing.T) {
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "git-dds")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/git-dds/git-dds/cmd/git-dds").CombinedOutput(); err != nil {
		t.Fatalf("building git-dds: %v\n%s", err, out)
	}
	dir := filepath.Join(tmp, "reference")
	if out, err := exec.Command(bin, "__man", "--markdown", dir).CombinedOutput(); err != nil {
		t.Fatalf("git-dds __man --markdown: %v\n%s", err, out)
	}
	want := pages(t, dir)
	got := pages(t, referenceDir)
	const fix = "run make docs-reference and commit docs/reference"
	for name, content := range want {
		committed, ok := got[name]
		switch {
		case !ok:
			t.Errorf("docs/reference/%s is missing; %s", name, fix)
		case !bytes.Equal(committed, content):
			t.Errorf("docs/reference/%s differs from the help text; %s", name, fix)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("docs/reference/%s documents no command; %s", name, fix)
		}
	}
}

// pages reads the git-dds*.md files of dir; the folder's README is not a page.
func pages(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "git-dds*.md"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	out := make(map[string][]byte, len(names))
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(name)] = data
	}
	return out
}
