package maintenance

import (
	"context"
	"fmt"

	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/lake"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/workspace"
)

// Kinds of problem fsck --external finds in the lake.
const (
	ExternalChanged   = "external-changed"   // the listing's digest is not the recorded one
	ExternalMissing   = "external-missing"   // the prefix is empty, or gone
	ExternalElsewhere = "external-elsewhere" // recorded in another lake than this clone's: not checked
)

// fsckExternal lists every external output the index records, in the
// lake of this clone (dds.lake, else the working tree's dds.yaml), and
// compares each listing's digest with the recorded one. With repair, the
// records whose output changed or went are dropped, so that the next run
// recomputes them.
func fsckExternal(ctx context.Context, ws *workspace.Workspace, rep *FsckReport, repair bool) error {
	var recs []*signature.Record
	err := ws.WithIndexRead(ctx, func(ix *index.Index) error {
		return ix.ForEach(func(rec *signature.Record) error {
			if len(rec.External) > 0 {
				recs = append(recs, rec)
			}
			return nil
		})
	})
	if err != nil || len(recs) == 0 {
		return err
	}
	view, err := namespace.Load(ctx, ws.Repo, "HEAD", ws.Env)
	if err != nil {
		return err
	}
	root, err := ws.LakeRoot(view.Pipeline)
	if err != nil {
		return err
	}
	l, err := lake.Open(ctx, root)
	if err != nil {
		return err
	}
	defer l.Close()
	broken := map[string]RecordRef{}
	for _, rec := range recs {
		for _, out := range rec.External {
			rep.External++
			key, err := root.CheckOutput(out.URI, rec.Signature, out.Attempt, out.Name)
			if err != nil {
				rep.Problems = append(rep.Problems, Problem{Kind: ExternalElsewhere, Stage: rec.Stage, Signature: rec.Signature, Output: "ext:" + out.Name,
					Message: fmt.Sprintf("ext:%s was recorded at %s, outside this clone's lake %s: not checked", out.Name, out.URI, root.URL)})
				continue
			}
			objects, err := l.List(ctx, key)
			if err != nil {
				return err
			}
			p := Problem{Stage: rec.Stage, Signature: rec.Signature, Output: "ext:" + out.Name}
			switch digest := lake.Digest(objects); {
			case len(objects) == 0:
				p.Kind = ExternalMissing
				p.Message = fmt.Sprintf("ext:%s is gone from %s", out.Name, out.URI)
			case digest != out.Digest:
				p.Kind = ExternalChanged
				p.Message = fmt.Sprintf("ext:%s at %s changed since it was recorded: %d objects now, %d recorded (a listing digest of %s, not %s)",
					out.Name, out.URI, len(objects), out.Count, digest[:12], out.Digest[:12])
			default:
				continue
			}
			rep.Problems = append(rep.Problems, p)
			broken[rec.Signature] = refOf(rec)
		}
	}
	if !repair || len(broken) == 0 {
		return nil
	}
	return ws.WithIndex(ctx, func(ix *index.Index) error { return dropRecords(ix, broken, rep.Repaired) })
}
