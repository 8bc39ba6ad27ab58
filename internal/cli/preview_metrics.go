package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/git-dds/git-dds/internal/results"
	"github.com/git-dds/git-dds/internal/workspace"
)

// mergedLabel names the merged tree in the metrics of a merge preview.
const mergedLabel = "merged"

// previewMetrics are the metrics a merge would change: those of each
// promoted stage, target against merged.
type previewMetrics struct {
	Target  string                 `json:"-"`
	Changes []results.MetricChange `json:"changes"`
	// Files are the merged metrics files, with their states.
	Files []results.File `json:"files"`
	// unreadable joins the errors of metrics files that cannot be read.
	unreadable error
}

// promotedMetrics reads the metrics files of the stages pv promotes, in
// the target (into) and at the merged signature, from the store, or
// from ws.Remote when it holds them; nil when no promoted stage declares
// metrics.
func promotedMetrics(ctx context.Context, ws *workspace.Workspace, pv *workspace.Preview, into string) (*previewMetrics, error) {
	var promoted []results.StageAt
	for _, s := range pv.Stages {
		if st := pv.Pipeline.Stage(s.Name); s.Action == workspace.Promote && st != nil && len(st.Metrics) > 0 {
			promoted = append(promoted, results.StageAt{Stage: st, Signature: s.Signature})
		}
	}
	if len(promoted) == 0 {
		return nil, nil
	}
	snaps, err := results.Read(ctx, ws, []string{into})
	if err != nil {
		return nil, err
	}
	merged, err := results.AtSignatures(ctx, ws, mergedLabel, promoted)
	if err != nil {
		return nil, err
	}
	target := snaps[0]
	target.Ref = pv.Target
	// Only the promoted stages' files: the others do not change.
	var kept []results.File
	for _, f := range target.Files {
		if _, ok := merged.File(f.Path); ok {
			kept = append(kept, f)
		}
	}
	target.Files = kept
	both := []*results.Snapshot{target, merged}
	if ws.Remote != nil {
		err := results.MarkRemote(ctx, ws, both)
		if err == nil {
			err = results.PeekRemote(ctx, ws, both)
		}
		if err != nil && (!remoteUnavailable(err) || ctx.Err() != nil) {
			return nil, err
		}
	}
	return &previewMetrics{Target: pv.Target, Changes: results.DiffMetrics(target, merged, false), Files: merged.Files,
		unreadable: results.UnreadableErrors(both)}, nil
}

func printPreviewMetrics(w io.Writer, m *previewMetrics, md bool) {
	if m == nil {
		return
	}
	fmt.Fprintln(w)
	if md {
		fmt.Fprintf(w, "#### Metrics, `%s` → merged\n\n", m.Target)
	} else {
		fmt.Fprintf(w, "Metrics of the promoted stages, %s -> merged:\n", m.Target)
	}
	if len(m.Changes) == 0 {
		fmt.Fprintln(w, "no metric changes")
		return
	}
	t := &table{header: []string{"path", "metric", m.Target, mergedLabel, "change"}}
	for _, c := range m.Changes {
		t.add(c.Path, c.Name, valueCell(c.Old), valueCell(c.New), changeCell(c.Change))
	}
	indent := "  "
	if md {
		indent = ""
	}
	t.print(w, md, indent)
}
