package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoFixture makes a repository folder: tracked files, an untracked one, a
// real folder, and folders that are symlinks to a place outside.
func repoFixture(t *testing.T) (root, elsewhere string, tracked func(string) (bool, error)) {
	t.Helper()
	root, elsewhere = t.TempDir(), t.TempDir()
	files := []string{"src/a.py", "params.yaml", "data/new.csv", "data/new params.yaml", "committed/x", "sub/run.sh", "vendor/lib/.git/HEAD", "nested/.git"}
	for _, f := range files {
		full := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, link := range []string{"linked", "sub/linked"} {
		if err := os.Symlink(elsewhere, filepath.Join(root, filepath.FromSlash(link))); err != nil {
			t.Skipf("cannot make symlinks here: %v", err)
		}
	}
	inGit := map[string]bool{"src": true, "src/a.py": true, "params.yaml": true, "committed": true, "committed/x": true, "sub": true, "sub/run.sh": true}
	return root, elsewhere, func(path string) (bool, error) { return inGit[path], nil }
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		data   []byte
		at     string // LINE:COL of the *Error, "" when Validate accepts
		phrase string
	}{
		{"all in order", doc(
			"stages:",
			"  a:",
			"    cmd: make",
			"    wdir: sub",
			"    deps: [src/a.py, src]",
			"    params: {params.yaml: [x]}",
			"    outs: [out/a, new/deep/folder]",
			"  b:",
			"    cmd: make",
			"    deps: [out/a/part]",
			"    outs: [out/b, linked]",
		), "", ""},
		{"output through a symlink", stage("    cmd: make", "    outs: [out/a, linked/x]"), "4:19",
			`output linked/x of stage "s" goes through the symlink linked -> ELSEWHERE; outputs must stay inside the repository`},
		{"output through a deeper symlink", stage("    cmd: make", "    outs: [sub/linked/deep/x]"), "4:12",
			"goes through the symlink sub/linked -> ELSEWHERE"},
		{"wdir through a symlink", stage("    cmd: make", "    wdir: sub/linked", "    outs: [o]"), "4:11",
			`wdir sub/linked of stage "s" goes through the symlink sub/linked -> ELSEWHERE; a stage runs inside the repository`},
		{"output tracked by git", stage("    cmd: make", "    outs: [committed]"), "4:12",
			`output committed of stage "s" is tracked by git; outputs are git-ignored: run git rm --cached -r committed`},
		{"output folder holding a tracked file", stage("    cmd: make", "    outs: [sub]"), "4:12",
			`output sub of stage "s" is tracked by git`},
		{"output folder that is a repository", stage("    cmd: make", "    outs: [vendor/lib]"), "4:12",
			`output vendor/lib of stage "s" holds a git repository (vendor/lib/.git)`},
		{"output folder that is a worktree or submodule", stage("    cmd: make", "    outs: [o, nested]"), "4:15",
			`output nested of stage "s" holds a git repository (nested/.git)`},
		{"dep not added", stage("    cmd: make", "    deps: [src/a.py, data/new.csv]", "    outs: [o]"), "4:22",
			`dep data/new.csv of stage "s" is not tracked by git; run git add data/new.csv`},
		{"dep missing", stage("    cmd: make", "    deps: [data/old.csv]", "    outs: [o]"), "4:12",
			`dep data/old.csv of stage "s" does not exist; fix the path, or create it and git add data/old.csv`},
		{"dep below a file", stage("    cmd: make", "    deps: [src/a.py/x]", "    outs: [o]"), "4:12",
			"does not exist"},
		{"params file not added", stage("    cmd: make", "    params: {data/new params.yaml: [x]}", "    outs: [o]"), "4:14",
			`params file data/new params.yaml of stage "s" is not tracked by git; run git add 'data/new params.yaml'`},
		{"params file missing", stage("    cmd: make", "    params: {conf.yaml: [x]}", "    outs: [o]"), "4:14",
			`params file conf.yaml of stage "s" does not exist`},
		{"second params file missing", stage("    cmd: make", "    params: {zz.yaml: [x], params.yaml: [y]}", "    outs: [o]"), "4:14",
			`params file zz.yaml of stage "s" does not exist`},
		{"first params file missing", stage("    cmd: make", "    params: {params.yaml: [y], aa.yaml: [x]}", "    outs: [o]"), "4:32",
			`params file aa.yaml of stage "s" does not exist`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, elsewhere, tracked := repoFixture(t)
			err := mustParse(t, tt.data).Validate(root, tracked)
			if tt.at == "" {
				if err != nil {
					t.Fatalf("Validate refused it: %v", err)
				}
				return
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %v is a %T, not an *Error", err, err)
			}
			at := fmt.Sprintf("%d:%d", perr.Line, perr.Col)
			phrase := strings.ReplaceAll(tt.phrase, "ELSEWHERE", elsewhere)
			if at != tt.at || perr.File != FileName || !strings.Contains(err.Error(), phrase) {
				t.Errorf("got  %s (at %s)\nwant %q at %s", err, at, phrase, tt.at)
			}
		})
	}
}

func TestValidateReportsLookupFailures(t *testing.T) {
	root, _, _ := repoFixture(t)
	broken := errors.New("index unreadable")
	err := mustParse(t, stage("    cmd: make", "    deps: [src/a.py]", "    outs: [o]")).
		Validate(root, func(string) (bool, error) { return false, broken })
	var perr *Error
	if !errors.Is(err, broken) || errors.As(err, &perr) {
		t.Errorf("Validate returned %v; want the lookup failure wrapped, not a dds.yaml error", err)
	}
}
