// Package docs holds no code: its test checks that the documentation's
// links lead somewhere.
package docs

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// link is a Markdown inline link or image: [text](target) or ![alt](target).
var link = regexp.MustCompile(`\]\(([^()\s]+)\)`)

// TestLinks checks every relative link of README.md and of the Markdown
// files under docs/: the file it names exists, and the heading its
// #anchor names is in that file, as GitHub spells anchors. Links to other
// sites are not followed.
func TestLinks(t *testing.T) {
	files := []string{"../README.md"}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]map[string]bool{}
	anchorsOf := func(path string) map[string]bool {
		if a, ok := anchors[path]; ok {
			return a
		}
		a := headingAnchors(t, path)
		anchors[path] = a
		return a
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range proseLines(data) {
			for _, m := range link.FindAllStringSubmatch(l.text, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				path, anchor, _ := strings.Cut(target, "#")
				dest := file
				if path != "" {
					dest = filepath.Join(filepath.Dir(file), path)
					if _, err := os.Stat(dest); err != nil {
						t.Errorf("%s:%d: %s: no such file", file, l.n, target)
						continue
					}
				}
				if anchor != "" && strings.HasSuffix(dest, ".md") && !anchorsOf(dest)[anchor] {
					t.Errorf("%s:%d: %s: no heading with that anchor in %s", file, l.n, target, dest)
				}
			}
		}
	}
}

type line struct {
	n    int
	text string
}

// proseLines lists the lines of data outside fenced code blocks, where a
// link is text, not a link, and a # line is no heading.
func proseLines(data []byte) []line {
	var lines []line
	fenced := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(text), "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			lines = append(lines, line{n, text})
		}
	}
	return lines
}

// headingAnchors lists the anchors GitHub gives the headings of a Markdown
// file: lower case, spaces to dashes, punctuation but dashes and
// underscores dropped, and -1, -2... after a repeated one.
func headingAnchors(t *testing.T, path string) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	seen := map[string]int{}
	for _, l := range proseLines(data) {
		if !strings.HasPrefix(l.text, "#") {
			continue
		}
		text := strings.TrimSpace(strings.TrimLeft(l.text, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(text) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 && isLetter(r):
				b.WriteRune(r)
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			anchors[a+"-"+strconv.Itoa(n)] = true
		} else {
			anchors[a] = true
		}
		seen[a]++
	}
	return anchors
}

func isLetter(r rune) bool {
	return strings.ToLower(string(r)) != strings.ToUpper(string(r))
}

// TestTestsPageIsComplete checks that internals/tests.md names every
// end-to-end script and test file, so that a new one is described there.
func TestTestsPageIsComplete(t *testing.T) {
	page, err := os.ReadFile("internals/tests.md")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, pattern := range []string{"../e2e/testdata/*.txtar", "../e2e/testdata/remote/*.txtar"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			names = append(names, "| `"+strings.TrimSuffix(filepath.Base(f), ".txtar")+"` |")
		}
	}
	files, err := filepath.Glob("../e2e/*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		names = append(names, "| `"+filepath.Base(f)+"` |")
	}
	if len(names) == 0 {
		t.Fatal("found no end-to-end test")
	}
	for _, name := range names {
		if !strings.Contains(string(page), name) {
			t.Errorf("docs/internals/tests.md has no row for %s", strings.Trim(name, "| "))
		}
	}
}
