package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// doc joins lines into a dds.yaml, so that a test's line numbers can be read
// off its index in the list.
func doc(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

func TestParseReadsStages(t *testing.T) {
	p, err := Parse(FileName, doc(
		"stages:",
		"  clean:",
		"    cmd: python src/clean.py data/raw.csv out/clean.csv",
		"    deps: [./src/clean.py, src/lib/, data//raw.csv]",
		"    params: {params.yaml: [clean.zeta, clean.impute], conf/b.json: [x]}",
		"    env: [SEED, LANG]",
		"    outs: [out/clean.csv]",
		"  train:",
		"    cmd: python src/train.py",
		"    wdir: ./",
		"    deps:",
		"      - src/train.py",
		"      - out/clean.csv",
		"    outs:",
		"      - out/model/",
	))
	if err != nil {
		t.Fatal(err)
	}
	want := []*Stage{
		{
			Name:   "clean",
			Cmd:    "python src/clean.py data/raw.csv out/clean.csv",
			Deps:   []string{"src/clean.py", "src/lib", "data/raw.csv"},
			Params: []ParamFile{{File: "conf/b.json", Keys: []string{"x"}}, {File: "params.yaml", Keys: []string{"clean.impute", "clean.zeta"}}},
			Env:    []string{"LANG", "SEED"},
			Outs:   []string{"out/clean.csv"},
			Line:   2, Col: 3,
		},
		{
			Name: "train",
			Cmd:  "python src/train.py",
			Deps: []string{"src/train.py", "out/clean.csv"},
			Outs: []string{"out/model"},
			Line: 8, Col: 3,
		},
	}
	if !reflect.DeepEqual(p.Stages, want) {
		t.Errorf("stages:\n got %+v\nwant %+v", derefAll(p.Stages), derefAll(want))
	}
	if got := p.positions["train"].deps[1]; got != (position{13, 9}) {
		t.Errorf("position of train's second dep = %v, want 13:9", got)
	}
}

func TestParseReadsTheLake(t *testing.T) {
	p, err := Parse(FileName, doc(
		"lake: s3://acme-lake/dds/",
		"stages:",
		"  features:",
		"    cmd: make features",
		"    deps: [jobs/f.py, ext:events]",
		"    external: {features: {format: delta}}",
		"    outs: [out/summary.json]",
		"  clean:",
		"    cmd: make clean",
		"    external: {events: {format: parquet}, logs: }",
	))
	if err != nil {
		t.Fatal(err)
	}
	if p.Lake != "s3://acme-lake/dds" {
		t.Errorf("Lake = %q, want s3://acme-lake/dds", p.Lake)
	}
	if p.Publish != "" {
		t.Errorf("Publish = %q, with no publish: key", p.Publish)
	}
	if withPublish, err := Parse(FileName, doc("publish: sh jobs/register.sh", "stages: {s: {cmd: make, outs: [o]}}")); err != nil || withPublish.Publish != "sh jobs/register.sh" {
		t.Errorf("publish: read as %+v, %v", withPublish, err)
	}
	want := []*Stage{
		{Name: "clean", Cmd: "make clean", Line: 8, Col: 3,
			External: []External{{Name: "events", Format: FormatParquet}, {Name: "logs", Format: FormatFiles}}},
		{Name: "features", Cmd: "make features", Line: 3, Col: 3,
			Deps: []string{"jobs/f.py"}, ExtDeps: []string{"events"},
			External: []External{{Name: "features", Format: FormatDelta}}, Outs: []string{"out/summary.json"}},
	}
	if !reflect.DeepEqual(p.Stages, want) {
		t.Errorf("stages:\n got %+v\nwant %+v", derefAll(p.Stages), derefAll(want))
	}
	if got, _ := p.ProducerName("ext:events"); got != "clean" {
		t.Errorf("ProducerName(ext:events) = %q, want clean", got)
	}
	if _, ok := p.ProducerName("ext:nothing"); ok {
		t.Error("ProducerName(ext:nothing) found a stage")
	}
	if up := p.Upstream(p.Stage("features")); len(up) != 1 || up[0].Name != "clean" {
		t.Errorf("features reads from %v, want clean", up)
	}
	data, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if back.Lake != p.Lake || !reflect.DeepEqual(back.Stages, p.Stages) {
		t.Errorf("decoded %q %+v, want %q %+v", back.Lake, derefAll(back.Stages), p.Lake, derefAll(p.Stages))
	}
}

func TestParseMetricsAndPlotsAreOutputs(t *testing.T) {
	p, err := Parse(FileName, doc(
		"stages:",
		"  train:",
		"    cmd: python train.py",
		"    metrics: [out/metrics.json, ./out/scores.csv]",
		"    outs: [out/model]",
		"    plots: [out/roc.csv]",
		"  report:",
		"    cmd: make report",
		"    deps: [out/metrics.json]",
		"    metrics: [report/summary.yaml]",
	))
	if err != nil {
		t.Fatal(err)
	}
	train := p.Stage("train")
	if want := []string{"out/model", "out/metrics.json", "out/scores.csv", "out/roc.csv"}; !reflect.DeepEqual(train.Outs, want) {
		t.Errorf("outs of train = %v, want %v", train.Outs, want)
	}
	if want := []string{"out/metrics.json", "out/scores.csv"}; !reflect.DeepEqual(train.Metrics, want) {
		t.Errorf("metrics of train = %v, want %v", train.Metrics, want)
	}
	if want := []string{"out/roc.csv"}; !reflect.DeepEqual(train.Plots, want) {
		t.Errorf("plots of train = %v, want %v", train.Plots, want)
	}
	if got := p.positions["train"].outs[1]; got != (position{4, 15}) {
		t.Errorf("position of out/metrics.json = %v, want 4:15", got)
	}
	// A stage whose only outputs are metrics needs no outs, and a metrics
	// file links stages as any output does.
	if up := p.Upstream(p.Stage("report")); len(up) != 1 || up[0] != train {
		t.Errorf("report reads from %v, want train", up)
	}
	checkRoundTrip(t, p)
}

func derefAll(stages []*Stage) []Stage {
	out := make([]Stage, len(stages))
	for i, s := range stages {
		out[i] = *s
	}
	return out
}

func TestParseAcceptsAnchorsAndComments(t *testing.T) {
	p, err := Parse(FileName, doc(
		"\ufeff# the pipeline",
		"stages:",
		"  a:",
		"    cmd: make a",
		"    deps: &shared [src/common.py]",
		"    outs: [out/a]",
		"  b:",
		"    cmd: make b",
		"    deps: *shared",
		"    outs: [out/b]",
	))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Stage("b").Deps; !reflect.DeepEqual(got, []string{"src/common.py"}) {
		t.Errorf("b's deps = %q, want the aliased list", got)
	}
}

// stage wraps the body lines of one stage "s" (indented by the caller) into a
// document: the body starts on line 3.
func stage(body ...string) []byte {
	return doc(append([]string{"stages:", "  s:"}, body...)...)
}

func TestParseRejects(t *testing.T) {
	cmdOuts := []string{"    cmd: make", "    outs: [out/s]"}
	withCmdOuts := func(lines ...string) []byte { return stage(append(cmdOuts, lines...)...) }

	tests := []struct {
		name   string
		data   []byte
		at     string // LINE:COL, or LINE when yaml.v3 gives no column, or "" for none
		phrase string
	}{
		// The file as a whole.
		{"too large", bytes.Repeat([]byte("#"), maxFileSize+1), "", "16777217 bytes, over the limit of 16777216 bytes (16 MiB)"},
		{"not UTF-8", []byte("stages:\n  s\xff: {}\n"), "2:4", "not valid UTF-8"},
		{"YAML error on the first line", []byte("stages: a: b\n"), "1", "not valid YAML: mapping values are not allowed"},
		{"YAML error further down", stage("    cmd: make", "  outs: [a]", "   deps: [b]"), "2", "not valid YAML"},
		{"unterminated quote", stage("    cmd: 'make"), "3", "not valid YAML"},
		{"unknown anchor", stage("    cmd: make", "    outs: *nope"), "4:11", "unknown anchor 'nope'"},
		{"two documents", doc("stages: {}", "---", "stages: {}"), "2:1", "more than one YAML document"},
		{"empty file", nil, "1:1", "no stages declared"},
		{"only comments", doc("# nothing yet"), "1:1", "no stages declared"},
		{"too many entries through aliases", aliasBomb(), "4193:37", "more than 8388608 entries through YAML aliases"},

		// The top level.
		{"top level is a list", doc("- a"), "1:1", `top level must be a mapping with the key "stages", not a list`},
		{"top level is a string", doc("hello"), "1:1", "not a string"},
		{"misspelt stages", doc("stage:", "  s: {cmd: make, outs: [o]}"), "1:1", `unknown top-level key "stage"; did you mean "stages"?`},
		{"foreign top-level key", doc("artifacts: [a]"), "1:1", `the top-level keys are "stages", "vars", "lake" and "publish"`},
		{"vars naming a file", doc("vars: [params.yaml]", "stages:", "  a: {cmd: make, outs: [o]}"), "1:8", `vars entry "params.yaml" names a file`},
		{"stages twice", doc("stages:", "  s: {cmd: make, outs: [o]}", "stages:", "  t: {cmd: make, outs: [p]}"), "3:1", `top-level key "stages" appears twice (lines 1 and 3)`},
		{"no stages key", doc("{}"), "1:1", "no stages declared"},
		{"stages empty", doc("stages:"), "1:1", "no stages declared"},
		{"stages an empty mapping", doc("stages: {}"), "1:1", "no stages declared"},
		{"stages a list", doc("stages:", "  - cmd: make"), "2:3", `"stages" must map stage names to stages, not a list`},
		{"merge key", doc("stages:", "  <<: {s: {cmd: make, outs: [o]}}"), "2:3", "merge keys (<<) are not supported"},
		{"key not a string", doc("stages:", "  [a, b]: {cmd: make, outs: [o]}"), "2:3", "a key must be a plain name, not a list"},

		// Stage names and bodies.
		{"stage twice", doc("stages:", "  s: {cmd: make, outs: [a]}", "  s: {cmd: make, outs: [b]}"), "3:3", `stage "s" is declared twice (lines 2 and 3)`},
		{"stage name with a space", doc("stages:", "  my stage: {cmd: make, outs: [a]}"), "2:3", `stage name "my stage" may only hold letters, digits, "_", "." and "-"; rename it, e.g. "my_stage"`},
		{"stage name ..", doc("stages:", "  ..: {cmd: make, outs: [a]}"), "2:3", `stage name ".." is reserved`},
		{"stage empty", stage(), "2:3", `stage "s" is empty`},
		{"stage a string", doc("stages:", "  s: make"), "2:6", `stage "s" must be a mapping of cmd, deps, outs and so on, not a string`},
		{"misspelt key", withCmdOuts("    comand: x"), "5:5", `unknown key "comand" in stage "s"; did you mean "cmd"?`},
		{"metrics not a list", withCmdOuts("    metrics: m.json"), "5:14", `metrics of stage "s" must be a list of paths, not a string`},
		{"metrics file of no known format", withCmdOuts("    metrics: [out/m.txt]"), "5:15", `metrics file out/m.txt of stage "s" is not .json, .yaml, .yml, .csv or .tsv`},
		{"plots file of no known format", withCmdOuts("    plots: [out/p.png]"), "5:13", `plots file out/p.png of stage "s" is not .json`},
		{"metrics file also an out", withCmdOuts("    metrics: [out/s]"), "5:15", `out/s is declared twice in stage "s" (lines 4 and 5)`},
		{"metrics file also a plots file", withCmdOuts("    metrics: [m.csv]", "    plots: [m.csv]"), "6:13", `m.csv is declared twice in stage "s" (lines 5 and 6)`},
		{"metrics file with options", withCmdOuts("    metrics: [{m.json: {cache: false}}]"), "5:15", `each metrics file of stage "s" must be a path, not a mapping`},
		{"metrics file that is the pipeline file", withCmdOuts("    metrics: [DDS.yaml]"), "5:15", `metrics file "DDS.yaml" of stage "s" is the pipeline file`},
		{"key from another tool", withCmdOuts("    outputs: [x]"), "5:5", `did you mean "outs"?`},
		{"unknown key", withCmdOuts("    frobnicate: x"), "5:5", "remove it; a stage has cmd, wdir, deps, params, env, outs"},
		{"key twice", withCmdOuts("    cmd: again"), "5:5", `key "cmd" appears twice in stage "s" (lines 3 and 5)`},

		// cmd and outs.
		{"no cmd", stage("    outs: [o]"), "2:3", `stage "s" has no cmd`},
		{"cmd a list", stage("    cmd: [make, make install]", "    outs: [o]"), "3:10", `cmd of stage "s" must be a string, not a list; join the commands with " && "`},
		{"cmd a mapping", stage("    cmd: {a: b}", "    outs: [o]"), "3:10", "must be a string, not a mapping"},
		{"cmd null", stage("    cmd:", "    outs: [o]"), "3:9", `cmd of stage "s" is empty`},
		{"cmd blank", stage("    cmd: '  '", "    outs: [o]"), "3:10", `cmd of stage "s" is empty`},
		{"no outs", stage("    cmd: make"), "2:3", `stage "s" has no outs`},
		{"outs empty", stage("    cmd: make", "    outs: []"), "4:5", `outs of stage "s" is empty`},

		// Lists of paths.
		{"deps a string", withCmdOuts("    deps: src/a.py"), "5:11", `deps of stage "s" must be a list of paths, not a string; write it as a list: deps: [src/a.py]`},
		{"deps a mapping", withCmdOuts("    deps: {a: b}"), "5:11", "must be a list of paths, not a mapping"},
		{"dep with options", withCmdOuts("    deps:", "      - data/x: {cache: false}"), "6:9", `each dep of stage "s" must be a path, not a mapping; write the path alone (- data/x)`},
		{"dep a list", withCmdOuts("    deps: [[a]]"), "5:12", "each dep of stage \"s\" must be a path, not a list"},
		{"dep null", withCmdOuts("    deps:", "      -", "      - a"), "6:8", `empty item in deps of stage "s"`},
		{"dep listed twice", withCmdOuts("    deps: [src/a, ./src/a/]"), "5:19", `dep src/a is listed twice in stage "s" (both on line 5)`},
		{"out listed twice", stage("    cmd: make", "    outs:", "      - o", "      - o"), "6:9", `out o is listed twice in stage "s" (lines 5 and 6)`},
		{"dep absolute", withCmdOuts("    deps: [/etc/passwd]"), "5:12", `dep "/etc/passwd" of stage "s" is absolute`},
		{"out with a drive letter", stage("    cmd: make", "    outs: ['C:/out']"), "4:12", "is absolute"},
		{"out going up", stage("    cmd: make", "    outs: [../elsewhere]"), "4:12", `out "../elsewhere" of stage "s" contains ".."`},
		{"dep with .. inside", withCmdOuts("    deps: [a/../b]"), "5:12", `contains ".."`},
		{"out empty", stage("    cmd: make", "    outs: ['']"), "4:12", `out "" of stage "s" is empty`},
		{"out into .git", stage("    cmd: make", "    outs: [.git/hooks/x]"), "4:12", "points into .git"},
		{"dep into a nested .GIT", withCmdOuts("    deps: [sub/.GIT/config]"), "5:12", "points into .git"},
		{"out into a nested .git", stage("    cmd: make", "    outs: [vendor/lib/.git]"), "4:12", "points into .git"},
		// What macOS (HFS+) and Windows (NTFS) open as .git, as git itself refuses.
		{"out into .git with a zero-width joiner", stage("    cmd: make", "    outs: [\".g\\u200Dit/hooks/x\"]"), "4:12", "points into .git"},
		{"out into .git with a byte-order mark", stage("    cmd: make", "    outs: [\"\\uFEFF.git/config\"]"), "4:12", "points into .git"},
		{"out into .git with a trailing dot", stage("    cmd: make", "    outs: [\".git./hooks/x\"]"), "4:12", "points into .git"},
		{"out into .git with a trailing space", stage("    cmd: make", "    outs: [\".git /hooks/x\"]"), "4:12", "points into .git"},
		{"out into .git by its short name", stage("    cmd: make", "    outs: [GIT~1/hooks/x]"), "4:12", "points into .git"},
		{"out .gitignore with an ignorable", stage("    cmd: make", "    outs: [\"sub/.gitignore\\u200C\"]"), "4:12", "is one of git's own files"},
		{"out .gitattributes with a trailing dot", stage("    cmd: make", "    outs: [\".gitattributes.\"]"), "4:12", "is one of git's own files"},
		{"out dds.yaml with a trailing space", stage("    cmd: make", "    outs: [\"dds.yaml \"]"), "4:12", "is the pipeline file"},
		{"out the pipeline file", stage("    cmd: make", "    outs: [out/a, dds.yaml]"), "4:19", `out "dds.yaml" of stage "s" is the pipeline file`},
		{"out the pipeline file, cased", stage("    cmd: make", "    outs: [./DDS.yaml]"), "4:12", "is the pipeline file"},
		{"out .gitignore", stage("    cmd: make", "    outs: [.gitignore]"), "4:12", `out ".gitignore" of stage "s" is one of git's own files`},
		{"out a nested .gitignore", stage("    cmd: make", "    outs: [data/.gitignore]"), "4:12", "is one of git's own files"},
		{"out .gitattributes", stage("    cmd: make", "    outs: [.gitattributes]"), "4:12", "is one of git's own files"},
		{"out .gitmodules, cased", stage("    cmd: make", "    outs: [.GitModules]"), "4:12", "is one of git's own files"},
		{"out the root", stage("    cmd: make", "    outs: [./]"), "4:12", `out "./" of stage "s" is the repository root`},
		{"dep the root", withCmdOuts("    deps: [.]"), "5:12", "is the repository root"},
		{"backslash", withCmdOuts(`    deps: ['src\a.py']`), "5:12", `uses "\" as a separator; write "/" instead: src/a.py`},
		{"control character", withCmdOuts(`    deps: ["a\tb"]`), "5:12", "holds a control character"},
		{"cmd with a NUL", stage(`    cmd: "make\0 all"`, "    outs: [o]"), "3:10", `cmd of stage "s" holds a NUL byte (at byte 5)`},
		{"cmd with an escaped NUL", stage(`    cmd: "make \x00"`, "    outs: [o]"), "3:10", "holds a NUL byte"},
		{"path too long", withCmdOuts("    deps: [" + strings.Repeat("a", 5000) + "]"), "5:12", `dep "` + strings.Repeat("a", 80) + `..." of stage "s" is longer than 4096 bytes`},

		// wdir.
		{"wdir a list", withCmdOuts("    wdir: [a]"), "5:11", `wdir of stage "s" must be a path, not a list`},
		{"wdir absolute", withCmdOuts("    wdir: /tmp"), "5:11", `wdir "/tmp" of stage "s" is absolute`},
		{"wdir going up", withCmdOuts("    wdir: .."), "5:11", `contains ".."`},
		{"wdir in .git", withCmdOuts("    wdir: .git"), "5:11", "points into .git"},

		// params.
		{"params a list", withCmdOuts("    params: [train.lr]"), "5:13", `params of stage "s" must map each params file to its keys, not a list`},
		{"params keys a string", withCmdOuts("    params: {params.yaml: train.lr}"), "5:27", `params.yaml of stage "s" must be a list of keys, not a string; write it as a list: params.yaml: [train.lr]`},
		{"params no keys", withCmdOuts("    params: {params.yaml: []}"), "5:14", `params file params.yaml of stage "s" lists no keys`},
		{"params not YAML", withCmdOuts("    params: {params.toml: [a]}"), "5:14", "is not .yaml, .yml or .json"},
		{"params file absolute", withCmdOuts("    params: {/p.yaml: [a]}"), "5:14", `params file "/p.yaml" of stage "s" is absolute`},
		{"params file twice", withCmdOuts("    params:", "      p.yaml: [a]", "      ./p.yaml: [b]"), "7:7", "params file p.yaml appears twice in stage \"s\" (lines 6 and 7)"},
		{"params key with an empty part", withCmdOuts("    params: {p.yaml: [train..lr]}"), "5:23", `params key "train..lr" of stage "s" has an empty part`},
		{"params key twice", withCmdOuts("    params: {p.yaml: [a, b, a]}"), "5:29", "params key a of p.yaml is listed twice"},
		{"params key a mapping", withCmdOuts("    params: {p.yaml: [{a: b}]}"), "5:23", "each params key of stage \"s\" must be a dotted key, not a mapping"},

		// env.
		{"env a string", withCmdOuts("    env: SEED"), "5:10", `env of stage "s" must be a list of variable names, not a string; write it as a list: env: [SEED]`},
		{"env starting with a digit", withCmdOuts("    env: [1X]"), "5:11", `env "1X" of stage "s" is not a variable name`},
		{"env with a dash", withCmdOuts("    env: [MY-VAR]"), "5:11", "is not a variable name"},
		{"env twice", withCmdOuts("    env: [A, A]"), "5:14", `env A is listed twice in stage "s"`},

		// Across stages.
		{"two owners", doc(
			"stages:",
			"  clean: {cmd: make, outs: [out/x]}",
			"  train:",
			"    cmd: make",
			"    outs: [out/y, out/x]",
		), "5:19", "out/x is an output of both clean (line 2) and train (line 5)"},
		{"nested outputs across stages", doc(
			"stages:",
			"  a: {cmd: make, outs: [out/f/g]}",
			"  b: {cmd: make, outs: [out/f]}",
		), "2:25", `output out/f/g of stage "a" (line 2) lies inside output out/f of stage "b" (line 3)`},
		{"nested outputs in one stage", stage("    cmd: make", "    outs: [out, out/x/y]"), "4:17", `output out/x/y of stage "s" (line 4) lies inside output out of stage "s" (line 4)`},
		{"dep folder holding outputs", doc(
			"stages:",
			"  a: {cmd: make, outs: [out/a]}",
			"  b: {cmd: make, outs: [out/b]}",
			"  c: {cmd: make, deps: [src, out], outs: [report]}",
		), "4:30", `dep out of stage "c" is a folder holding outputs of other stages: out/a (a), out/b (b); list those outputs under deps instead of the folder`},
		{"dep folder holding its own output", doc(
			"stages:",
			"  gen: {cmd: make, deps: [src], outs: [src/gen.py]}",
		), "2:27", `dep src of stage "gen" holds its own output src/gen.py`},
		{"params file that is an output", doc(
			"stages:",
			"  a: {cmd: make, outs: [gen/p.yaml]}",
			"  b: {cmd: make, params: {gen/p.yaml: [x]}, outs: [o]}",
		), "3:27", `params file gen/p.yaml of stage "b" is an output of stage "a"`},
		{"params file inside an output folder", doc(
			"stages:",
			"  b: {cmd: make, params: {gen/conf/p.yaml: [x]}, outs: [o]}",
			"  a: {cmd: make, outs: [gen]}",
		), "2:27", `params file gen/conf/p.yaml of stage "b" is an output of stage "a"`},
		{"params file of the same stage inside its output", stage("    cmd: make", "    params: {out/p.json: [x]}", "    outs: [out]"), "4:14", "is an output of stage"},
		{"cycle of three", doc(
			"stages:",
			"  c: {cmd: make, deps: [out/b], outs: [out/c]}",
			"  b: {cmd: make, deps: [out/a], outs: [out/b]}",
			"  a: {cmd: make, deps: [src, out/c/part], outs: [out/a]}",
		), "4:30", "stages form a cycle: a -> b -> c -> a; remove one of the deps that close it: out/a of b (line 3), out/b of c (line 2), out/c/part of a (line 4)"},
		{"stage reading its own output", doc(
			"stages:",
			"  ok: {cmd: make, outs: [x]}",
			"  self: {cmd: make, deps: [x, out/y], outs: [out]}",
		), "3:31", "stages form a cycle: self -> self"},

		// The lake and external outputs.
		{"publish a list", doc("publish: [a, b]", "stages: {s: {cmd: make, outs: [o]}}"), "1:10", "publish must be a string, not a list"},
		{"publish empty", doc("publish: ' '", "stages: {s: {cmd: make, outs: [o]}}"), "1:10", "publish is empty"},
		{"publish with a NUL", doc(`publish: "a\0b"`, "stages: {s: {cmd: make, outs: [o]}}"), "1:10", "publish holds a NUL byte (at byte 2)"},
		{"lake a list", doc("lake: [a]", "stages: {s: {cmd: make, outs: [o]}}"), "1:7", "lake must be a URL, not a list"},
		{"lake with a credential", doc("lake: s3://key:secret@b/p", "stages: {s: {cmd: make, outs: [o]}}"), "1:7", "where a credential could hide"},
		{"lake with a query", doc("lake: s3://b/p?token=x", "stages: {s: {cmd: make, outs: [o]}}"), "1:7", "where a credential could hide"},
		{"lake of no scheme", doc("lake: bucket/p", "stages: {s: {cmd: make, outs: [o]}}"), "1:7", `the scheme ""`},
		{"lake of an unknown scheme", doc("lake: http://b/p", "stages: {s: {cmd: make, outs: [o]}}"), "1:7", `the scheme "http"`},
		{"lake without a bucket", doc("lake: s3:///p", "stages: {s: {cmd: make, outs: [o]}}"), "1:7", "names no bucket"},
		{"lake a relative folder", doc("lake: file://lake", "stages: {s: {cmd: make, outs: [o]}}"), "1:7", "absolute path"},
		{"external a list", stage("    cmd: make", "    external: [a]"), "4:15", "must map each output name to its format"},
		{"external of an unknown format", stage("    cmd: make", "    external: {a: {format: csv}}"), "4:28", `"csv", which git dds does not know`},
		{"external of an unknown key", stage("    cmd: make", "    external: {a: {fromat: delta}}"), "4:20", `unknown key "fromat"`},
		{"external a bad name", stage("    cmd: make", "    external: {a/b: {}}"), "4:16", `cannot name the variable DDS_OUT_a/b`},
		{"external no variable name", stage("    cmd: make", "    external: {a-b: {}}"), "4:16", "cannot name the variable DDS_OUT_a-b"},
		{"external twice", doc("stages:", "  s: {cmd: make, external: {a: {}}}", "  t: {cmd: make, external: {a: {}}}"), "3:29", "declared by both s (line 2) and t"},
		{"ext dep of nothing", doc("stages:", "  s: {cmd: make, deps: [ext:a], outs: [o]}"), "2:25", "dep ext:a of stage \"s\" names no external output"},
		{"ext dep of a bad name", doc("stages:", "  s: {cmd: make, deps: [ext:], outs: [o]}"), "2:25", "names no external output"},
		{"ext dep of its own", doc("stages:", "  s: {cmd: make, deps: [ext:a], external: {a: {}}}"), "2:25", "depends on its own external output a"},
		{"ext dep twice", doc("stages:", "  s: {cmd: make, deps: [ext:a, ext:a], outs: [o]}"), "2:32", "listed twice"},
		{"ext deps in a cycle", doc("stages:",
			"  s: {cmd: make, deps: [ext:b], external: {a: {}}}",
			"  t: {cmd: make, deps: [ext:a], external: {b: {}}}"), "2:25", "stages form a cycle: s -> t -> s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(FileName, tt.data)
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", derefAll(p.Stages))
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %v is a %T, not an *Error", err, err)
			}
			at := ""
			switch {
			case perr.Col > 0:
				at = fmt.Sprintf("%d:%d", perr.Line, perr.Col)
			case perr.Line > 0:
				at = fmt.Sprint(perr.Line)
			}
			if at != tt.at || !strings.Contains(err.Error(), tt.phrase) {
				t.Errorf("got  %s (at %q)\nwant %q at %q", err, at, tt.phrase, tt.at)
			}
			if perr.Fix == "" {
				t.Errorf("%s: the error says no fix", err)
			}
		})
	}
}

// aliasBomb is a small file that names more than maxEntries paths by
// repeating one long list through an alias.
func aliasBomb() []byte {
	var b strings.Builder
	b.WriteString("stages:\n  s0:\n    cmd: make\n    outs: [o0]\n    deps: &d [")
	for i := range 2000 {
		fmt.Fprintf(&b, "p%d,", i)
	}
	b.WriteString("p]\n")
	for i := 1; i <= maxEntries/2000+1; i++ {
		fmt.Fprintf(&b, "  s%d: {cmd: make, outs: [o%d], deps: *d}\n", i, i)
	}
	return []byte(b.String())
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{File: "dds.yaml", Line: 3, Col: 5, Msg: `unknown key "comand" in stage "clean"`, Fix: `did you mean "cmd"?`},
			`dds.yaml:3:5: unknown key "comand" in stage "clean"; did you mean "cmd"?`},
		{Error{File: "dds.yaml", Line: 3, Msg: "not valid YAML", Fix: "fix it"}, "dds.yaml:3: not valid YAML; fix it"},
		{Error{File: "dds.yaml", Msg: "too big", Fix: "shrink it"}, "dds.yaml: too big; shrink it"},
		{Error{File: "dds.yaml", Line: 1, Col: 1, Msg: "bad"}, "dds.yaml:1:1: bad"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestParseNamesTheFile(t *testing.T) {
	_, err := Parse("sub/dds.yaml", doc("stages:"))
	if err == nil || !strings.HasPrefix(err.Error(), "sub/dds.yaml:1:1: ") {
		t.Errorf("error %v does not start with the file name given", err)
	}
}

func TestSuggestKey(t *testing.T) {
	tests := []struct{ key, want string }{
		{"comand", "cmd"},
		{"command", "cmd"},
		{"Cmd", "cmd"},
		{"cdm", "cmd"},
		{"dep", "deps"},
		{"dependencies", "deps"},
		{"out", "outs"},
		{"param", "params"},
		{"environment", "env"},
		{"cwd", "wdir"},
		{"x", ""},
		{"frobnicate", ""},
		{strings.Repeat("o", 1000), ""},
	}
	for _, tt := range tests {
		if got := suggestKey(tt.key, stageKeys); got != tt.want {
			t.Errorf("suggestKey(%.20q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

// TestParseTenThousandStagesWrittenOut reads a pipeline of 10,000 stages
// written the way people write them, one key or item per line: the size
// limit must leave room for it.
func TestParseTenThousandStagesWrittenOut(t *testing.T) {
	const stages = 10000
	var b strings.Builder
	b.WriteString("stages:\n")
	for i := range stages {
		fmt.Fprintf(&b, `  prepare_s%05[1]d:
    cmd: python src/prepare.py --input data/raw/s%05[1]d --output out/prepared/s%05[1]d.parquet --seed 1
    deps:
      - src/prepare.py
      - src/lib/
      - data/raw/s%05[1]d/
    params:
      params.yaml:
        - prepare.s%05[1]d.threshold
        - prepare.split
    env:
      - SEED
    outs:
      - out/prepared/s%05[1]d.parquet
    metrics:
      - out/metrics/s%05[1]d.json
`, i)
	}
	if b.Len() <= 1<<20 {
		t.Fatalf("the file is %d bytes: the test wants one over 1 MiB", b.Len())
	}
	p, err := Parse(FileName, []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Stages) != stages {
		t.Fatalf("read %d stages, want %d", len(p.Stages), stages)
	}
}
