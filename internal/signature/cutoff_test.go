package signature

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// trainInputs are the inputs of the worked example's train stage in
// docs/signatures.md, with clean at signature cleanSig.
func trainInputs(cleanSig string) []Input {
	return []Input{
		{Kind: KindCmd, Value: "python src/train.py out/clean.csv out/model.bin"},
		{Kind: KindWdir},
		{Kind: KindOut, Name: "out/metrics.json"},
		{Kind: KindOut, Name: "out/model.bin"},
		{Kind: KindDep, Name: "src/train.py", Value: "9c1d2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"},
		{Kind: KindStage, Name: "clean", Value: cleanSig},
		{Kind: KindParam, Name: "params.yaml:train.epochs", Value: "10"},
	}
}

// The content of out/clean.csv in docs/signatures.md's cut-off example.
const docCleanContent = "b5a2c96250612366ea272ffac6d9744aaf4b45aacd96aa7cfcb931ee3b558259"

func outputsOf(byStage map[string][]Output) func(stage, sig string) ([]Output, bool) {
	return func(stage, _ string) ([]Output, bool) {
		outs, ok := byStage[stage]
		return outs, ok
	}
}

// The cut-off example of docs/signatures.md must be what the code computes.
func TestContentKeyInDocs(t *testing.T) {
	doc, err := os.ReadFile("../../docs/signatures.md")
	if err != nil {
		t.Fatal(err)
	}
	cleanSig, _, err := Compute(exampleStage(), exampleTree(), nil, nil, exampleEnv())
	if err != nil {
		t.Fatal(err)
	}
	_, inputs, err := Compute(downstreamStage(), downstreamTree(),
		producerOf(map[string]string{"out/clean.csv": "clean"}), map[string]string{"clean": cleanSig}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(inputs, trainInputs(cleanSig)) {
		t.Fatalf("trainInputs is not the worked example's train: %v", inputs)
	}
	clean := map[string][]Output{"clean": {{Path: "out/clean.csv", ContentID: docCleanContent, Size: 7}}}
	key, ok, err := ContentKey(inputs, outputsOf(clean))
	if err != nil || !ok {
		t.Fatalf("ContentKey = %v, %v", ok, err)
	}
	value := UpstreamContent(clean["clean"])
	if value != "out/clean.csv\x00f\x00"+docCleanContent {
		t.Errorf("UpstreamContent = %q", value)
	}
	for what, want := range map[string]string{
		"content key":                      key,
		"length of the upstream value":     fmt.Sprintf("is now %d bytes", len(value)),
		"upstream item of the content key": "| `stage` | `clean` | `out/clean.csv` NUL `f` NUL `" + docCleanContent + "` |",
	} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("docs/signatures.md lacks the %s:\n%s", what, want)
		}
	}
}

func TestContentKey(t *testing.T) {
	a, b := strings.Repeat("a", 64), strings.Repeat("b", 64)
	id1, id2 := strings.Repeat("1", 64), strings.Repeat("2", 64)
	outs := func(id string) map[string][]Output {
		return map[string][]Output{"clean": {{Path: "out/clean.csv", ContentID: id}, {Path: "out/stats", ContentID: id2, Dir: true}}}
	}
	key := func(inputs []Input, up map[string][]Output) string {
		t.Helper()
		k, ok, err := ContentKey(inputs, outputsOf(up))
		if err != nil || !ok {
			t.Fatalf("ContentKey = %v, %v", ok, err)
		}
		return k
	}
	base := key(trainInputs(a), outs(id1))

	// Another upstream signature that wrote the same bytes: the same key.
	if got := key(trainInputs(b), outs(id1)); got != base {
		t.Errorf("same upstream bytes under another signature: key %s, want %s", got, base)
	}
	// Outputs in another order: the same key.
	reordered := outs(id1)
	slices.Reverse(reordered["clean"])
	if got := key(trainInputs(b), reordered); got != base {
		t.Errorf("upstream outputs reordered: key %s, want %s", got, base)
	}
	// Other upstream bytes, or a file for a folder: another key.
	if got := key(trainInputs(a), outs(id2)); got == base {
		t.Error("other upstream bytes kept the content key")
	}
	asFile := outs(id1)
	asFile["clean"][1].Dir = false
	if got := key(trainInputs(a), asFile); got == base {
		t.Error("a folder output turned into a file kept the content key")
	}
	// Any other input moves it, as it moves the signature.
	for i, in := range trainInputs(a) {
		if in.Kind == KindStage {
			continue
		}
		changed := trainInputs(a)
		changed[i].Value += "x"
		if got := key(changed, outs(id1)); got == base {
			t.Errorf("changing %s %q kept the content key", in.Kind, in.Name)
		}
	}
	// A content key is never the signature of the same inputs.
	if sig, _ := SignatureOf(trainInputs(a)); sig == base {
		t.Error("the content key equals a signature")
	}
}

func TestContentKeyNone(t *testing.T) {
	noUpstream := slices.DeleteFunc(trainInputs("x"), func(in Input) bool { return in.Kind == KindStage })
	if _, ok, err := ContentKey(noUpstream, outputsOf(nil)); ok || err != nil {
		t.Errorf("a stage without upstream has a content key (%v, %v)", ok, err)
	}
	if _, ok, err := ContentKey(trainInputs("x"), outputsOf(nil)); ok || err != nil {
		t.Errorf("a stage whose upstream outputs are unknown has a content key (%v, %v)", ok, err)
	}
}

func TestMovedUpstream(t *testing.T) {
	a, b := strings.Repeat("a", 64), strings.Repeat("b", 64)
	if moved, ok := MovedUpstream(trainInputs(a), trainInputs(b)); !ok || !slices.Equal(moved, []string{"clean"}) {
		t.Errorf("MovedUpstream over an upstream signature = %v, %v; want [clean], true", moved, ok)
	}
	if moved, ok := MovedUpstream(trainInputs(a), trainInputs(a)); !ok || len(moved) != 0 {
		t.Errorf("MovedUpstream of equal inputs = %v, %v; want none, true", moved, ok)
	}
	for i := range trainInputs(a) {
		changed := trainInputs(b)
		if changed[i].Kind == KindStage {
			continue
		}
		changed[i].Value += "x"
		if _, ok := MovedUpstream(trainInputs(a), changed); ok {
			t.Errorf("MovedUpstream accepts a change to %s %q", changed[i].Kind, changed[i].Name)
		}
	}
	renamed := trainInputs(b)
	renamed[5].Name = "prep"
	if _, ok := MovedUpstream(trainInputs(a), renamed); ok {
		t.Error("MovedUpstream accepts another upstream stage")
	}
	if _, ok := MovedUpstream(trainInputs(a), trainInputs(b)[1:]); ok {
		t.Error("MovedUpstream accepts an input less")
	}
}

func TestCutOffReason(t *testing.T) {
	for _, tt := range []struct {
		upstream []string
		want     string
	}{
		{nil, "its upstream stages wrote the same bytes"},
		{[]string{"clean"}, "clean wrote the same bytes"},
		{[]string{"clean", "prep"}, "clean and prep wrote the same bytes"},
		{[]string{"a", "b", "c"}, "a, b and c wrote the same bytes"},
	} {
		if got := (&CutOff{Upstream: tt.upstream}).Reason(); got != tt.want {
			t.Errorf("Reason of %v = %q, want %q", tt.upstream, got, tt.want)
		}
	}
}
