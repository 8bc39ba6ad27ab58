package signature

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/pipeline"
)

// fakeTree is a tree of tracked paths: a file has content, a folder none.
type fakeTree map[string]fakeEntry

type fakeEntry struct {
	id      string
	dir     bool
	content string
}

func (t fakeTree) Lookup(path string) (gitref.Entry, bool, error) {
	e, ok := t[path]
	return gitref.Entry{ID: e.id, Dir: e.dir}, ok, nil
}

func (t fakeTree) ReadFile(path string) ([]byte, error) {
	e, ok := t[path]
	if !ok || e.dir {
		return nil, fs.ErrNotExist
	}
	return []byte(e.content), nil
}

// with gives a copy of t with path set to e.
func (t fakeTree) with(path string, e fakeEntry) fakeTree {
	c := maps.Clone(t)
	c[path] = e
	return c
}

func file(id, content string) fakeEntry { return fakeEntry{id: id, content: content} }

func envOf(vars map[string]string) Env {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func producerOf(outs map[string]string) func(string) (string, bool) {
	return func(path string) (string, bool) {
		stage, ok := outs[path]
		return stage, ok
	}
}

// The stage of docs/signatures.md's worked example.
func exampleStage() *pipeline.Stage {
	return &pipeline.Stage{
		Name:   "clean",
		Cmd:    "python src/clean.py data/raw.csv out/clean.csv",
		Deps:   []string{"src/clean.py", "src/lib", "data/raw.csv"},
		Params: []pipeline.ParamFile{{File: "params.yaml", Keys: []string{"clean.impute"}}},
		Env:    []string{"SEED"},
		Outs:   []string{"out/clean.csv"},
	}
}

func exampleTree() fakeTree {
	return fakeTree{
		"src/clean.py": file("3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a", "import sys\n"),
		"src/lib":      {id: "8e1c44d2b5a3f60718293a4b5c6d7e8f90a1b2c3", dir: true},
		"data/raw.csv": file("5d41402abc4b2a76b9719d911017c592ae1f3c6d", "a,b\n1,2\n"),
		"params.yaml":  file("0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d", "clean:\n  impute: mean\n  ratio: 0.5\ntrain:\n  epochs: 10\n"),
	}
}

func exampleEnv() Env { return envOf(map[string]string{"SEED": "42"}) }

// The stage downstream of the worked example.
func downstreamStage() *pipeline.Stage {
	return &pipeline.Stage{
		Name:   "train",
		Cmd:    "python src/train.py out/clean.csv out/model.bin",
		Deps:   []string{"src/train.py", "out/clean.csv"},
		Params: []pipeline.ParamFile{{File: "params.yaml", Keys: []string{"train.epochs"}}},
		Outs:   []string{"out/model.bin", "out/metrics.json"},
	}
}

func downstreamTree() fakeTree {
	return exampleTree().with("src/train.py", file("9c1d2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d", ""))
}

// The signatures below were computed once and frozen: a change to any of
// them is a change to the encoding, which must bump FormatVersion.
func TestGoldenSignatures(t *testing.T) {
	const cleanSig = "58b5576a20c39f9f57104da46e3633a88af8a2c5cee6c0293f73a334ba8b48b8"
	tests := []struct {
		name     string
		stage    *pipeline.Stage
		tree     fakeTree
		producer func(string) (string, bool)
		upstream map[string]string
		env      Env
		want     string
	}{
		{
			name:  "the worked example",
			stage: exampleStage(),
			tree:  exampleTree(),
			env:   exampleEnv(),
			want:  cleanSig,
		},
		{
			name:     "a stage reading another's output",
			stage:    downstreamStage(),
			tree:     downstreamTree(),
			producer: producerOf(map[string]string{"out/clean.csv": "clean"}),
			upstream: map[string]string{"clean": cleanSig},
			want:     "1fb4ca1f96a8cc9ad56d15825248d7516beca63edccb6eccfec573e1a6bfa0d4",
		},
		{
			name:  "a bare command in a working directory",
			stage: &pipeline.Stage{Name: "touch", Cmd: "touch done", Wdir: "sub", Outs: []string{"sub/done"}},
			tree:  fakeTree{},
			want:  "8cd97cc9da2b7c9377c474ada7570e24d27a9afa97265f398db983419fdeb716",
		},
		{
			name: "JSON params, an unset and an empty variable",
			stage: &pipeline.Stage{
				Name:   "report",
				Cmd:    "make report",
				Params: []pipeline.ParamFile{{File: "conf.json", Keys: []string{"layers.1", "opt"}}},
				Env:    []string{"EMPTY", "UNSET"},
				Outs:   []string{"report"},
			},
			tree: fakeTree{"conf.json": file("aa", `{"opt": {"lr": 1e-3, "name": "adam", "nesterov": true, "decay": null}, "layers": [64, 32.0]}`)},
			env:  envOf(map[string]string{"EMPTY": ""}),
			want: "0af7a4a73dec3e90e1195c38478fce476e90a6f652e935a8832770adca97084f",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := Compute(tt.stage, tt.tree, tt.producer, tt.upstream, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("signature = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestComputeInputs(t *testing.T) {
	_, inputs, err := Compute(exampleStage(), exampleTree(), nil, nil, exampleEnv())
	if err != nil {
		t.Fatal(err)
	}
	want := []Input{
		{Kind: KindCmd, Value: "python src/clean.py data/raw.csv out/clean.csv"},
		{Kind: KindWdir},
		{Kind: KindOut, Name: "out/clean.csv"},
		{Kind: KindDep, Name: "data/raw.csv", Value: "5d41402abc4b2a76b9719d911017c592ae1f3c6d"},
		{Kind: KindDep, Name: "src/clean.py", Value: "3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a"},
		{Kind: KindDep, Name: "src/lib", Value: "8e1c44d2b5a3f60718293a4b5c6d7e8f90a1b2c3"},
		{Kind: KindParam, Name: "params.yaml:clean.impute", Value: `"mean"`},
		{Kind: KindEnv, Name: "SEED", Value: "6be9b39538669517f4d96d87c2af7294e69345b9ed623ee167d36620eeb333d4"},
	}
	if !slices.Equal(inputs, want) {
		t.Errorf("inputs =\n%v\nwant\n%v", inputs, want)
	}
	sig, err := SignatureOf(inputs)
	if err != nil {
		t.Fatal(err)
	}
	if computed, _, _ := Compute(exampleStage(), exampleTree(), nil, nil, exampleEnv()); sig != computed {
		t.Errorf("SignatureOf(inputs) = %s, Compute gave %s", sig, computed)
	}
}

// TestSignatureMoves changes one thing at a time from the worked example
// and checks whether the signature moves.
func TestSignatureMoves(t *testing.T) {
	type setup struct {
		stage    *pipeline.Stage
		tree     fakeTree
		producer func(string) (string, bool)
		upstream map[string]string
		env      map[string]string
	}
	base := func() setup {
		st := exampleStage()
		st.Deps = append(st.Deps, "out/prep.csv")
		return setup{
			stage:    st,
			tree:     exampleTree(),
			producer: producerOf(map[string]string{"out/prep.csv": "prep", "out/prep.log": "prep", "ext:events": "prep", "ext:other": "other"}),
			upstream: map[string]string{"prep": strings.Repeat("a", 64), "other": strings.Repeat("c", 64)},
			env:      map[string]string{"SEED": "42"},
		}
	}
	params := func(s *setup, content string) { s.tree = s.tree.with("params.yaml", file("ff", content)) }
	tests := []struct {
		name   string
		change func(s *setup)
		moves  bool
	}{
		{"nothing", func(s *setup) {}, false},
		{"cmd", func(s *setup) { s.stage.Cmd += " --fast" }, true},
		{"wdir", func(s *setup) { s.stage.Wdir = "src" }, true},
		{"an out added", func(s *setup) { s.stage.Outs = append(s.stage.Outs, "out/log.txt") }, true},
		{"deps reordered", func(s *setup) { slices.Reverse(s.stage.Deps) }, false},
		{"a dep listed twice", func(s *setup) { s.stage.Deps = append(s.stage.Deps, "src/clean.py") }, false},
		{"a dep's object id", func(s *setup) {
			s.tree = s.tree.with("src/clean.py", file("9c1d2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d", "import os\n"))
		}, true},
		{"a folder dep's tree id", func(s *setup) {
			s.tree = s.tree.with("src/lib", fakeEntry{id: "1111111111111111111111111111111111111111", dir: true})
		}, true},
		{"an undeclared file", func(s *setup) { s.tree = s.tree.with("README.md", file("ab", "hi")) }, false},
		{"a dep added", func(s *setup) { s.stage.Deps = append(s.stage.Deps, "params.yaml") }, true},
		{"a param value", func(s *setup) { params(s, "clean:\n  impute: median\n  ratio: 0.5\n") }, true},
		{"an undeclared param key", func(s *setup) { params(s, "clean:\n  impute: mean\n  ratio: 0.9\n") }, false},
		{"key order in the params file", func(s *setup) { params(s, "train:\n  epochs: 10\nclean:\n  ratio: 0.5\n  impute: mean\n") }, false},
		{"params file layout and comments", func(s *setup) { params(s, "# tuned\nclean: {impute: 'mean', ratio: 0.5}\n") }, false},
		{"params file written as JSON", func(s *setup) { params(s, `{"clean": {"impute": "mean"}}`) }, false},
		{"a param key declared", func(s *setup) { s.stage.Params[0].Keys = append(s.stage.Params[0].Keys, "clean.ratio") }, true},
		{"an env value", func(s *setup) { s.env["SEED"] = "43" }, true},
		{"an env var set to empty", func(s *setup) { s.env["SEED"] = "" }, true},
		{"an env var unset", func(s *setup) { delete(s.env, "SEED") }, true},
		{"an undeclared env var", func(s *setup) { s.env["HOME"] = "/root" }, false},
		{"an upstream signature", func(s *setup) { s.upstream["prep"] = strings.Repeat("b", 64) }, true},
		{"another output of the same upstream stage", func(s *setup) { s.stage.Deps = append(s.stage.Deps, "out/prep.log") }, false},
		{"the stage's name", func(s *setup) { s.stage.Name = "scrub" }, false},
		{"an external output added", func(s *setup) {
			s.stage.External = []pipeline.External{{Name: "features", Format: pipeline.FormatFiles}}
		}, true},
		{"an ext dep on a stage read already", func(s *setup) { s.stage.ExtDeps = []string{"events"} }, false},
		{"an ext dep on another stage", func(s *setup) { s.stage.ExtDeps = []string{"other"} }, true},
	}
	b := base()
	baseSig, _, err := Compute(b.stage, b.tree, b.producer, b.upstream, envOf(b.env))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			tt.change(&s)
			sig, _, err := Compute(s.stage, s.tree, s.producer, s.upstream, envOf(s.env))
			if err != nil {
				t.Fatal(err)
			}
			if moved := sig != baseSig; moved != tt.moves {
				t.Errorf("signature moved = %v, want %v", moved, tt.moves)
			}
		})
	}
}

// TestExternalFormatMoves: the format of an external output says what
// its objects are, so it is part of the computation.
func TestExternalFormatMoves(t *testing.T) {
	sigOf := func(format string) string {
		st := &pipeline.Stage{Name: "s", Cmd: "make", External: []pipeline.External{{Name: "x", Format: format}}}
		sig, inputs, err := Compute(st, fakeTree{}, nil, nil, envOf(nil))
		if err != nil {
			t.Fatal(err)
		}
		if got := Describe(inputs, []Input{{Kind: KindCmd, Value: "make"}, {Kind: KindWdir}}); !slices.Contains(got, "external output x removed") {
			t.Errorf("Describe = %q, want it to say the external output was removed", got)
		}
		return sig
	}
	if sigOf(pipeline.FormatParquet) == sigOf(pipeline.FormatDelta) {
		t.Error("changing an external output's format kept the signature")
	}
}

func TestDeclaredOrderIsIgnored(t *testing.T) {
	st := exampleStage()
	st.Outs = []string{"out/a", "out/b", "out/c"}
	st.Env = []string{"SEED", "HOME"}
	st.Params = []pipeline.ParamFile{
		{File: "params.yaml", Keys: []string{"clean.impute", "clean.ratio"}},
		{File: "conf.json", Keys: []string{"x"}},
	}
	tree := exampleTree().with("conf.json", file("cc", `{"x": 1}`))
	env := envOf(map[string]string{"SEED": "1", "HOME": "/home/me"})
	want, _, err := Compute(st, tree, nil, nil, env)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(st.Outs)
	slices.Reverse(st.Deps)
	slices.Reverse(st.Env)
	slices.Reverse(st.Params)
	slices.Reverse(st.Params[1].Keys)
	got, _, err := Compute(st, tree, nil, nil, env)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("reordering outs, deps, env and params moved the signature")
	}
}

// errTree fails every read, as a broken repository would.
type errTree struct{}

var errBroken = errors.New("object store unreadable")

func (errTree) Lookup(string) (gitref.Entry, bool, error) { return gitref.Entry{}, false, errBroken }
func (errTree) ReadFile(string) ([]byte, error)           { return nil, errBroken }

func TestComputeErrors(t *testing.T) {
	withParams := func(file string, keys ...string) *pipeline.Stage {
		st := exampleStage()
		st.Params = []pipeline.ParamFile{{File: file, Keys: keys}}
		return st
	}
	tests := []struct {
		name     string
		stage    *pipeline.Stage
		tree     gitref.Tree
		producer func(string) (string, bool)
		wantIn   []string
		wantIs   error
	}{
		{
			name:   "an untracked dep",
			stage:  &pipeline.Stage{Name: "clean", Deps: []string{"data/new.csv"}},
			tree:   exampleTree(),
			wantIn: []string{`stage "clean"`, `"data/new.csv"`, "add and commit it", "dds.yaml"},
		},
		{
			name:   "an untracked params file",
			stage:  withParams("other.yaml", "a"),
			tree:   exampleTree(),
			wantIn: []string{`stage "clean"`, `"other.yaml"`, "add and commit it", "dds.yaml"},
		},
		{
			name:   "a missing key",
			stage:  withParams("params.yaml", "clean.strategy"),
			tree:   exampleTree(),
			wantIn: []string{`stage "clean"`, `"params.yaml"`, `"clean.strategy"`, "dds.yaml"},
		},
		{
			name:   "a key under a scalar",
			stage:  withParams("params.yaml", "clean.impute.x"),
			tree:   exampleTree(),
			wantIn: []string{`"clean.impute.x"`, "not in the file"},
		},
		{
			name:   "a params file that does not parse",
			stage:  withParams("params.yaml", "a"),
			tree:   exampleTree().with("params.yaml", file("ee", "a: [1, 2\n")),
			wantIn: []string{`stage "clean"`, "params.yaml:2: params file of stage", "not valid YAML"},
		},
		{
			name:   "a colon in a params file name",
			stage:  withParams("a:b.yaml", "a"),
			tree:   exampleTree().with("a:b.yaml", file("ee", "a: 1")),
			wantIn: []string{`"a:b.yaml"`, "rename the file"},
		},
		{
			name:     "an upstream stage without a signature",
			stage:    &pipeline.Stage{Name: "train", Deps: []string{"out/clean.csv"}},
			tree:     exampleTree(),
			producer: producerOf(map[string]string{"out/clean.csv": "clean"}),
			wantIn:   []string{`stage "train"`, `stage "clean"`, "pipeline order"},
		},
		{
			name:   "a tree that cannot be read",
			stage:  exampleStage(),
			tree:   errTree{},
			wantIn: []string{`stage "clean"`},
			wantIs: errBroken,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Compute(tt.stage, tt.tree, tt.producer, nil, exampleEnv())
			if err == nil {
				t.Fatal("Compute succeeded, want an error")
			}
			for _, want := range tt.wantIn {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q does not wrap %v", err, tt.wantIs)
			}
		})
	}
}

// TestEnvValuesNeverKept checks that a declared variable's value reaches
// neither the inputs a record keeps nor what status says changed: a record
// goes to every remote, and a variable may hold a token.
func TestEnvValuesNeverKept(t *testing.T) {
	secrets := []string{"s3cr3t-T0KEN-9f8e7d", "hunter2", `"quoted"`, "line\nbreak", "ünïcödé-välüe", strings.Repeat("long", 40)}
	st := &pipeline.Stage{Name: "fetch", Cmd: "make fetch", Env: []string{"API_TOKEN"}, Outs: []string{"out"}}
	for _, secret := range secrets {
		for _, other := range []string{"other-value-x", ""} {
			sigA, inA, err := Compute(st, fakeTree{}, nil, nil, envOf(map[string]string{"API_TOKEN": secret}))
			if err != nil {
				t.Fatal(err)
			}
			sigB, inB, err := Compute(st, fakeTree{}, nil, nil, envOf(map[string]string{"API_TOKEN": other}))
			if err != nil {
				t.Fatal(err)
			}
			_, inUnset, err := Compute(st, fakeTree{}, nil, nil, envOf(nil))
			if err != nil {
				t.Fatal(err)
			}
			if sigA == sigB {
				t.Errorf("values %q and %q give one signature", secret, other)
			}
			kept, err := json.Marshal(inA)
			if err != nil {
				t.Fatal(err)
			}
			var shown []string
			for _, pair := range [][2][]Input{{inA, inB}, {inB, inA}, {inA, inUnset}, {inUnset, inA}, {inA, inA[:len(inA)-1]}, {inA[:len(inA)-1], inA}} {
				shown = append(shown, Describe(pair[0], pair[1])...)
				shown = append(shown, Changed(pair[0], pair[1])...)
			}
			for _, where := range append([]string{string(kept), fmt.Sprint(inA)}, shown...) {
				for _, part := range []string{secret, strconv.Quote(secret), secret[:len(secret)/2+1]} {
					if strings.Contains(where, part) {
						t.Errorf("value %q shows in %q", secret, where)
					}
				}
			}
			if d := Describe(inA, inB); !slices.Equal(d, []string{"env:API_TOKEN changed"}) {
				t.Errorf("Describe = %q, want env:API_TOKEN changed", d)
			}
		}
	}
}

// TestPrepareChangesNothing computes stages that read params files, one
// after the other as a pipeline does, with an evaluator that took their
// values out beforehand (Prepare) and with one that did not: the same
// signatures, inputs and errors, in every stage, whatever Prepare was
// told. Keys with a value, keys without one, a file that does not parse, a
// file that is not tracked, and stages Prepare was not given.
func TestPrepareChangesNothing(t *testing.T) {
	stage := func(name string, files ...pipeline.ParamFile) *pipeline.Stage {
		return &pipeline.Stage{Name: name, Cmd: "true", Outs: []string{"out/" + name}, Params: files}
	}
	keys := func(file string, keys ...string) pipeline.ParamFile {
		return pipeline.ParamFile{File: file, Keys: keys}
	}
	tree := exampleTree().
		with("broken.yaml", file("ee", "a: [1, 2\n")).
		with("conf.json", file("aa", `{"opt": {"lr": 1e-3}, "layers": [64, 32.0]}`)).
		with("merged.yaml", file("bb", "base: &b {x: 1, y: 2}\nrun:\n  <<: *b\n  y: 3\n"))
	stages := []*pipeline.Stage{
		stage("a", keys("params.yaml", "clean.impute", "train")),
		stage("b", keys("params.yaml", "clean.impute"), keys("conf.json", "opt.lr", "layers")),
		stage("c", keys("params.yaml", "clean.missing")),
		stage("d", keys("merged.yaml", "run", "run.y")),
		stage("e", keys("broken.yaml", "a")),
		stage("f", keys("untracked.yaml", "a")),
		stage("g", keys("params.yaml", "clean.impute.deeper")),
		stage("h", keys("params.yaml", "train.epochs"), keys("merged.yaml", "base.x")),
	}
	compute := func(ev *Evaluator) []string {
		var got []string
		for _, st := range stages {
			sig, inputs, err := ev.Compute(st, nil)
			got = append(got, fmt.Sprintf("%s: %s %v %v", st.Name, sig, inputs, err))
		}
		return got
	}
	want := compute(NewEvaluator(tree, nil, exampleEnv()))
	for name, prepared := range map[string][]*pipeline.Stage{
		"every stage":      stages,
		"some stages":      {stages[0], stages[3], stages[4]},
		"no stage":         nil,
		"the stages twice": append(slices.Clone(stages), stages...),
	} {
		t.Run(name, func(t *testing.T) {
			ev := NewEvaluator(tree, nil, exampleEnv())
			ev.Prepare(prepared)
			got := compute(ev)
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("with Prepare:\n %s\nwithout:\n %s", got[i], want[i])
				}
			}
		})
	}
}
