package remote

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/git-dds/git-dds/internal/blake3"
	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/store"
)

// CollectReport is what a collection of a remote kept and dropped; with
// a dry run, what it would drop.
type CollectReport struct {
	Remote         string   `json:"remote"`
	KeptRecords    int      `json:"kept_records"`
	DroppedRecords []string `json:"dropped_records"`
	KeptObjects    int      `json:"kept_objects"`
	RemovedObjects int      `json:"removed_objects"`
	FreedBytes     int64    `json:"freed_bytes"`
	// RecentObjects counts objects no kept record needs that were written
	// within the grace period: a push may be about to record them.
	RecentObjects int `json:"recent_objects"`
}

// Collect deletes from the remote every record whose signature keep does
// not hold, then every object that no kept record needs and keepObjects
// (the files of local pins) does not hold, except objects written less
// than grace ago. Records go first, so that no record ever names a
// missing object. It forgets what the index remembered of the remote.
//
// What other clones need but this one does not know of goes too: a branch
// never pushed, a teammate's work in progress. And a push running beside
// it may find an object present just before it goes, then record it; the
// grace period narrows that window but cannot close it.
func (r *Remote) Collect(ctx context.Context, local Local, keep, keepObjects map[string]bool, grace time.Duration, dryRun bool) (*CollectReport, error) {
	started := time.Now()
	rep := &CollectReport{Remote: r.Name, DroppedRecords: []string{}}
	var kept []string
	err := r.backend.List(ctx, "records/", func(key string, _ int64, _ time.Time) error {
		sig, ok := strings.CutPrefix(key, "records/")
		if !ok {
			return nil // a listing is the remote's word: only its keys under records/ are records
		}
		if keep[sig] {
			kept = append(kept, sig)
		} else {
			rep.DroppedRecords = append(rep.DroppedRecords, sig)
		}
		return nil
	})
	if err != nil {
		return nil, r.fail("listing records", err)
	}
	rep.KeptRecords = len(kept)

	needed, err := r.neededObjects(ctx, kept)
	if err != nil {
		return nil, err
	}
	type garbage struct {
		key  string
		size int64
	}
	var drop []garbage
	err = r.backend.List(ctx, "objects/", func(key string, size int64, written time.Time) error {
		if !strings.HasPrefix(key, "objects/") {
			return nil
		}
		id := key[strings.LastIndexByte(key, '/')+1:]
		switch {
		case needed[id], keepObjects[id]:
			rep.KeptObjects++
		case started.Sub(written) < grace:
			rep.RecentObjects++
		default:
			drop = append(drop, garbage{key, size})
		}
		return nil
	})
	if err != nil {
		return nil, r.fail("listing objects", err)
	}
	for _, g := range drop {
		rep.FreedBytes += g.size
	}
	rep.RemovedObjects = len(drop)
	if dryRun {
		return rep, nil
	}

	if err := r.each(ctx, len(rep.DroppedRecords), func(ctx context.Context, i int) error {
		return r.fail("deleting a record", r.backend.Delete(ctx, recordKey(rep.DroppedRecords[i])))
	}); err != nil {
		return rep, err
	}
	keptSet := make(map[string]bool, len(kept))
	for _, sig := range kept {
		keptSet[sig] = true
	}
	if err := r.dropContentKeys(ctx, keptSet); err != nil {
		return rep, err
	}
	// What interrupted uploads to a folder remote left behind (a bucket
	// has no such folder: its unfinished multipart uploads are the
	// bucket's lifecycle rules' to end).
	err = r.backend.List(ctx, "tmp/", func(key string, size int64, written time.Time) error {
		if strings.HasPrefix(key, "tmp/") && started.Sub(written) >= grace {
			drop = append(drop, garbage{key, size})
		}
		return nil
	})
	if err != nil {
		return rep, r.fail("listing temporary uploads", err)
	}
	if err := r.each(ctx, len(drop), func(ctx context.Context, i int) error {
		return r.fail("deleting "+drop[i].key, r.backend.Delete(ctx, drop[i].key))
	}); err != nil {
		return rep, err
	}
	return rep, r.forgetAll(ctx, local)
}

// neededObjects reads the kept records, and the manifests of their folder
// outputs, and gives every object they name.
func (r *Remote) neededObjects(ctx context.Context, sigs []string) (map[string]bool, error) {
	needed := map[string]bool{}
	var mu sync.Mutex
	add := func(id string) {
		mu.Lock()
		needed[id] = true
		mu.Unlock()
	}
	err := r.each(ctx, len(sigs), func(ctx context.Context, i int) error {
		rec, err := r.record(ctx, sigs[i], nil)
		if errors.Is(err, ErrNotExist) {
			return nil // deleted since it was listed
		}
		if err != nil {
			return err
		}
		for _, o := range rec.Outputs {
			add(o.ContentID)
			if !o.Dir {
				continue
			}
			m, err := r.manifest(ctx, o.ContentID)
			if err != nil {
				return err
			}
			for _, e := range m.Entries {
				if !e.IsDir() {
					add(e.ID)
				}
			}
		}
		return nil
	})
	return needed, err
}

// manifest reads a folder manifest from the remote, checked against its id.
func (r *Remote) manifest(ctx context.Context, id string) (store.Manifest, error) {
	rc, err := r.backend.Open(ctx, objectKey(id))
	if err != nil {
		return store.Manifest{}, r.fail("reading manifest "+id, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, store.MaxManifestSize+1))
	if err != nil {
		return store.Manifest{}, r.fail("reading manifest "+id, err)
	}
	if len(data) > store.MaxManifestSize {
		return store.Manifest{}, fmt.Errorf("%w: object %s in remote %s (key %s) is over %d bytes, too large for a folder manifest", ErrCorrupt, id, r.Where(), objectKey(id), store.MaxManifestSize)
	}
	sum := blake3.Sum256(data)
	if hex.EncodeToString(sum[:]) != id {
		return store.Manifest{}, fmt.Errorf("%w: manifest %s in remote %s (key %s) was changed or damaged there; mend it with git dds push --force from a clone that has it", ErrCorrupt, id, r.Where(), objectKey(id))
	}
	m, err := store.DecodeManifest(data)
	if err != nil {
		return store.Manifest{}, fmt.Errorf("%w: object %s in remote %s (key %s) is not a folder manifest: %v", ErrCorrupt, id, r.Where(), objectKey(id), err)
	}
	return m, nil
}

// forgetAll drops everything the index remembers of the remote.
func (r *Remote) forgetAll(ctx context.Context, local Local) error {
	if err := r.forgetMarks(local); err != nil {
		return err
	}
	var keys []index.RemoteKey
	err := local.WithIndex(ctx, func(ix *index.Index) error {
		return ix.RemoteKeys(r.cacheID, func(key index.RemoteKey) error {
			keys = append(keys, key)
			return nil
		})
	})
	if err != nil {
		return err
	}
	return inBatches(ctx, local, keys, (*index.Batch).ForgetRemoteHolds)
}
