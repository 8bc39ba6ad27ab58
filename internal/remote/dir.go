package remote

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"
)

// dirBackend is a remote in a plain folder: a shared disk, a mounted
// volume. gocloud's fileblob checks for an existing key and then renames
// over it, which two processes can both pass; a hard link from a complete
// temporary file fails atomically when the name is taken, which is what a
// lease needs.
//
// The folder is as untrusted as a bucket: anyone who can write there can
// plant a symbolic link where a key's folder goes. Every access goes
// through an os.Root opened on the folder, which refuses to follow a link
// out of it, and every key is a clean relative path, so no key reads or
// writes anything outside the folder.
type dirBackend struct {
	root string
}

// ErrMissingFolder marks a folder remote whose folder does not exist.
var ErrMissingFolder = errors.New("missing remote folder")

// missingFolderError says which folder is missing and how to make it.
type missingFolderError struct{ root string }

func (e missingFolderError) Error() string {
	return fmt.Sprintf("the folder %s does not exist (a mistyped path, or a share that is not mounted?); create it with mkdir -p %s, or git dds push creates it", e.root, e.root)
}

func (e missingFolderError) Is(target error) bool { return target == ErrMissingFolder }

// newDirBackend opens the folder remote at root. A folder that does not
// exist is refused unless create is set (a push, which makes it): a
// mistyped path or a share that is not mounted must not pass for an empty
// remote.
func newDirBackend(root string, create bool) (*dirBackend, error) {
	info, err := os.Stat(root)
	switch {
	case err == nil && !info.IsDir():
		return nil, configError{fmt.Errorf("%s is a file, not a folder; point the remote's url at a folder", root)}
	case errors.Is(err, fs.ErrNotExist) && create:
		if err := os.MkdirAll(root, 0o755); err != nil {
			return nil, err
		}
	case errors.Is(err, fs.ErrNotExist):
		return nil, missingFolderError{root}
	case err != nil:
		return nil, err
	}
	return &dirBackend{root: root}, nil
}

// errBadKey marks a key that is not a clean path inside the remote.
var errBadKey = errors.New("not a clean relative key")

// checkKey admits slash-separated relative keys with no empty, "." or ".."
// segment and no NUL: keys that name a place inside the folder.
func checkKey(key string) error {
	if key == "" || strings.ContainsRune(key, 0) || strings.Contains(key, `\`) {
		return fmt.Errorf("key %q: %w", key, errBadKey)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("key %q: %w", key, errBadKey)
		}
	}
	return nil
}

// open opens the remote's folder as a root; create makes it first, for a
// write. A folder that does not exist holds no keys.
func (d *dirBackend) open(create bool) (*os.Root, error) {
	if create {
		if err := os.MkdirAll(d.root, 0o755); err != nil {
			return nil, err
		}
	}
	return os.OpenRoot(d.root)
}

func (d *dirBackend) Exists(_ context.Context, key string) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	r, err := d.open(false)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer r.Close()
	info, err := r.Stat(key)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil && info.Mode().IsRegular(), err
}

func (d *dirBackend) Open(_ context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	r, err := d.open(false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", key, ErrNotExist)
	}
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.Open(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", key, ErrNotExist)
	}
	if err != nil {
		return nil, err
	}
	// A key is a file: a folder, a FIFO or a device planted under its
	// name would hang or mislead the reader.
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = fmt.Errorf("%s is not a regular file", key)
		}
		return nil, err
	}
	return f, nil
}

// temp writes r to a temporary file beside the remote's keys, flushed, so
// that renaming or linking it publishes whole content. It gives the
// file's name inside the root.
func (d *dirBackend) temp(ctx context.Context, root *os.Root, r io.Reader) (string, error) {
	if err := root.MkdirAll("tmp", 0o755); err != nil {
		return "", err
	}
	var random [8]byte
	_, _ = rand.Read(random[:])
	name := "tmp/upload-" + hex.EncodeToString(random[:])
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
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
		_ = root.Remove(name)
		return "", err
	}
	return name, nil
}

func (d *dirBackend) Write(ctx context.Context, key string, r io.Reader, _ int64) error {
	if err := checkKey(key); err != nil {
		return err
	}
	root, err := d.open(true)
	if err != nil {
		return err
	}
	defer root.Close()
	tmp, err := d.temp(ctx, root, r)
	if err != nil {
		return err
	}
	if err := root.MkdirAll(path.Dir(key), 0o755); err != nil {
		_ = root.Remove(tmp)
		return err
	}
	if err := root.Rename(tmp, key); err != nil {
		_ = root.Remove(tmp)
		return err
	}
	return nil
}

func (d *dirBackend) Create(ctx context.Context, key string, data []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	root, err := d.open(true)
	if err != nil {
		return err
	}
	defer root.Close()
	tmp, err := d.temp(ctx, root, bytes.NewReader(data))
	if err != nil {
		return err
	}
	defer root.Remove(tmp)
	if err := root.MkdirAll(path.Dir(key), 0o755); err != nil {
		return err
	}
	if err := root.Link(tmp, key); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", key, ErrExists)
		}
		return err
	}
	return nil
}

func (d *dirBackend) Delete(_ context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	root, err := d.open(false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer root.Close()
	err = root.Remove(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// List walks the folder of prefix inside the root. It reports regular
// files only, and follows no symbolic link: a key listed is a file that
// is really there.
func (d *dirBackend) List(ctx context.Context, prefix string, fn func(key string, size int64, written time.Time) error) error {
	dir := strings.TrimSuffix(prefix, "/")
	if dir == "" {
		dir = "." // the whole folder: a lake's collection lists it
	} else if err := checkKey(dir); err != nil {
		return err
	}
	root, err := d.open(false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer root.Close()
	err = fs.WalkDir(root.FS(), dir, func(p string, e fs.DirEntry, err error) error {
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
		return fn(p, info.Size(), info.ModTime())
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
