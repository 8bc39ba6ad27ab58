package maintenance

import (
	"context"
	"fmt"
	"time"

	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/lake"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/workspace"
)

// LakeReport is what gc --lake kept and removed; with DryRun, what it
// would remove.
type LakeReport struct {
	DryRun bool   `json:"dry_run"`
	Lake   string `json:"lake"`
	// Kept counts the attempts kept: recorded for a kept signature, or
	// recent, or being written.
	KeptPrefixes int   `json:"kept_prefixes"`
	KeptBytes    int64 `json:"kept_bytes"`
	// DroppedRecords are the records of signatures no kept ref needs whose
	// external outputs went.
	DroppedRecords []RecordRef `json:"dropped_records"`
	// Removed are the URIs of the attempts removed.
	Removed        []string `json:"removed"`
	RemovedObjects int64    `json:"removed_objects"`
	FreedBytes     int64    `json:"freed_bytes"`
	// RecentPrefixes counts the attempts no record names that were kept
	// for being younger than the grace, or for a run holding their
	// signature's lock.
	RecentPrefixes int `json:"recent_prefixes"`
	// LeasedPrefixes counts the attempts no record names that were kept
	// because a run, on any machine, holds the lease on their signature
	// in the remote runs share.
	LeasedPrefixes int `json:"leased_prefixes"`
}

// GCLake collects the lake as gc collects the store: the records of the
// external outputs no kept commit needs (the same keep rules) go first,
// then their attempts' prefixes, then every attempt no record names that
// is older than grace and whose signature no run holds: neither a run on
// this machine (its lock) nor one anywhere sharing ws.Remote (its lease).
// Keys of any other shape (views, other people's data) are never touched.
func GCLake(ctx context.Context, ws *workspace.Workspace, opts GCOptions, grace time.Duration) (*LakeReport, error) {
	if opts.Keep == "" {
		opts.Keep = KeepAllRefs
	}
	gcRep := &GCReport{Skipped: []SkippedCommit{}}
	keep, err := keptSignatures(ctx, ws, opts, gcRep)
	if err != nil {
		return nil, err
	}
	view, err := namespace.Load(ctx, ws.Repo, namespace.WorktreeRev, ws.Env)
	if err != nil {
		return nil, err
	}
	root, err := ws.LakeRoot(view.Pipeline)
	if err != nil {
		return nil, err
	}
	l, err := lake.Open(ctx, root)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	rep := &LakeReport{DryRun: opts.DryRun, Lake: root.URL, DroppedRecords: []RecordRef{}, Removed: []string{}}
	// The listing comes before the records are read: an attempt recorded
	// meanwhile is then known as recorded, never taken for an orphan.
	started := time.Now()
	attempts, err := l.Attempts(ctx)
	if err != nil {
		return nil, err
	}
	recorded := map[string]bool{} // attempt keys a kept record names
	dropped := map[string]bool{}  // attempt keys a dropped record names
	var drop []RecordRef
	// The records are read, then the leases asked, then the records
	// deleted: the index is never held open across network requests.
	err = ws.WithIndexRead(ctx, func(ix *index.Index) error {
		if ws.Settings.Dir.Set() {
			if err := savedNamespaces(ix, keep); err != nil {
				return err
			}
		}
		return ix.ForEach(func(rec *signature.Record) error {
			if len(rec.External) == 0 {
				return nil
			}
			if !keep[rec.Signature] {
				drop = append(drop, refOf(rec))
				for _, out := range rec.External {
					dropped[lake.OutputKey(rec.Signature, out.Attempt, out.Name)] = true
				}
				return nil
			}
			for _, out := range rec.External {
				recorded[lake.OutputKey(rec.Signature, out.Attempt, out.Name)] = true
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	sortRefs(drop)
	rep.DroppedRecords = append(rep.DroppedRecords, drop...)
	leased, err := leasedSignatures(ctx, ws, attempts, func(a *lake.Attempt) bool {
		key := a.Key()
		return !recorded[key] && !dropped[key] && !ws.SignatureBusy(a.Signature) && started.Sub(a.Newest) >= grace
	})
	if err != nil {
		return nil, err
	}
	if !opts.DryRun && len(drop) > 0 {
		// Records first: a record whose prefix is gone would pass for a
		// computation.
		if err := ws.WithIndex(ctx, func(ix *index.Index) error { return deleteRecords(ix, drop) }); err != nil {
			return nil, err
		}
	}
	for _, a := range attempts {
		key := a.Key()
		switch {
		case recorded[key]:
			rep.KeptPrefixes++
			rep.KeptBytes += a.Bytes
			continue
		case dropped[key]:
			// The prefix of a computation no kept ref needs: it goes
			// whatever its age.
		case ws.SignatureBusy(a.Signature) || started.Sub(a.Newest) < grace:
			rep.RecentPrefixes++
			rep.KeptPrefixes++
			rep.KeptBytes += a.Bytes
			continue
		case leased[a.Signature]:
			rep.LeasedPrefixes++
			rep.KeptPrefixes++
			rep.KeptBytes += a.Bytes
			continue
		}
		rep.Removed = append(rep.Removed, root.URI(key))
		rep.RemovedObjects += a.Objects
		rep.FreedBytes += a.Bytes
		if opts.DryRun {
			continue
		}
		if err := l.DeleteAttempt(ctx, key); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// leasedSignatures asks the remote runs share (ws.Remote) whether a live
// lease holds the signature of each attempt orphan reports true for: a
// run on another machine is writing it, and no local lock can say so.
// One request per signature; none without a remote. A remote that does
// not answer stops gc before anything is deleted, since an attempt being
// written cannot be told from an orphan without it.
func leasedSignatures(ctx context.Context, ws *workspace.Workspace, attempts []*lake.Attempt, orphan func(*lake.Attempt) bool) (map[string]bool, error) {
	leased := map[string]bool{}
	if ws.Remote == nil {
		return leased, nil
	}
	asked := map[string]bool{}
	for _, a := range attempts {
		if asked[a.Signature] || !orphan(a) {
			continue
		}
		asked[a.Signature] = true
		h, err := ws.Remote.LeaseHolder(ctx, a.Signature)
		if err != nil {
			return nil, fmt.Errorf("asking whether a run holds the lease on %s, whose attempt %s no record names: %w; "+
				"nothing was deleted: run git dds gc --lake again once the remote answers", a.Signature, a.Attempt, err)
		}
		leased[a.Signature] = h != nil
	}
	return leased, nil
}
