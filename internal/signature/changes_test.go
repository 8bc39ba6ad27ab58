package signature

import (
	"slices"
	"strings"
	"testing"
)

func TestChangedAndDescribe(t *testing.T) {
	base := []Input{
		{Kind: KindCmd, Value: "python a.py"},
		{Kind: KindWdir},
		{Kind: KindOut, Name: "out/a.csv"},
		{Kind: KindDep, Name: "src/clean.py", Value: "3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a"},
		{Kind: KindStage, Name: "prep", Value: strings.Repeat("a", 64)},
		{Kind: KindParam, Name: "params.yaml:clean.impute", Value: `"mean"`},
		{Kind: KindEnv, Name: "SEED", Value: `"42"`},
	}
	// edit gives base with the input of kind and name replaced by in, or
	// removed when in is nil; an input of no such kind and name is added.
	edit := func(kind, name string, in *Input) []Input {
		out := slices.Clone(base)
		i := slices.IndexFunc(out, func(x Input) bool { return x.Kind == kind && x.Name == name })
		switch {
		case i < 0:
			return append(out, *in)
		case in == nil:
			return slices.Delete(out, i, i+1)
		}
		out[i] = *in
		return out
	}
	tests := []struct {
		name         string
		new          []Input
		wantChanged  []string
		wantDescribe []string
	}{
		{"nothing", base, nil, nil},
		{
			"cmd", edit(KindCmd, "", &Input{Kind: KindCmd, Value: "python b.py"}),
			[]string{"cmd"}, []string{`cmd changed: "python a.py" -> "python b.py"`},
		},
		{
			"wdir", edit(KindWdir, "", &Input{Kind: KindWdir, Value: "src"}),
			[]string{"wdir"}, []string{`wdir changed: "" -> "src"`},
		},
		{
			"an out added", edit(KindOut, "out/b.csv", &Input{Kind: KindOut, Name: "out/b.csv"}),
			[]string{"outs"}, []string{"output out/b.csv added"},
		},
		{
			"an out renamed", edit(KindOut, "out/a.csv", &Input{Kind: KindOut, Name: "out/c.csv"}),
			[]string{"outs"}, []string{"output out/a.csv removed", "output out/c.csv added"},
		},
		{
			"a dep", edit(KindDep, "src/clean.py", &Input{Kind: KindDep, Name: "src/clean.py", Value: "9c1d2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"}),
			[]string{"src/clean.py"}, []string{"src/clean.py: 3f2a1b0 -> 9c1d2e4"},
		},
		{
			"a dep added", edit(KindDep, "src/lib", &Input{Kind: KindDep, Name: "src/lib", Value: "8e1c44d2b5a3f60718293a4b5c6d7e8f90a1b2c3"}),
			[]string{"src/lib"}, []string{"src/lib: added (8e1c44d)"},
		},
		{
			"a dep removed", edit(KindDep, "src/clean.py", nil),
			[]string{"src/clean.py"}, []string{"src/clean.py: removed (was 3f2a1b0)"},
		},
		{
			"an upstream stage", edit(KindStage, "prep", &Input{Kind: KindStage, Name: "prep", Value: strings.Repeat("b", 64)}),
			[]string{"stage:prep"}, []string{"upstream stage prep changed"},
		},
		{
			"an upstream stage added", edit(KindStage, "fetch", &Input{Kind: KindStage, Name: "fetch", Value: strings.Repeat("c", 64)}),
			[]string{"stage:fetch"}, []string{"now reads stage fetch"},
		},
		{
			"an upstream stage removed", edit(KindStage, "prep", nil),
			[]string{"stage:prep"}, []string{"no longer reads stage prep"},
		},
		{
			"a param", edit(KindParam, "params.yaml:clean.impute", &Input{Kind: KindParam, Name: "params.yaml:clean.impute", Value: `"median"`}),
			[]string{"params.yaml:clean.impute"}, []string{`params.yaml:clean.impute: "mean" -> "median"`},
		},
		{
			"a param added", edit(KindParam, "params.yaml:clean.k", &Input{Kind: KindParam, Name: "params.yaml:clean.k", Value: `3`}),
			[]string{"params.yaml:clean.k"}, []string{"params.yaml:clean.k: added (3)"},
		},
		{
			"a long param", edit(KindParam, "params.yaml:clean.impute", &Input{Kind: KindParam, Name: "params.yaml:clean.impute", Value: `"` + strings.Repeat("x", 80) + `"`}),
			[]string{"params.yaml:clean.impute"}, []string{`params.yaml:clean.impute: "mean" -> "` + strings.Repeat("x", 58) + "…"},
		},
		{
			"an env var", edit(KindEnv, "SEED", &Input{Kind: KindEnv, Name: "SEED", Value: `"43"`}),
			[]string{"env:SEED"}, []string{"env:SEED changed"},
		},
		{
			"an env var unset", edit(KindEnv, "SEED", &Input{Kind: KindEnv, Name: "SEED"}),
			[]string{"env:SEED"}, []string{"env:SEED: set -> unset"},
		},
		{
			"an env var removed", edit(KindEnv, "SEED", nil),
			[]string{"env:SEED"}, []string{"env:SEED: removed (was set)"},
		},
		{
			"several, in encoding order", append(edit(KindEnv, "SEED", &Input{Kind: KindEnv, Name: "SEED", Value: `"1"`}),
				Input{Kind: KindOut, Name: "out/z"}, Input{Kind: KindOut, Name: "out/y"}, Input{Kind: KindCmd, Value: "x"}),
			[]string{"cmd", "outs", "env:SEED"},
			[]string{`cmd changed: "python a.py" -> "x"`, "output out/y added", "output out/z added", "env:SEED changed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Changed(base, tt.new); !slices.Equal(got, tt.wantChanged) {
				t.Errorf("Changed = %q, want %q", got, tt.wantChanged)
			}
			if got := Describe(base, tt.new); !slices.Equal(got, tt.wantDescribe) {
				t.Errorf("Describe = %q, want %q", got, tt.wantDescribe)
			}
		})
	}
}

func TestChangedFromNothing(t *testing.T) {
	got := Changed(nil, []Input{{Kind: KindCmd, Value: "x"}, {Kind: KindDep, Name: "a", Value: "1"}})
	if want := []string{"cmd", "a"}; !slices.Equal(got, want) {
		t.Errorf("Changed(nil, ...) = %q, want %q", got, want)
	}
}

// Two long values that differ near their end must not shorten to the same
// text: the sentence shows the part where they differ.
func TestDescribeLongValuesShowTheDifference(t *testing.T) {
	long := "python train.py" + strings.Repeat(" --flag", 10)
	tests := []struct {
		name     string
		old, new Input
		want     string
	}{
		{
			"cmd", Input{Kind: KindCmd, Value: long + " --seed 1"}, Input{Kind: KindCmd, Value: long + " --seed 2"},
			`cmd changed: "… --flag --seed 1" -> "… --flag --seed 2"`,
		},
		{
			"param", Input{Kind: KindParam, Name: "p.yaml:k", Value: `"` + strings.Repeat("a", 70) + `b"`},
			Input{Kind: KindParam, Name: "p.yaml:k", Value: `"` + strings.Repeat("a", 70) + `c"`},
			`p.yaml:k: …` + strings.Repeat("a", 15) + `b" -> …` + strings.Repeat("a", 15) + `c"`,
		},
		{
			// A record written before env values were hashed holds the
			// quoted value: it is not shown either.
			"env of an older record", Input{Kind: KindEnv, Name: "OPTS", Value: `"1` + strings.Repeat("x", 70) + `"`},
			Input{Kind: KindEnv, Name: "OPTS", Value: EnvValueHash("OPTS", "2"+strings.Repeat("x", 70))},
			`env:OPTS changed`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Describe([]Input{tt.old}, []Input{tt.new})
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("Describe = %q, want %q", got, tt.want)
			}
		})
	}
}
