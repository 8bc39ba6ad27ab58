package maintenance

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/remote"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/workspace"
)

// GCOptions say what gc keeps and whether it deletes.
type GCOptions struct {
	DryRun bool
	// Keep is KeepAllRefs (the default) or KeepCurrent.
	Keep string
	// KeepCommits also keeps the views of the last N commits of each local
	// branch (of HEAD with KeepCurrent).
	KeepCommits int
}

// GCReport is what gc kept and dropped; with DryRun, what it would drop.
type GCReport struct {
	DryRun bool   `json:"dry_run"`
	Keep   string `json:"keep"`
	// Commits counts the commits whose views were kept.
	Commits int `json:"commits"`
	// Skipped lists commits whose dds.yaml is invalid: nothing of theirs
	// is kept on their account.
	Skipped        []SkippedCommit `json:"skipped"`
	KeptRecords    int             `json:"kept_records"`
	KeptObjects    int             `json:"kept_objects"`
	KeptBytes      int64           `json:"kept_bytes"`
	DroppedRecords []RecordRef     `json:"dropped_records"`
	RemovedObjects int             `json:"removed_objects"`
	FreedBytes     int64           `json:"freed_bytes"`
	// RecentObjects counts objects no kept record needs that changed after
	// gc started: a run beside it may be about to record them.
	RecentObjects int `json:"recent_objects"`
	// TempRemoved counts temporary files left by interrupted ingests and
	// restores.
	TempRemoved int      `json:"temp_removed"`
	Warnings    []string `json:"warnings"`
}

// SkippedCommit is a commit whose view could not be computed.
type SkippedCommit struct {
	Commit string `json:"commit"`
	Ref    string `json:"ref"`
	Reason string `json:"reason"`
}

// recentMargin widens "changed after gc started": file times come from a
// clock that can lag the one time.Now reads by a tick.
const recentMargin = time.Second

// GC keeps every record that the view of a kept commit, of the working
// tree, or an output placed in a working tree needs, with the objects those
// records need; it drops every other record, then every other object. The
// decision and the deletion happen under the index, so that no other git
// dds sees a half-collected store; an object that changed after gc started
// is kept, for a run may be about to record it.
func GC(ctx context.Context, ws *workspace.Workspace, opts GCOptions) (*GCReport, error) {
	return gc(ctx, ws, opts, time.Now().Add(-recentMargin))
}

// gc is GC keeping every unneeded object that changed after started.
func gc(ctx context.Context, ws *workspace.Workspace, opts GCOptions, started time.Time) (*GCReport, error) {
	if opts.Keep == "" {
		opts.Keep = KeepAllRefs
	}
	rep := &GCReport{DryRun: opts.DryRun, Keep: opts.Keep, Skipped: []SkippedCommit{},
		DroppedRecords: []RecordRef{}, Warnings: []string{}}
	keep, err := keptSignatures(ctx, ws, opts, rep)
	if err != nil {
		return nil, err
	}
	pinned, err := keptPinnedObjects(ctx, ws, opts, rep)
	if err != nil {
		return nil, err
	}
	shared := ws.Settings.Dir.Set()
	if shared {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the store in %s (git config dds.dir) may be shared with other clones, "+
			"whose refs gc cannot see: it also keeps every branch namespace their hooks saved, but what only their other commits need goes",
			ws.Dir))
	}
	err = ws.WithIndex(ctx, func(ix *index.Index) error {
		if shared {
			if err := savedNamespaces(ix, keep); err != nil {
				return err
			}
		}
		return collect(ctx, ws, ix, keep, pinned, started, rep)
	})
	if err != nil {
		return nil, err
	}
	if !opts.DryRun {
		if rep.TempRemoved, err = removeStaleTemps(ctx, ws); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// keptSignatures computes the view of every kept commit, and of the
// working tree, and collects their signatures.
func keptSignatures(ctx context.Context, ws *workspace.Workspace, opts GCOptions, rep *GCReport) (map[string]bool, error) {
	commits, err := roots(ctx, ws.Repo, opts.Keep, opts.KeepCommits)
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	loader := namespace.NewLoader(ws.Repo, ws.Env)
	// The working tree's view first: what a run there records before the
	// next commit must survive, on whichever branch.
	commits = append([]root{{commit: namespace.WorktreeRev, name: "the working tree"}}, commits...)
	for _, c := range commits {
		view, err := loader.Load(ctx, c.commit)
		switch {
		case errors.Is(err, namespace.ErrNoPipeline):
			continue
		case isPipelineError(err):
			rep.Skipped = append(rep.Skipped, SkippedCommit{Commit: c.commit, Ref: c.name, Reason: err.Error()})
			continue
		case err != nil:
			return nil, fmt.Errorf("reading the pipeline of %s (%s): %w", c.name, c.commit, err)
		}
		if c.commit != namespace.WorktreeRev {
			rep.Commits++
		}
		for _, sv := range view.Stages {
			keep[sv.Signature] = true
		}
	}
	return keep, nil
}

// keptPinnedObjects gives the objects of the local files pinned (git dds
// add) in the working tree and in every kept commit: no record names
// them, and they must outlive gc as long as a kept commit's pin does.
func keptPinnedObjects(ctx context.Context, ws *workspace.Workspace, opts GCOptions, rep *GCReport) (map[string]bool, error) {
	commits, err := roots(ctx, ws.Repo, opts.Keep, opts.KeepCommits)
	if err != nil {
		return nil, err
	}
	kept := map[string]bool{}
	files, refused, err := ws.PinnedFiles(ctx)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		kept[f.ID] = true
	}
	for _, c := range commits {
		ids, more, err := ws.PinnedObjectsAt(ctx, c.commit)
		if err != nil {
			return nil, fmt.Errorf("reading the pins of %s (%s): %w", c.name, c.commit, err)
		}
		refused = append(refused, more...)
		for _, id := range ids {
			kept[id] = true
		}
	}
	for _, err := range refused {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%v; it keeps nothing", err))
	}
	return kept, nil
}

// isPipelineError tells a commit whose dds.yaml cannot be evaluated from a
// failure to read the repository.
func isPipelineError(err error) bool {
	var yamlErr *pipeline.Error
	return errors.As(err, &yamlErr) || errors.Is(err, signature.ErrInput)
}

// collect decides and deletes; it runs under the index.
func collect(ctx context.Context, ws *workspace.Workspace, ix *index.Index, keep, pinned map[string]bool, started time.Time, rep *GCReport) error {
	needed := newNeededObjects(ws.Store)
	for id := range pinned {
		needed.add(id, false)
	}
	placed, err := placedOutputs(ix, needed)
	if err != nil {
		return err
	}
	err = ix.ForEach(func(rec *signature.Record) error {
		if !keep[rec.Signature] && !placed.holds(rec) {
			rep.DroppedRecords = append(rep.DroppedRecords, refOf(rec))
			return nil
		}
		rep.KeptRecords++
		for _, o := range rec.Outputs {
			needed.add(o.ContentID, o.Dir)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sortRefs(rep.DroppedRecords)

	type object struct {
		id   string
		size int64
	}
	var garbage []object
	err = ws.Store.Walk(func(id string, size int64) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if needed.ids[id] {
			rep.KeptObjects++
			rep.KeptBytes += size
			return nil
		}
		info, err := os.Lstat(ws.Store.Path(id))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("collecting the store: %w", err)
		}
		if !changedAt(info).Before(started) {
			rep.RecentObjects++
			return nil
		}
		garbage = append(garbage, object{id, size})
		return nil
	})
	if err != nil {
		return err
	}
	for _, g := range garbage {
		rep.RemovedObjects++
		rep.FreedBytes += g.size
	}
	if rep.DryRun {
		return nil
	}
	// Records go first: a crash between the two leaves objects no record
	// needs, which the next gc takes, never a record without its objects.
	if err := deleteRecords(ix, rep.DroppedRecords); err != nil {
		return err
	}
	if err := dropDanglingContentKeys(ix); err != nil {
		return err
	}
	for _, g := range garbage {
		if err := ws.Store.Remove(g.id); err != nil {
			return err
		}
	}
	return nil
}

// dropDanglingContentKeys drops the content keys whose computation has no
// record any more: early cut-off can no longer take its outputs, and the
// keys would pile up with every change.
func dropDanglingContentKeys(ix *index.Index) error {
	var dangling []string
	err := ix.ForEachContentKey(func(key, sig string) error {
		_, ok, err := ix.Get(sig)
		if err == nil && !ok {
			dangling = append(dangling, key)
		}
		return err
	})
	if err != nil {
		return err
	}
	const perBatch = 500
	for chunk := range slices.Chunk(dangling, perBatch) {
		err := ix.Batch(func(b *index.Batch) error {
			for _, key := range chunk {
				if err := b.DeleteContentKey(key); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// placedSet is what the working trees hold: output path → content id,
// from the notes git dds leaves when it places an output.
type placedSet map[string]map[string]bool

func (p placedSet) holds(rec *signature.Record) bool {
	for _, o := range rec.Outputs {
		if p[o.Path][o.ContentID] {
			return true
		}
	}
	return false
}

// placedOutputs reads every working tree's notes, and marks the objects
// they name as needed: nothing placed in a working tree disappears from
// under its user, even when no kept commit needs it.
func placedOutputs(ix *index.Index, needed *neededObjects) (placedSet, error) {
	placed := placedSet{}
	err := ix.AllPlaced(func(path string, note index.Placed) error {
		if note.ContentID == "" {
			return nil // a note is a cache: one that does not decode names nothing
		}
		if placed[path] == nil {
			placed[path] = map[string]bool{}
		}
		placed[path][note.ContentID] = true
		needed.add(note.ContentID, note.Dir)
		return nil
	})
	return placed, err
}

// savedNamespaces keeps the signatures of every branch namespace saved in
// the index, by this clone's hooks or by those of another clone sharing the
// store.
func savedNamespaces(ix *index.Index, keep map[string]bool) error {
	return namespace.ForEachSaved(ix, func(ns *namespace.Namespace) error {
		for _, a := range ns.Artifacts {
			keep[a.Signature] = true
		}
		return nil
	})
}

// RemoteGrace is how recent an unneeded object in a remote must be to be
// kept, unless told otherwise: a push beside the collection may be about
// to record it.
const RemoteGrace = time.Hour

// GCRemote collects the remote r as GC collects the store: it keeps what
// the kept commits this clone knows need, and drops every other record and
// object there. Nothing of other clones' refs is known here.
func GCRemote(ctx context.Context, ws *workspace.Workspace, r *remote.Remote, opts GCOptions, grace time.Duration) (*remote.CollectReport, *GCReport, error) {
	if opts.Keep == "" {
		opts.Keep = KeepAllRefs
	}
	rep := &GCReport{DryRun: opts.DryRun, Keep: opts.Keep, Skipped: []SkippedCommit{}, DroppedRecords: []RecordRef{}, Warnings: []string{}}
	keep, err := keptSignatures(ctx, ws, opts, rep)
	if err != nil {
		return nil, nil, err
	}
	pinned, err := keptPinnedObjects(ctx, ws, opts, rep)
	if err != nil {
		return nil, nil, err
	}
	col, err := r.Collect(ctx, ws.Local(), keep, pinned, grace, opts.DryRun)
	return col, rep, err
}
