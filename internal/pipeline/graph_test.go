package pipeline

import (
	"reflect"
	"testing"
)

func names(stages []*Stage) []string {
	out := make([]string, len(stages))
	for i, s := range stages {
		out[i] = s.Name
	}
	return out
}

func mustParse(t *testing.T, data []byte) *Pipeline {
	t.Helper()
	p, err := Parse(FileName, data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestStageOrder(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want []string
	}{
		{"independent stages by name", doc(
			"stages:",
			"  c: {cmd: make, outs: [c]}",
			"  a: {cmd: make, outs: [a]}",
			"  b: {cmd: make, outs: [b]}",
		), []string{"a", "b", "c"}},
		{"chain declared backwards", doc(
			"stages:",
			"  a: {cmd: make, deps: [out/b], outs: [out/a]}",
			"  b: {cmd: make, deps: [out/c], outs: [out/b]}",
			"  c: {cmd: make, deps: [src], outs: [out/c]}",
		), []string{"c", "b", "a"}},
		{"diamond", doc(
			"stages:",
			"  a: {cmd: make, deps: [m.csv, b.csv], outs: [a.csv]}",
			"  b: {cmd: make, deps: [z.csv], outs: [b.csv]}",
			"  m: {cmd: make, deps: [z.csv], outs: [m.csv]}",
			"  z: {cmd: make, outs: [z.csv]}",
		), []string{"z", "b", "m", "a"}},
		{"a ready stage waits for its name, not its declaration", doc(
			"stages:",
			"  y: {cmd: make, outs: [y]}",
			"  b: {cmd: make, deps: [y], outs: [b]}",
			"  c: {cmd: make, outs: [c]}",
		), []string{"c", "y", "b"}},
		{"dep inside a folder output", doc(
			"stages:",
			"  report: {cmd: make, deps: [out/model/weights.bin], outs: [report.md]}",
			"  train: {cmd: make, outs: [out/model]}",
		), []string{"train", "report"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(mustParse(t, tt.data).Stages); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("order %q, want %q", got, tt.want)
			}
		})
	}
}

func TestGraphQueries(t *testing.T) {
	// prep feeds clean and features; train needs both; report needs train;
	// lint stands alone.
	p := mustParse(t, doc(
		"stages:",
		"  prep: {cmd: make, deps: [data/raw.csv], outs: [out/prep]}",
		"  clean: {cmd: make, deps: [out/prep/a.csv], outs: [out/clean.csv]}",
		"  features: {cmd: make, deps: [out/prep], outs: [out/features.csv]}",
		"  train: {cmd: make, deps: [out/features.csv, out/clean.csv, out/prep/b.csv], outs: [out/model.bin]}",
		"  report: {cmd: make, deps: [out/model.bin], outs: [report.md]}",
		"  lint: {cmd: make, outs: [lint.txt]}",
	))
	if got, want := names(p.Stages), []string{"lint", "prep", "clean", "features", "train", "report"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Stages = %q, want %q", got, want)
	}
	if s := p.Stage("train"); s == nil || s.Name != "train" {
		t.Errorf(`Stage("train") = %v`, s)
	}
	if s := p.Stage("nope"); s != nil {
		t.Errorf(`Stage("nope") = %v, want nil`, s)
	}

	producers := []struct {
		path, want string
	}{
		{"out/prep", "prep"},
		{"out/prep/a.csv", "prep"},
		{"./out/prep/deep/x/", "prep"},
		{"out/model.bin", "train"},
		{"out", ""},
		{"out/prepared", ""},
		{"data/raw.csv", ""},
	}
	for _, tt := range producers {
		s, ok := p.Producer(tt.path)
		got := ""
		if ok {
			got = s.Name
		}
		if got != tt.want {
			t.Errorf("Producer(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}

	queries := []struct {
		name string
		got  []*Stage
		want []string
	}{
		{"Upstream(train)", p.Upstream(p.Stage("train")), []string{"clean", "features", "prep"}},
		{"Upstream(prep)", p.Upstream(p.Stage("prep")), []string{}},
		{"Downstream(clean)", p.Downstream("clean"), []string{"clean", "train", "report"}},
		{"Downstream(prep)", p.Downstream("prep"), []string{"prep", "clean", "features", "train", "report"}},
		{"Downstream(report, lint)", p.Downstream("report", "lint"), []string{"lint", "report"}},
		{"Downstream()", p.Downstream(), []string{}},
		{"Closure(train)", p.Closure("train"), []string{"prep", "clean", "features", "train"}},
		{"Closure(clean, lint, unknown)", p.Closure("clean", "lint", "unknown"), []string{"lint", "prep", "clean"}},
		{"Closure(report)", p.Closure("report"), []string{"prep", "clean", "features", "train", "report"}},
	}
	for _, q := range queries {
		if got := names(q.got); !reflect.DeepEqual(got, q.want) {
			t.Errorf("%s = %q, want %q", q.name, got, q.want)
		}
	}

	want := []string{"lint.txt", "out/clean.csv", "out/features.csv", "out/model.bin", "out/prep", "report.md"}
	if got := p.Outs(); !reflect.DeepEqual(got, want) {
		t.Errorf("Outs() = %q, want %q", got, want)
	}
}

// What a stage reads: its deps and params files; of those, the ones read
// from git's tree exclude another stage's outputs, also under a folder.
func TestReads(t *testing.T) {
	p := mustParse(t, doc(
		"stages:",
		"  prep: {cmd: make, outs: [out/prep]}",
		"  train:",
		"    cmd: make",
		"    deps: [src/train.py, out/prep/part-0, data]",
		"    params: {params.yaml: [lr], conf.yaml: [seed]}",
		"    outs: [model.bin]",
	))
	st := p.Stage("train")
	if got, want := st.Reads(), []string{"src/train.py", "out/prep/part-0", "data", "conf.yaml", "params.yaml"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Reads() = %q, want %q", got, want)
	}
	if got, want := p.TrackedDeps(st), []string{"src/train.py", "data"}; !reflect.DeepEqual(got, want) {
		t.Errorf("TrackedDeps() = %q, want %q", got, want)
	}
	if got, want := p.TrackedReads(st), []string{"src/train.py", "data", "conf.yaml", "params.yaml"}; !reflect.DeepEqual(got, want) {
		t.Errorf("TrackedReads() = %q, want %q", got, want)
	}
	if got := p.TrackedReads(p.Stage("prep")); len(got) != 0 {
		t.Errorf("TrackedReads(prep) = %q, want none", got)
	}
}
