package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// dirBackend is a remote in a plain folder: a shared disk, a mounted
// volume. gocloud's fileblob checks for an existing key and then renames
// over it, which two processes can both pass; a hard link from a complete
// temporary file fails atomically when the name is taken, which is what a
// lease needs.
type dirBackend struct {
	root string
}

func newDirBackend(root string) (*dirBackend, error) {
	if info, err := os.Stat(root); err == nil && !info.IsDir() {
		return nil, configError{fmt.Errorf("%s is a file, not a folder; point the remote's url at a folder", root)}
	}
	return &dirBackend{root: root}, nil
}

func (d *dirBackend) path(key string) string { return filepath.Join(d.root, filepath.FromSlash(key)) }

func (d *dirBackend) Exists(_ context.Context, key string) (bool, error) {
	_, err := os.Stat(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func (d *dirBackend) Open(_ context.Context, key string) (io.ReadCloser, error) {
	f, err := os.Open(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", key, ErrNotExist)
	}
	return f, err
}

// temp writes r to a temporary file beside the remote's keys, flushed, so
// that renaming or linking it publishes whole content.
func (d *dirBackend) temp(ctx context.Context, r io.Reader) (string, error) {
	dir := filepath.Join(d.root, "tmp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, "upload-")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, contextReader{ctx, r})
	if err == nil {
		err = f.Chmod(0o444)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func (d *dirBackend) Write(ctx context.Context, key string, r io.Reader, _ int64) error {
	tmp, err := d.temp(ctx, r)
	if err != nil {
		return err
	}
	dst := d.path(key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

func (d *dirBackend) Create(ctx context.Context, key string, data []byte) error {
	tmp, err := d.temp(ctx, bytes.NewReader(data))
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	dst := d.path(key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.Link(tmp, dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", key, ErrExists)
		}
		return err
	}
	return nil
}

func (d *dirBackend) Delete(_ context.Context, key string) error {
	err := os.Remove(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (d *dirBackend) List(ctx context.Context, prefix string, fn func(key string, size int64, written time.Time) error) error {
	root := d.path(prefix)
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !e.Type().IsRegular() {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil {
			return err
		}
		return fn(filepath.ToSlash(rel), info.Size(), info.ModTime())
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (d *dirBackend) Close() error { return nil }

// contextReader stops a copy once ctx is done.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
