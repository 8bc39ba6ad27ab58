package remote

import (
	"context"
	"errors"
	"fmt"

	"github.com/git-dds/git-dds/internal/signature"
)

// Peek brings the objects of a few small outputs of the computation of
// sig (the metrics files of a stage, for instance) into the local store,
// without the computation's other outputs: it returns the record, checked
// as Fetch checks it against outs (the stage's declared outputs), and the
// outputs at paths that are now in the local store. The computation is not
// recorded in the index, since its other outputs are not here: git dds
// fetch brings it whole. Outputs over maxSize, and folders, are left out.
// A signature the remote lacks gives a nil record.
func (r *Remote) Peek(ctx context.Context, local Local, sig string, outs, paths []string, maxSize int64) (*signature.Record, []signature.Output, error) {
	rec, err := r.record(ctx, sig, outs)
	if err != nil {
		if errors.Is(err, ErrNotExist) {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	wanted := make(map[string]bool, len(paths))
	for _, p := range paths {
		wanted[p] = true
	}
	var got []signature.Output
	for _, o := range rec.Outputs {
		if !wanted[o.Path] || o.Dir || o.Size > maxSize {
			continue
		}
		if !local.Store.Has(o.ContentID) {
			if _, err := r.download(ctx, local.Store, o.ContentID, exactly(o.Size), nil); err != nil {
				return nil, nil, fmt.Errorf("reading %s of the computation %s: %w", o.Path, sig, err)
			}
		}
		got = append(got, o)
	}
	return rec, got, nil
}
