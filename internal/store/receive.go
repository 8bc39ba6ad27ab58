package store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
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
	if s.Has(id) {
		return 0, nil
	}
	b := s.NewBatch()
	defer b.Abort()
	if size, err = b.Receive(ctx, id, r, sizeHint); err != nil {
		return size, err
	}
	return size, b.Commit(ctx)
}

// Batch receives objects one after the other and makes them durable and
// visible together: the flushes of a batch are issued side by side and
// share the filesystem's journal commits and the folders they update.
// Until Commit, nothing it received is in the store. One goroutine uses a
// batch at a time.
type Batch struct {
	b batch
	// buf holds a small object while it is checked and written, kept from
	// one object to the next: a fresh buffer each would be cleared by the
	// allocator and then collected, thousands of times in a folder fetch.
	buf bytes.Buffer
}

// NewBatch starts a batch of received objects.
func (s *Store) NewBatch() *Batch { return &Batch{b: batch{store: s}} }

// Commit makes every object received durable and visible.
func (b *Batch) Commit(ctx context.Context) error { return b.b.commit(ctx) }

// Abort drops what was received and not committed.
func (b *Batch) Abort() { b.b.abort() }

// Receive adds the bytes of r as the object id to the batch, checked as
// Store.Receive checks them; a failure leaves the batch as it was. Unlike
// Store.Receive it does not look whether the store holds id already: its
// caller, filling a batch from a list of missing objects, has looked just
// before, and a look per object is what a fetch of thousands of small
// files pays for. An object that is there after all is kept at Commit.
func (b *Batch) Receive(ctx context.Context, id string, r io.Reader, sizeHint int64) (size int64, err error) {
	s := b.b.store
	if !ValidID(id) {
		return 0, fmt.Errorf("receive object: %q is not a content id", id)
	}
	tmp, err := s.createTemp()
	if err != nil {
		return 0, fmt.Errorf("receive object %s: %w", id, err)
	}
	defer func() {
		tmp.Close()
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	var got string
	if sizeHint > 0 && sizeHint <= smallObject {
		got, size, err = copySmall(tmp, r, sizeHint, &b.buf)
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
	b.b.add(pendingObject{tmp: tmp.Name(), id: id})
	return size, nil
}

// copySmall reads r whole into buf, which it empties first, hashes it and
// writes it to dst in one write.
func copySmall(dst io.Writer, r io.Reader, sizeHint int64, buf *bytes.Buffer) (string, int64, error) {
	buf.Reset()
	buf.Grow(int(sizeHint) + bytes.MinRead)
	n, err := buf.ReadFrom(r)
	if err != nil {
		return "", n, err
	}
	if _, err := dst.Write(buf.Bytes()); err != nil {
		return "", n, err
	}
	return hashBytes(buf.Bytes()), n, nil
}
