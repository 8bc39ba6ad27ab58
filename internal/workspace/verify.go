package workspace

import (
	"context"
	"fmt"

	"github.com/git-dds/git-dds/internal/lake"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/parallel"
)

// verifyWorkers bounds the requests VerifyExternal has in flight: each
// waits on the lake, not on a core, but a pipeline of thousands of outputs
// must not open thousands of connections at once.
const verifyWorkers = 16

// ExternalElsewhere is an external output recorded in another lake than
// this clone's: VerifyExternal does not ask about it.
type ExternalElsewhere struct {
	Stage, Output, URI string
	Err                error // why its URI is not one of this lake's
}

// VerifyExternal asks the lake whether each external output recorded for
// rows is still there, one request per output (see lake.Present), a few
// at a time. A stage with an output gone, or left empty, is Missing, its
// Missing naming those outputs. Status without it asks the lake nothing:
// the records say what it holds. It gives the outputs it did not ask
// about, recorded outside the lake view's pipeline writes to.
func (w *Workspace) VerifyExternal(ctx context.Context, view *namespace.View, rows []StageStatus) ([]ExternalElsewhere, error) {
	type check struct {
		row       int
		name, key string
		format    string
		pointer   string
		gone      bool
	}
	var checks []check
	var elsewhere []ExternalElsewhere
	var root lake.Root
	for i := range rows {
		rec := rows[i].Record
		if rec == nil || len(rec.External) == 0 {
			continue
		}
		if root.URL == "" {
			var err error
			if root, err = w.LakeRoot(view.Pipeline); err != nil {
				return nil, fmt.Errorf("stage %s has external outputs: %w", rows[i].Name, err)
			}
		}
		for _, out := range rec.External {
			key, err := root.CheckOutput(out.URI, rec.Signature, out.Attempt, out.Name)
			if err != nil {
				elsewhere = append(elsewhere, ExternalElsewhere{Stage: rows[i].Name, Output: "ext:" + out.Name, URI: out.URI, Err: err})
				continue
			}
			checks = append(checks, check{row: i, name: "ext:" + out.Name, key: key, format: out.Format, pointer: out.Pointer})
		}
	}
	if len(checks) == 0 {
		return elsewhere, nil
	}
	l, err := lake.Open(ctx, root)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	err = parallel.ForEach(ctx, len(checks), verifyWorkers, func(ctx context.Context, i int) error {
		c := &checks[i]
		there, err := l.Present(ctx, c.key, c.format, c.pointer)
		if err != nil {
			return fmt.Errorf("stage %s: looking for %s in the lake: %w", rows[c.row].Name, c.name, err)
		}
		c.gone = !there
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, c := range checks {
		if c.gone {
			rows[c.row].State = Missing
			rows[c.row].Missing = append(rows[c.row].Missing, c.name)
		}
	}
	return elsewhere, nil
}
