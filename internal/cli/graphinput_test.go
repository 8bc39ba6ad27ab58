package cli

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/git-dds/git-dds/internal/graph"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/workspace"
)

func TestStatusGraph(t *testing.T) {
	p, err := pipeline.Parse("dds.yaml", []byte(`stages:
  clean:
    cmd: x
    outs: [out/clean.csv]
  train:
    cmd: y
    deps: [out/clean.csv]
    outs: [out/model.bin]
  new:
    cmd: z
    deps: [out/model.bin]
    outs: [out/new.txt]
`))
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	rec := &signature.Record{Signature: strings.Repeat("c", 64), Commit: strings.Repeat("d", 40), Time: when,
		Duration: 1500 * time.Millisecond, Outputs: []signature.Output{{Path: "out/clean.csv", Size: 4200}}}
	last := &signature.Record{Signature: strings.Repeat("e", 64), Time: when, Duration: 2 * time.Second,
		Outputs: []signature.Output{{Path: "out/model.bin", Size: 1_200_000}}}
	rows := []workspace.StageStatus{
		{Name: "clean", State: workspace.Modified, Signature: rec.Signature, Outputs: []string{"out/clean.csv"}, Record: rec, Edited: []string{"out/clean.csv"}},
		{Name: "train", State: workspace.Stale, Outputs: []string{"out/model.bin"}, Last: last, Why: []string{"upstream stage clean changed"},
			Undeclared: []signature.Undeclared{{Path: "src/util.py", Kind: signature.UndeclaredTracked}}},
		{Name: "new", State: workspace.Stale, Outputs: []string{"out/new.txt"}},
	}
	g := statusGraph("title", p, rows)
	want := []graph.Node{
		{Name: "clean", Class: "modified", Signature: rec.Signature, Outputs: []string{"out/clean.csv"}, Upstream: []string{},
			Summary: "modified · 4.1 KiB · 1.5s",
			Details: []string{"computed at commit ddddddd on 2025-03-04 05:06", "edited by hand: out/clean.csv"}},
		{Name: "train", Class: "stale", Outputs: []string{"out/model.bin"}, Upstream: []string{"clean"},
			Summary: "stale · last 1.1 MiB · 2s",
			Details: []string{"last computed before the first commit on 2025-03-04 05:06, as eeeeeeeeeeee", "changed: upstream stage clean changed",
				"the last audited run read src/util.py, which is not declared"}},
		{Name: "new", Class: "stale", Outputs: []string{"out/new.txt"}, Upstream: []string{"train"},
			Summary: "stale · never computed", Details: []string{"never computed"}},
	}
	for i := range want {
		if !nodesEqual(g.Nodes[i], want[i]) {
			t.Errorf("node %d = %+v\nwant %+v", i, g.Nodes[i], want[i])
		}
	}
}

func TestPreviewGraph(t *testing.T) {
	p, err := pipeline.Parse("dds.yaml", []byte("stages:\n  a:\n    cmd: x\n    outs: [o/a]\n  b:\n    cmd: y\n    deps: [o/a]\n    outs: [o/b]\n"))
	if err != nil {
		t.Fatal(err)
	}
	pv := &workspace.Preview{Source: "feature", Target: "main", Pipeline: p, Stages: []workspace.PreviewStage{
		{Name: "a", Action: workspace.Promote, Available: "local", Known: true, EstimatedBytes: 2000, EstimatedSeconds: 3},
		{Name: "b", Action: workspace.Compute, Known: true, EstimatedBytes: 10, EstimatedSeconds: 0.25, Conflicts: []string{"params.yaml"}},
		{Name: "gone", Action: workspace.Remove},
	}}
	g := previewGraph(pv)
	if g.Title != "Merging feature into main" || g.ClassLabel != "action" {
		t.Errorf("title %q, class label %q", g.Title, g.ClassLabel)
	}
	want := []graph.Node{
		{Name: "a", Class: "promote", Outputs: []string{"o/a"}, Upstream: []string{}, Summary: "promote · 2.0 KiB · 3s saved",
			Details: []string{"available: local", "saves 3s of compute"}},
		{Name: "b", Class: "compute", Outputs: []string{"o/b"}, Upstream: []string{"a"}, Summary: "compute · conflict",
			Details: []string{"estimate: ~10 B · ~250ms", "conflict in params.yaml"}},
		{Name: "gone", Class: "remove", Upstream: []string{}, Summary: "remove"},
	}
	for i := range want {
		if !nodesEqual(g.Nodes[i], want[i]) {
			t.Errorf("node %d = %+v\nwant %+v", i, g.Nodes[i], want[i])
		}
	}
}

func nodesEqual(a, b graph.Node) bool {
	return a.Name == b.Name && a.Class == b.Class && a.Signature == b.Signature && a.Summary == b.Summary &&
		slices.Equal(a.Outputs, b.Outputs) && slices.Equal(a.Upstream, b.Upstream) && slices.Equal(a.Details, b.Details)
}
