package pipeline

import "testing"

func TestStarterParses(t *testing.T) {
	p, err := Parse(FileName, []byte(Starter))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Stages) != 1 || len(p.Outs()) != 1 {
		t.Fatalf("starter: %d stages, outs %q; want one stage with one output", len(p.Stages), p.Outs())
	}
}
