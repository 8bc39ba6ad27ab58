package cli

import (
	"fmt"
	"strings"

	"github.com/git-dds/git-dds/internal/graph"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/ui"
	"github.com/git-dds/git-dds/internal/workspace"
)

// The graph command and preview --format draw through internal/graph, which
// knows nothing of workspaces: this file turns status rows and a merge
// preview into the plain graph.Graph it renders, with the same words and
// units the status and preview tables print.

// remoteState is the state of a stage computed only in a remote. Status
// does not report it yet; it has its colour already so that graphs keep
// their key.
const remoteState = "remote"

// stateClasses are the colours of stage states, as status names them.
func stateClasses() []graph.Class {
	return []graph.Class{
		{Name: string(workspace.Fresh), Meaning: "computed, and the working tree holds its outputs", Fill: "#dcfce7", Stroke: "#15803d"},
		{Name: string(workspace.Cached), Meaning: "computed and in the local store: git dds checkout restores it", Fill: "#dbeafe", Stroke: "#1d4ed8"},
		{Name: remoteState, Meaning: "computed, only in a remote: git dds pull restores it", Fill: "#ede9fe", Stroke: "#6d28d9"},
		{Name: string(workspace.Stale), Meaning: "computed nowhere: git dds run executes it", Fill: "#fef3c7", Stroke: "#b45309"},
		{Name: string(workspace.Modified), Meaning: "an output was edited by hand: git dds checkout --force restores it", Fill: "#fee2e2", Stroke: "#b91c1c"},
	}
}

// actionClasses are the colours of merge-preview actions.
func actionClasses() []graph.Class {
	return []graph.Class{
		{Name: workspace.Unchanged, Meaning: "the merge keeps the target's signature", Fill: "#f3f4f6", Stroke: "#6b7280"},
		{Name: workspace.Promote, Meaning: "already computed: the merge brings it with no run", Fill: "#dcfce7", Stroke: "#15803d"},
		{Name: workspace.Compute, Meaning: "computed nowhere: needs a run after the merge", Fill: "#fef3c7", Stroke: "#b45309"},
		{Name: workspace.Remove, Meaning: "the merge drops the stage", Fill: "#fee2e2", Stroke: "#b91c1c", Dashed: true},
	}
}

// statusGraph draws the stages of a pipeline in their states: rows as
// Workspace.Status gives them, p the pipeline they were read from.
func statusGraph(title string, p *pipeline.Pipeline, rows []workspace.StageStatus) *graph.Graph {
	g := &graph.Graph{Title: title, ClassLabel: "state", Classes: stateClasses(), Nodes: []graph.Node{}}
	for _, r := range rows {
		n := graph.Node{Name: r.Name, Class: string(r.State), Signature: r.Signature, Outputs: r.Outputs, Upstream: upstreamOf(p, r.Name)}
		switch {
		case r.Record != nil:
			n.Summary = fmt.Sprintf("%s · %s", r.State, costOf(r.Record))
			n.Details = append(n.Details, "computed "+provenance(r.Record))
		case r.Last != nil:
			n.Summary = fmt.Sprintf("%s · last %s", r.State, costOf(r.Last))
			n.Details = append(n.Details, fmt.Sprintf("last computed %s, as %s", provenance(r.Last), ui.ShortID(r.Last.Signature)))
		default:
			n.Summary = fmt.Sprintf("%s · never computed", r.State)
			n.Details = append(n.Details, "never computed")
		}
		for _, why := range r.Why {
			n.Details = append(n.Details, "changed: "+why)
		}
		if len(r.Edited) > 0 {
			n.Details = append(n.Details, "edited by hand: "+strings.Join(r.Edited, ", "))
		}
		for _, u := range r.Undeclared {
			n.Details = append(n.Details, undeclaredLine(u))
		}
		g.Nodes = append(g.Nodes, n)
	}
	return g
}

// previewGraph draws the merged pipeline with what the merge does to each
// stage. Edges come from pv.Pipeline, the merged dds.yaml.
func previewGraph(pv *workspace.Preview) *graph.Graph {
	g := &graph.Graph{Title: fmt.Sprintf("Merging %s into %s", pv.Source, pv.Target), ClassLabel: "action", Classes: actionClasses(), Nodes: []graph.Node{}}
	for _, s := range pv.Stages {
		n := graph.Node{Name: s.Name, Class: s.Action, Signature: s.Signature, Upstream: upstreamOf(pv.Pipeline, s.Name)}
		if pv.Pipeline != nil {
			if st := pv.Pipeline.Stage(s.Name); st != nil && s.Action != workspace.Remove {
				n.Outputs = st.Outs
			}
		}
		estimate := "never computed"
		if s.Known {
			estimate = fmt.Sprintf("~%s · ~%s", ui.Bytes(s.EstimatedBytes), ui.Seconds(s.EstimatedSeconds))
		}
		switch s.Action {
		case workspace.Promote:
			n.Summary = fmt.Sprintf("promote · %s · %s saved", ui.Bytes(s.EstimatedBytes), ui.Seconds(s.EstimatedSeconds))
		case workspace.Compute:
			n.Summary = "compute · " + estimate
			if len(s.Conflicts) > 0 {
				n.Summary = "compute · conflict"
			}
		default:
			n.Summary = s.Action
		}
		switch s.Action {
		case workspace.Promote:
			n.Details = append(n.Details, "available: "+s.Available, fmt.Sprintf("saves %s of compute", ui.Seconds(s.EstimatedSeconds)))
		case workspace.Compute:
			n.Details = append(n.Details, "estimate: "+estimate)
		}
		if len(s.Conflicts) > 0 {
			n.Details = append(n.Details, "conflict in "+strings.Join(s.Conflicts, ", "))
		}
		g.Nodes = append(g.Nodes, n)
	}
	return g
}

func upstreamOf(p *pipeline.Pipeline, name string) []string {
	names := []string{}
	if p == nil {
		return names
	}
	st := p.Stage(name)
	if st == nil {
		return names
	}
	for _, up := range p.Upstream(st) {
		names = append(names, up.Name)
	}
	return names
}

// costOf is what a computation wrote and took.
func costOf(rec *signature.Record) string {
	return fmt.Sprintf("%s · %s", ui.Bytes(recordBytes(rec)), ui.Duration(rec.Duration))
}

func recordBytes(rec *signature.Record) int64 { return rec.Written() }

// provenance says where and when a computation was made.
func provenance(rec *signature.Record) string {
	where := "before the first commit"
	if rec.Commit != "" {
		where = "at commit " + ui.ShortCommit(rec.Commit)
	}
	if rec.Time.IsZero() {
		return where
	}
	return where + " on " + rec.Time.Format("2006-01-02 15:04")
}
