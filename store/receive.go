package store

import (
	"context"
	"fmt"
	"io"
)

// Receive stores the bytes of r as the object id, checking them against id
// as they arrive: content from elsewhere (a remote) is trusted only once it
// hashes to the name it came under. A mismatch wraps ErrCorrupt and leaves
// the store as it was. An object already stored is kept and r is not read.
// sizeHint, the expected size or 0, sizes the buffers.
func (s *Store) Receive(ctx context.Context, id string, r io.Reader, sizeHint int64) (size int64, err error) {
	if !ValidID(id) {
		return 0, fmt.Errorf("receive object: %q is not a content id", id)
	}
	if s.Has(id) {
		return 0, nil
	}
	b := &batch{store: s}
	defer b.abort()
	tmp, err := s.createTemp()
	if err != nil {
		return 0, fmt.Errorf("receive object %s: %w", id, err)
	}
	b.add(pendingObject{tmp: tmp.Name()})
	defer tmp.Close()
	var dst io.Writer = tmp
	if !s.lazy {
		dst = newWritebackWriter(tmp)
	}
	got, size, err := hashCopy(ctx, r, dst, sizeHint)
	if err != nil {
		return size, fmt.Errorf("receive object %s: %w", id, err)
	}
	if got != id {
		return size, fmt.Errorf("the content received for object %s hashes to %s: %w", id, got, ErrCorrupt)
	}
	if err := tmp.Chmod(objectPerm); err != nil {
		return size, err
	}
	if err := tmp.Close(); err != nil {
		return size, err
	}
	b.last().id = id
	if err := b.commit(ctx); err != nil {
		return size, fmt.Errorf("receive object %s: %w", id, err)
	}
	return size, nil
}
