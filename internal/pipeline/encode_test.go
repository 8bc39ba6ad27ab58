package pipeline

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// Decode must give back exactly what Parse made: the cache of parsed
// pipelines relies on it.
func TestEncodeRoundTrip(t *testing.T) {
	docs := [][]byte{
		doc("stages:",
			"  clean: {cmd: make, deps: [src/clean.py, data/raw.csv], params: {params.yaml: [clean.impute, clean.drop]}, outs: [out/clean.csv]}",
			"  train:",
			"    cmd: python train.py",
			"    wdir: src",
			"    deps: [out/clean.csv]",
			"    env: [SEED]",
			"    outs: [out/model, out/metrics.json]",
			"  report: {cmd: make, deps: [out/model], outs: [out/report.html]}"),
		doc("stages:", "  alone: {cmd: 'true', outs: [out]}"),
		doc("lake: file:///lake", "publish: sh register.sh \"$DDS_PUBLISH_URI\"",
			"stages:", "  ext: {cmd: 'true', external: {events: {format: delta}}}"),
	}
	for i, d := range docs {
		p, err := Parse(FileName, d)
		if err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		checkRoundTrip(t, p)
	}
}

func checkRoundTrip(t *testing.T, p *Pipeline) {
	t.Helper()
	data, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	q, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, q) {
		for i := range p.Stages {
			if i < len(q.Stages) && !reflect.DeepEqual(p.Stages[i], q.Stages[i]) {
				t.Fatalf("stage %d differs:\n%#v\n%#v", i, *p.Stages[i], *q.Stages[i])
			}
			name := p.Stages[i].Name
			if !reflect.DeepEqual(p.positions[name], q.positions[name]) {
				t.Fatalf("positions of %s differ:\n%#v\n%#v", name, *p.positions[name], *q.positions[name])
			}
		}
		t.Fatalf("Decode(Encode(p)) differs from p:\n%#v\n%#v", p, q)
	}
}

func TestDecodeRejects(t *testing.T) {
	p, err := Parse(FileName, doc("stages:", "  a: {cmd: make, outs: [out/a]}"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"empty":     nil,
		"truncated": data[:len(data)/2],
		"garbage":   []byte("not a pipeline"),
	} {
		if _, err := Decode(bad); err == nil {
			t.Errorf("%s: Decode succeeded", name)
		}
	}
}

// A cache written by one git dds is read by the next: EncodingVersion must
// change with Stage. Update the shape below and bump EncodingVersion
// together.
func TestEncodingVersionPinsStage(t *testing.T) {
	const want = "Name string; Cmd string; Wdir string; Deps []string; Params []pipeline.ParamFile; Env []string; Outs []string; Metrics []string; Plots []string; PlotAxes []pipeline.PlotAxes; External []pipeline.External; ExtDeps []string; Line int; Col int; " +
		"ParamFile{File string; Keys []string}; PlotAxes{File string; X string; Y []string}; version 5"
	var fields []string
	for _, typ := range []reflect.Type{reflect.TypeFor[Stage](), reflect.TypeFor[ParamFile](), reflect.TypeFor[PlotAxes]()} {
		var parts []string
		for i := range typ.NumField() {
			f := typ.Field(i)
			parts = append(parts, f.Name+" "+f.Type.String())
		}
		if typ.Name() == "Stage" {
			fields = append(fields, parts...)
		} else {
			fields = append(fields, typ.Name()+"{"+strings.Join(parts, "; ")+"}")
		}
	}
	got := strings.Join(fields, "; ") + fmt.Sprintf("; version %d", EncodingVersion)
	if got != want {
		t.Errorf("Stage or ParamFile changed shape, or EncodingVersion changed alone:\n got  %s\n want %s", got, want)
	}
}

// FuzzDecode feeds damaged cache files to Decode: an error or a pipeline,
// never a panic.
func FuzzDecode(f *testing.F) {
	p, err := Parse(FileName, doc("stages:",
		"  clean: {cmd: make, deps: [data/raw.csv], params: {params.yaml: [clean.k]}, outs: [out/clean.csv]}",
		"  train: {cmd: make, deps: [out/clean.csv], env: [SEED], outs: [out/model]}"))
	if err != nil {
		f.Fatal(err)
	}
	data, err := p.Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if p, err := Decode(data); err == nil && p == nil {
			t.Fatal("no pipeline and no error")
		}
	})
}
