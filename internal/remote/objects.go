package remote

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/store"
)

// PushObjects uploads the objects of the local store named by ids that
// the remote may lack: files that no record names, such as those of git
// dds's local pins. Each is hashed on the way, as Push does.
func (r *Remote) PushObjects(ctx context.Context, local Local, ids []string) (*Transfer, error) {
	size := make(map[string]int64, len(ids))
	for _, id := range ids {
		info, err := os.Stat(local.Store.Path(id))
		if err != nil {
			return nil, fmt.Errorf("object %s: %w", id, err)
		}
		size[id] = info.Size()
	}
	missing, err := r.missingObjects(ctx, local, ids, size)
	if err != nil {
		return nil, err
	}
	t := &Transfer{}
	err = r.each(ctx, len(missing), func(ctx context.Context, i int) error {
		return r.upload(ctx, local.Store, missing[i], size[missing[i]], nil)
	})
	if err != nil {
		return t, err
	}
	for _, id := range missing {
		t.Objects++
		t.Bytes += size[id]
	}
	keys := make([]index.RemoteKey, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, r.cacheObjectKey(id))
	}
	return t, r.remember(ctx, local, keys)
}

// FetchObjects downloads the objects of want (id to size, as a pin states
// them) that the local store lacks, each checked against its id and its
// exact size. The ids the remote lacks are in missing, not an error.
func (r *Remote) FetchObjects(ctx context.Context, local Local, want map[string]int64) (_ *Transfer, missing []string, _ error) {
	var ids []string
	for id := range want {
		if !store.ValidID(id) {
			return nil, nil, fmt.Errorf("%q is not a content id", id)
		}
		if !local.Store.Has(id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	t := &Transfer{}
	errs := make([]error, len(ids))
	got := make([]int64, len(ids))
	absent := make([]bool, len(ids))
	err := r.each(ctx, len(ids), func(ctx context.Context, i int) error {
		ok, err := r.backend.Exists(ctx, objectKey(ids[i]))
		if err != nil {
			errs[i] = r.fail("looking up object "+ids[i], err)
			return nil
		}
		if !ok {
			absent[i] = true
			return nil
		}
		got[i], errs[i] = r.download(ctx, local.Store, ids[i], exactly(want[ids[i]]), nil)
		return nil
	})
	for i, id := range ids {
		switch {
		case absent[i]:
			missing = append(missing, id)
		case errs[i] == nil && err == nil:
			t.Objects++
			t.Bytes += got[i]
		}
	}
	return t, missing, errors.Join(append(errs, err)...)
}
