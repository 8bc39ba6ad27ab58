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
