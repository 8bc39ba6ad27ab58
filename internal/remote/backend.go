package remote

import (
	"context"
	"errors"
	"io"
	"time"
)

var (
	// ErrNotExist marks a key the remote does not hold.
	ErrNotExist = errors.New("not in the remote")
	// ErrExists marks a conditional create that found the key taken.
	ErrExists = errors.New("already in the remote")
)

// Backend is where a remote keeps its keys: a bucket, or a folder. Keys are
// slash-separated paths under the remote's prefix.
type Backend interface {
	// Exists reports whether key is there.
	Exists(ctx context.Context, key string) (bool, error)
	// Open reads key; a missing key wraps ErrNotExist.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Write stores the size bytes of r at key, replacing what was there. A
	// reader of key sees the old content or the new, whole, never a part:
	// an interrupted write leaves the old.
	Write(ctx context.Context, key string, r io.Reader, size int64) error
	// Create stores data at key only when key does not exist, atomically
	// against every other writer; otherwise it wraps ErrExists.
	Create(ctx context.Context, key string, data []byte) error
	// Delete removes key; a missing key is no error.
	Delete(ctx context.Context, key string) error
	// List calls fn with every key under prefix, its size and when it was
	// last written, in no particular order.
	List(ctx context.Context, prefix string, fn func(key string, size int64, written time.Time) error) error
	Close() error
}
