package pipeline

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// sameStages checks that a templated file and the file written out read
// as the same stages, in the same order, positions apart. The written-out
// file spells "@" as "_AT_", which a stage of its own may not hold.
func sameStages(t *testing.T, templated, written []byte) *Pipeline {
	t.Helper()
	got, err := Parse(FileName, templated)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Parse(FileName, written)
	if err != nil {
		t.Fatal(err)
	}
	strip := func(p *Pipeline) []Stage {
		stages := derefAll(p.Stages)
		for i := range stages {
			stages[i].Line, stages[i].Col = 0, 0
			stages[i].Name = strings.ReplaceAll(stages[i].Name, "@", "_AT_")
		}
		return stages
	}
	if g, w := strip(got), strip(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("templated file reads as\n%+v\nwritten out as\n%+v", g, w)
	}
	return got
}

func TestTemplatesReadAsWrittenOut(t *testing.T) {
	tests := []struct {
		name              string
		templated, wanted []byte
	}{
		{"foreach over a list",
			doc("stages:",
				"  prep:",
				"    foreach: [us, eu]",
				"    do:",
				"      cmd: prep ${item} > out/${item}.csv",
				"      deps: ['data/${item}.csv']",
				"      outs: ['out/${item}.csv']"),
			doc("stages:",
				"  prep_AT_us: {cmd: prep us > out/us.csv, deps: [data/us.csv], outs: [out/us.csv]}",
				"  prep_AT_eu: {cmd: prep eu > out/eu.csv, deps: [data/eu.csv], outs: [out/eu.csv]}")},
		{"foreach over a mapping, fields and key",
			doc("stages:",
				"  train:",
				"    foreach:",
				"      small: {lr: 0.1, deps: [a, b]}",
				"      large: {lr: 0.01, deps: [c]}",
				"    do:",
				"      cmd: train --lr ${item.lr} --name ${key}",
				"      deps: ${item.deps}",
				"      outs: ['models/${key}']"),
			doc("stages:",
				"  train_AT_small: {cmd: train --lr 0.1 --name small, deps: [a, b], outs: [models/small]}",
				"  train_AT_large: {cmd: train --lr 0.01 --name large, deps: [c], outs: [models/large]}")},
		{"foreach over a list of mappings is named by position",
			doc("stages:",
				"  s:",
				"    foreach: [{f: x}, {f: y}]",
				"    do: {cmd: 'make ${item.f}', outs: ['o/${item.f}']}"),
			doc("stages:",
				"  s_AT_0: {cmd: make x, outs: [o/x]}",
				"  s_AT_1: {cmd: make y, outs: [o/y]}")},
		{"matrix is the cartesian product, last axis fastest",
			doc("stages:",
				"  fit:",
				"    matrix:",
				"      model: [cnn, mlp]",
				"      seed: [1, 2, 3]",
				"    cmd: fit ${item.model} ${item.seed}",
				"    params: {params.yaml: ['fit.${item.model}']}",
				"    outs: ['out/${item.model}-${item.seed}']"),
			doc("stages:",
				"  fit_AT_cnn-1: {cmd: fit cnn 1, params: {params.yaml: [fit.cnn]}, outs: [out/cnn-1]}",
				"  fit_AT_cnn-2: {cmd: fit cnn 2, params: {params.yaml: [fit.cnn]}, outs: [out/cnn-2]}",
				"  fit_AT_cnn-3: {cmd: fit cnn 3, params: {params.yaml: [fit.cnn]}, outs: [out/cnn-3]}",
				"  fit_AT_mlp-1: {cmd: fit mlp 1, params: {params.yaml: [fit.mlp]}, outs: [out/mlp-1]}",
				"  fit_AT_mlp-2: {cmd: fit mlp 2, params: {params.yaml: [fit.mlp]}, outs: [out/mlp-2]}",
				"  fit_AT_mlp-3: {cmd: fit mlp 3, params: {params.yaml: [fit.mlp]}, outs: [out/mlp-3]}")},
		{"matrix of mappings is named by axis and position",
			doc("stages:",
				"  m:",
				"    matrix: {cfg: [{a: 1}, {a: 2}], n: [x]}",
				"    cmd: run ${item.cfg.a} ${item.n}",
				"    outs: ['o${item.cfg.a}']"),
			doc("stages:",
				"  m_AT_cfg0-x: {cmd: run 1 x, outs: [o1]}",
				"  m_AT_cfg1-x: {cmd: run 2 x, outs: [o2]}")},
		{"vars feed foreach, templates and plain stages",
			doc("vars:",
				"  - regions: [us, eu]",
				"  - tool: {bin: ./prep, opts: -v}",
				"stages:",
				"  prep:",
				"    foreach: ${regions}",
				"    do: {cmd: '${tool.bin} ${tool.opts} ${item} \\${HOME}', outs: ['${item}']}",
				"  all:",
				"    cmd: cat ${regions.0} ${regions.1}",
				"    deps: ${regions}",
				"    outs: [all]"),
			doc("stages:",
				"  prep_AT_us: {cmd: './prep -v us ${HOME}', outs: [us]}",
				"  prep_AT_eu: {cmd: './prep -v eu ${HOME}', outs: [eu]}",
				"  all: {cmd: cat us eu, deps: [us, eu], outs: [all]}")},
		{"without templates or vars ${...} is the shell's",
			doc("stages:", "  a: {cmd: 'echo ${HOME} \\${x} > o', outs: [o]}"),
			doc("stages:", "  a: {cmd: 'echo ${HOME} \\${x} > o', outs: [o]}")},
		{"instances link to each other and to plain stages",
			doc("stages:",
				"  part:",
				"    foreach: [a, b]",
				"    do: {cmd: 'make ${item}', outs: ['p/${item}']}",
				"  join: {cmd: make, deps: [p/a, p/b], outs: [j]}"),
			doc("stages:",
				"  part_AT_a: {cmd: make a, outs: [p/a]}",
				"  part_AT_b: {cmd: make b, outs: [p/b]}",
				"  join: {cmd: make, deps: [p/a, p/b], outs: [j]}")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := sameStages(t, tt.templated, tt.wanted)
			checkRoundTrip(t, p)
		})
	}
}

// TestTemplateInstancesPointAtTheTemplate checks that an instance's
// stage and its errors are placed where its template is written.
func TestTemplateInstancesPointAtTheTemplate(t *testing.T) {
	p, err := Parse(FileName, doc("stages:", "  s:", "    foreach: [a, b]", "    do: {cmd: x, outs: ['${item}']}"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Stages {
		if s.Line != 2 || s.Col != 3 {
			t.Errorf("stage %s is at %d:%d, want the template's 2:3", s.Name, s.Line, s.Col)
		}
	}
}

func TestTemplateRejects(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		at   string
		want string
	}{
		{"error names the instance", doc("stages:", "  s:", "    foreach: {a: a, b: ../b}", "    do: {cmd: x, outs: ['${item}']}"),
			"4:25", `out "../b" of stage "s@b"`},
		{"instance key not a name", doc("stages:", "  s:", "    foreach: [a b]", "    do: {cmd: x, outs: [o]}"),
			"3:15", `instance "s@a b" of stage "s" may only hold`},
		{"instance made twice", doc("stages:", "  s:", "    foreach: [a, a]", "    do: {cmd: x, outs: ['${item}']}"),
			"3:18", `stage "s@a" is made twice`},
		{"unknown reference", doc("stages:", "  s:", "    foreach: [a]", "    do: {cmd: 'x ${HOME}', outs: [o]}"),
			"4:15", `${HOME} in stage "s@a" names nothing`},
		{"missing field", doc("stages:", "  s:", "    foreach: [{f: 1}]", "    do: {cmd: 'x ${item.g}', outs: [o]}"),
			"4:15", `${item.g} in stage "s@0" names nothing: item has no "g"`},
		{"list inside a string", doc("stages:", "  s:", "    foreach: [[1, 2]]", "    do: {cmd: 'x ${item}', outs: [o]}"),
			"4:15", `${item} in stage "s@0" is a list, which cannot be part of a string`},
		{"item outside a template", doc("vars: {v: 1}", "stages:", "  s: {cmd: 'x ${item}', outs: [o]}"),
			"3:12", `${item} in stage "s" names nothing`},
		{"foreach without do", doc("stages:", "  s:", "    foreach: [a]"), "2:3", `foreach stage "s" has no do`},
		{"foreach beside stage keys", doc("stages:", "  s:", "    foreach: [a]", "    cmd: x", "    do: {cmd: x, outs: [o]}"),
			"4:5", `unknown key "cmd" in foreach stage "s"`},
		{"foreach of a string", doc("stages:", "  s:", "    foreach: abc", "    do: {cmd: x, outs: [o]}"),
			"3:14", `foreach of stage "s" must be a list or a mapping, not a string`},
		{"empty foreach", doc("stages:", "  s:", "    foreach: []", "    do: {cmd: x, outs: [o]}"), "3:14", `foreach of stage "s" is empty`},
		{"matrix not a mapping", doc("stages:", "  s:", "    matrix: [a]", "    cmd: x", "    outs: [o]"),
			"3:13", `matrix of stage "s" must be a mapping of names to lists`},
		{"matrix axis not a list", doc("stages:", "  s:", "    matrix: {a: 1}", "    cmd: x", "    outs: [o]"),
			"3:17", `matrix a of stage "s" must be a list`},
		{"too many instances", tooManyInstances(), "3:13", "the templates make more than 100000 stages"},
		{"interpolation too long", interpolationBomb(), "", "interpolation writes more than 67108864 bytes"},
		{"@ in a plain stage name", doc("stages:", "  a@b: {cmd: x, outs: [o]}"), "2:3", `stage name "a@b" holds "@"`},
		{"@ in a template name", doc("stages:", "  a@b:", "    foreach: [x]", "    do: {cmd: x, outs: [o]}"), "2:3", `stage name "a@b" holds "@"`},
		{"var reserved", doc("vars: {item: 1}", "stages:", "  s: {cmd: x, outs: [o]}"), "1:8", `var "item" is reserved`},
		{"var declared twice", doc("vars: [{a: 1}, {a: 2}]", "stages:", "  s: {cmd: x, outs: [o]}"), "1:17", `var "a" is declared twice`},
		{"not a reference", doc("vars: {a: 1}", "stages:", "  s: {cmd: 'x ${a b}', outs: [o]}"), "3:12", `${a b} in stage "s" is not a name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(FileName, tt.data)
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("got %v, want an *Error", err)
			}
			at := ""
			if perr.Line > 0 {
				at = fmt.Sprintf("%d:%d", perr.Line, perr.Col)
			}
			if !strings.Contains(perr.Msg, tt.want) || (tt.at != "" && at != tt.at) {
				t.Fatalf("got  %v (at %q)\nwant %q at %q", err, at, tt.want, tt.at)
			}
			if perr.Fix == "" {
				t.Errorf("%s: the error says no fix", err)
			}
		})
	}
}

// tooManyInstances is a small file whose matrix makes 10^6 stages.
func tooManyInstances() []byte {
	ten := "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"
	return doc("stages:", "  s:",
		fmt.Sprintf("    matrix: {a: %[1]s, b: %[1]s, c: %[1]s, d: %[1]s, e: %[1]s, f: %[1]s}", ten),
		"    cmd: x", "    outs: ['${item.a}${item.b}${item.c}${item.d}${item.e}${item.f}']")
}

// interpolationBomb repeats a 1 MiB var in every instance's command.
func interpolationBomb() []byte {
	return doc("vars: {v: "+strings.Repeat("x", 1<<20)+"}", "stages:", "  s:",
		"    matrix: {a: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], b: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}",
		"    cmd: ${v}${v}", "    outs: ['${item.a}${item.b}']")
}

func TestTemplateBoundsAliases(t *testing.T) {
	for name, data := range map[string][]byte{
		"alias inside its anchor": doc("stages:", "  s:", "    foreach: [a]", "    do: &b {cmd: x, outs: [o], deps: [*b]}"),
		"exponential aliases": doc("vars:", "  a0: &a0 [x, x]", "  a1: &a1 [*a0, *a0, *a0, *a0]", "  a2: &a2 [*a1, *a1, *a1, *a1]",
			"  a3: &a3 [*a2, *a2, *a2, *a2]", "  a4: &a4 [*a3, *a3, *a3, *a3]", "  a5: &a5 [*a4, *a4, *a4, *a4]",
			"  a6: &a6 [*a5, *a5, *a5, *a5]", "  a7: &a7 [*a6, *a6, *a6, *a6]", "  a8: &a8 [*a7, *a7, *a7, *a7]",
			"  a9: &a9 [*a8, *a8, *a8, *a8]", "  a10: &a10 [*a9, *a9, *a9, *a9]", "  a11: &a11 [*a10, *a10, *a10, *a10]",
			"  a12: &a12 [*a11, *a11, *a11, *a11]",
			"stages:", "  s:", "    foreach: [a, b, c]", "    do: {cmd: x, outs: ['${item}'], deps: [*a12]}"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(FileName, data)
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("got %v, want an *Error", err)
			}
			t.Log(err)
		})
	}
}
