package store

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/zeebo/blake3"
)

// smallObject is the size up to which a received object is read whole into
// memory and hashed in one go: cheaper, for the many small files of a
// folder output, than streaming them through the hashing pipeline.
const smallObject = 4 << 20

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
	var got string
	if sizeHint > 0 && sizeHint <= smallObject {
		got, size, err = copySmall(tmp, r, sizeHint)
	} else {
		var dst io.Writer = tmp
		if !s.lazy {
			dst = newWritebackWriter(tmp)
		}
		got, size, err = hashCopy(ctx, r, dst, sizeHint)
	}
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

// copySmall reads r whole, hashes it and writes it to dst in one write.
func copySmall(dst io.Writer, r io.Reader, sizeHint int64) (string, int64, error) {
	var buf bytes.Buffer
	buf.Grow(int(sizeHint) + bytes.MinRead)
	n, err := buf.ReadFrom(r)
	if err != nil {
		return "", n, err
	}
	sum := blake3.Sum256(buf.Bytes())
	if _, err := dst.Write(buf.Bytes()); err != nil {
		return "", n, err
	}
	return hex.EncodeToString(sum[:]), n, nil
}
