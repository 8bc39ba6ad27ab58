package pipeline

import (
	"errors"
	"path"
	"slices"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics and that what it accepts is sound:
// the stages in topological order, every output owned once, none inside
// another, every path in normal form, and Encode and Decode give it back. Seeds beyond these live in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add(doc(
		"stages:",
		"  clean: {cmd: make, deps: [src/clean.py, data/raw.csv], params: {params.yaml: [clean.impute]}, outs: [out/clean.csv]}",
		"  train: {cmd: make, deps: [out/clean.csv], env: [SEED], outs: [out/model]}",
	))
	f.Add(doc("stages:", "  a: {cmd: make, deps: [out/b], outs: [out/a]}", "  b: {cmd: make, deps: [out/a], outs: [out/b]}"))
	f.Add(doc("stages:", "  a: {cmd: make, outs: [out/f, out/f/g]}"))
	f.Add(doc("stages:", "  t: {cmd: make, outs: [m], metrics: [out/m.json, m], plots: [out/p.csv]}"))
	f.Add([]byte("stages: a: b"))
	f.Add([]byte("stages:\n  s: &x {cmd: make, outs: *x}\n"))
	f.Add(doc("stages:", "  s: {cmd: \"a\\0b\", outs: [dds.yaml, sub/.GITIGNORE, .gitmodules]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(FileName, data)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || perr.Line < 0 || perr.Col < 0 {
				t.Fatalf("error %v (%T) is not an *Error with a position", err, err)
			}
			return
		}
		checkRoundTrip(t, p)
		placed := make(map[string]bool)
		for _, s := range p.Stages {
			for _, up := range p.Upstream(s) {
				if !placed[up.Name] {
					t.Fatalf("stage %s comes before %s, which it reads from", s.Name, up.Name)
				}
			}
			placed[s.Name] = true
			if strings.IndexByte(s.Cmd, 0) >= 0 {
				t.Fatalf("stage %s keeps a NUL in its cmd %q", s.Name, s.Cmd)
			}
			for _, out := range s.Outs {
				base := strings.ToLower(path.Base(out))
				if strings.EqualFold(out, "dds.yaml") || base == ".gitignore" || base == ".gitattributes" || base == ".gitmodules" {
					t.Fatalf("stage %s outputs the project's own file %s", s.Name, out)
				}
			}
			for _, also := range append(slices.Clone(s.Metrics), s.Plots...) {
				if !slices.Contains(s.Outs, also) {
					t.Fatalf("stage %s reads %s as metrics or plots but does not output it", s.Name, also)
				}
			}
			for _, paths := range [][]string{s.Deps, s.Outs, {s.Wdir}} {
				for _, p := range paths {
					if p != "" && path.Clean(p) != p {
						t.Fatalf("stage %s keeps the path %q uncleaned", s.Name, p)
					}
				}
			}
		}
		owned := make(map[string]bool)
		for _, s := range p.Stages {
			for _, out := range s.Outs {
				if owned[out] {
					t.Fatalf("output %s is declared twice", out)
				}
				owned[out] = true
			}
		}
		for out := range owned {
			for dir := range parentDirs(out) {
				if owned[dir] {
					t.Fatalf("output %s lies inside output %s", out, dir)
				}
			}
		}
	})
}

// FuzzTemplate checks that expanding foreach, matrix and vars never
// panics, answers every problem with a positioned *Error, stays within
// its bounds, and makes only stages named NAME or NAME@KEY.
func FuzzTemplate(f *testing.F) {
	f.Add("vars: {v: [a, b]}", "foreach: ${v}", "do: {cmd: 'x ${item}', outs: ['o/${item}']}")
	f.Add("", "foreach: {a: {f: 1}, b: {f: 2}}", "do: {cmd: 'x ${item.f} ${key}', outs: ['${key}'], deps: ['${item.f}']}")
	f.Add("", "matrix: {a: [1, 2], b: [x, y]}", "cmd: 'x ${item.a}', outs: ['o${item.a}${item.b}']")
	f.Add("vars: [{d: [p, q]}]", "foreach: [[1], [2]]", "do: {cmd: '\\${HOME} ${item.0}', deps: '${d}', outs: ['o${item.0}']}")
	f.Add("vars: {v: &a [*a]}", "foreach: ${v}", "do: {cmd: '${item}', outs: [o]}")
	f.Add("", "matrix: {a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], b: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}", "cmd: '${item.a}', outs: ['${item}']")
	f.Fuzz(func(t *testing.T, vars, source, body string) {
		data := []byte(vars + "\nstages:\n  t:\n    " + source + "\n    " + body + "\n  plain: {cmd: 'echo ${HOME}', outs: [plain.out]}\n")
		p, err := Parse(FileName, data)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || perr.Line < 0 || perr.Col < 0 || perr.Msg == "" {
				t.Fatalf("error %v (%T) is not an *Error with a position", err, err)
			}
			return
		}
		if len(p.Stages) > maxInstances+1 {
			t.Fatalf("%d stages, over the bound of %d", len(p.Stages), maxInstances)
		}
		for _, s := range p.Stages {
			name, key, templated := strings.Cut(s.Name, "@")
			if !stageNamePattern().MatchString(name) || templated && (name != "t" || !instanceKeyPattern().MatchString(key)) {
				t.Fatalf("stage name %q is neither NAME nor t@KEY", s.Name)
			}
		}
		checkRoundTrip(t, p)
	})
}
