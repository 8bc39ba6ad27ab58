package workspace

import (
	"testing"

	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/signature"
)

func TestCovers(t *testing.T) {
	st := &pipeline.Stage{Name: "train", Deps: []string{"src", "data/raw.csv"},
		Params: []pipeline.ParamFile{{File: "params.yaml"}}, Outs: []string{"out/model"}}
	for path, want := range map[string]bool{
		"src/a.py": true, "src": true, "data/raw.csv": true, "params.yaml": true,
		"out/model/w.bin": true, "srcx/a.py": false, "data/raw.csv.bak": false, "out/other": false,
	} {
		if got := covers(st, path); got != want {
			t.Errorf("covers(%s) = %v, want %v", path, got, want)
		}
	}
}

func TestRepoRelativeAndIgnored(t *testing.T) {
	roots := []string{"/home/u/repo", "/mnt/real/repo"}
	for abs, want := range map[string]string{
		"/home/u/repo/a/b.txt":   "a/b.txt",
		"/mnt/real/repo/c":       "c",
		"/home/u/repository/x":   "",
		"/home/u/repo":           "",
		"/usr/lib/python3/os.py": "",
	} {
		got, inside := repoRelative(roots, abs)
		if got != want || inside != (want != "") {
			t.Errorf("repoRelative(%s) = %q, %v; want %q", abs, got, inside, want)
		}
	}
	for rel, want := range map[string]bool{
		"dds.yaml": true, ".git/HEAD": true, "sub/.git/config": true, "store/objects/x": true,
		"src/a.py": false, "dds.yaml.bak": false,
	} {
		if got := ignoredRead(rel, "/home/u/repo/store", roots); got != want {
			t.Errorf("ignoredRead(%s) = %v, want %v", rel, got, want)
		}
	}
}

func TestStillUndeclared(t *testing.T) {
	st := &pipeline.Stage{Name: "train", Deps: []string{"src/util.py"}}
	rec := &signature.Record{Audit: &signature.Audit{Undeclared: []signature.Undeclared{
		{Path: "src/util.py", Kind: signature.UndeclaredTracked},
		{Path: "local.cfg", Kind: signature.UndeclaredUntracked},
	}}}
	left := stillUndeclared(st, rec)
	if len(left) != 1 || left[0].Path != "local.cfg" {
		t.Errorf("stillUndeclared = %+v, want local.cfg alone", left)
	}
	if stillUndeclared(st, &signature.Record{}) != nil {
		t.Error("a record without an audit names undeclared reads")
	}
}

func TestTopFolder(t *testing.T) {
	for p, want := range map[string]string{
		"/usr/lib/python3.11/os.py":    "/usr/lib/python3.11",
		"/usr/lib/python3.11/a/b/c.py": "/usr/lib/python3.11",
		"/etc/ld.so.cache":             "/etc",
		"/x":                           "/",
	} {
		if got := topFolder(p); got != want {
			t.Errorf("topFolder(%s) = %s, want %s", p, got, want)
		}
	}
}

func TestPythonSource(t *testing.T) {
	for rel, want := range map[string]string{
		"src/__pycache__/util.cpython-311.pyc":   "src/util.py",
		"__pycache__/main.cpython-312.opt-1.pyc": "main.py",
		"a/b/__pycache__/m.pypy39.pyc":           "a/b/m.py",
		"src/util.py":                            "",
		"src/x__pycache__/util.cpython-311.pyc":  "",
		"src/__pycache__/.pyc":                   "",
		"src/__pycache__/notes.txt":              "",
	} {
		got, ok := pythonSource(rel)
		if got != want || ok != (want != "") {
			t.Errorf("pythonSource(%s) = %q, %v; want %q", rel, got, ok, want)
		}
	}
}
