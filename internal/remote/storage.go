package remote

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// Storage is a bucket or a folder opened by URL through the same drivers,
// settings checks and credential handling as a remote, for a layout that
// is not a remote's: the lake, where stages write their external outputs.
// Keys are slash-separated paths under the URL's prefix.
type Storage struct {
	backend Backend
	where   string // the URL, and the endpoint, for messages
	scheme  string
}

// Place is where a Storage is: its URL, and for s3:// its endpoint and
// region. Setting names the setting the URL came from, for messages.
type Place struct {
	URL, Endpoint, Region string
	Setting               string
}

// Object is one key of a listing.
type Object struct {
	Key     string
	Size    int64
	Written time.Time
	// ETag identifies the content as the store does: S3's ETag, else an
	// MD5 the driver gives; "" when it gives none (a folder).
	ETag string
}

// OpenStorage opens the bucket or folder of p. Like Open, it reaches no
// network yet; a folder must exist.
func OpenStorage(ctx context.Context, p Place) (*Storage, error) {
	loc, err := ParseURL(p.URL)
	if err != nil {
		return nil, configError{fmt.Errorf("%s: %w", p.Setting, err)}
	}
	cfg := Config{Name: p.Setting, URL: p.URL, Endpoint: p.Endpoint, Region: p.Region}
	if err := checkEndpoint(cfg); err != nil {
		return nil, err
	}
	where := Redact(p.URL)
	if p.Endpoint != "" {
		where += " at " + Redact(p.Endpoint)
	}
	var b Backend
	if loc.Scheme == "file" {
		if p.Endpoint != "" {
			return nil, configError{fmt.Errorf("%s: an endpoint applies to s3:// only", p.Setting)}
		}
		b, err = newDirBackend(filepath.FromSlash(loc.Prefix), false)
	} else {
		b, err = openBlob(ctx, loc, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", where, err)
	}
	return &Storage{backend: b, where: where, scheme: loc.Scheme}, nil
}

// Close releases the connection.
func (s *Storage) Close() error { return s.backend.Close() }

// fail names the storage and what was done, and turns a refusal of the
// credentials into the message that says where they come from.
func (s *Storage) fail(op string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, ErrNotExist) {
		return err
	}
	if s.scheme != "file" {
		if trouble := credentialTrouble(err); trouble != "" {
			return &CredentialsError{Where: s.where, Trouble: trouble, From: credentialSources(s.scheme)}
		}
	}
	return &Error{Where: s.where, Op: op, Err: err}
}

// List calls fn with every object under prefix (a folder: it ends in
// "/"), in no particular order. The keys are as the store gives them:
// the caller checks them.
func (s *Storage) List(ctx context.Context, prefix string, fn func(Object) error) error {
	var err error
	switch b := s.backend.(type) {
	case *blobBackend:
		err = b.listObjects(ctx, prefix, fn)
	default:
		err = s.backend.List(ctx, prefix, func(key string, size int64, written time.Time) error {
			// A folder has no ETag: its files' size and modification
			// time stand for their content, as they do for git's index.
			if err := fn(Object{Key: key, Size: size, Written: written, ETag: "mtime:" + strconv.FormatInt(written.UnixNano(), 10)}); err != nil {
				return stopError{err}
			}
			return nil
		})
	}
	var stop stopError
	if errors.As(err, &stop) {
		return stop.error
	}
	return s.fail("listing "+prefix, err)
}

// stopError carries an error of fn through the drivers' listing, so that
// it is not told as a failure of the store.
type stopError struct{ error }

// Any reports whether anything is under prefix (a folder: it ends in
// "/"): on a bucket one listing request for a few keys, not the whole
// prefix; in a folder a walk that stops at the first file. A key ending
// in "/" is a folder marker some tools leave behind, not data: it does
// not count.
func (s *Storage) Any(ctx context.Context, prefix string) (bool, error) {
	var found bool
	var err error
	switch b := s.backend.(type) {
	case *blobBackend:
		found, err = b.any(ctx, prefix)
	default:
		err = s.backend.List(ctx, prefix, func(string, int64, time.Time) error { return errFound })
		if errors.Is(err, errFound) {
			found, err = true, nil
		}
	}
	return found, s.fail("listing "+prefix, err)
}

// errFound stops a listing at its first key.
var errFound = errors.New("found")

// anyPage is how many keys Any asks a bucket for: a few, so that folder
// markers at the front of a listing do not take a second request.
const anyPage = 8

func (b *blobBackend) any(ctx context.Context, prefix string) (bool, error) {
	token := blob.FirstPageToken
	for {
		page, next, err := b.bucket.ListPage(ctx, token, anyPage, &blob.ListOptions{Prefix: prefix})
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		for _, obj := range page {
			if !obj.IsDir && !strings.HasSuffix(obj.Key, "/") {
				return true, nil
			}
		}
		if len(next) == 0 {
			return false, nil
		}
		token = next
	}
}

// Exists reports whether key is there: one HEAD request.
func (s *Storage) Exists(ctx context.Context, key string) (bool, error) {
	ok, err := s.backend.Exists(ctx, key)
	return ok, s.fail("looking for "+key, err)
}

// ReadRange reads length bytes of key from offset: one ranged GET.
func (s *Storage) ReadRange(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	var data []byte
	var err error
	switch b := s.backend.(type) {
	case *blobBackend:
		data, err = b.readRange(ctx, key, offset, length)
	case *dirBackend:
		data, err = b.readRange(key, offset, length)
	default:
		err = fmt.Errorf("no ranged reads from %s", s.where)
	}
	return data, s.fail("reading "+key, err)
}

// ReadAll reads key whole, refusing more than limit bytes.
func (s *Storage) ReadAll(ctx context.Context, key string, limit int64) ([]byte, error) {
	r, err := s.backend.Open(ctx, key)
	if err != nil {
		return nil, s.fail("reading "+key, err)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, s.fail("reading "+key, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s in %s is over %d bytes", key, s.where, limit)
	}
	return data, nil
}

// Put stores data at key: a reader sees the old content or the new, never
// a part (one PUT on a bucket; a temporary file renamed in a folder).
func (s *Storage) Put(ctx context.Context, key string, data []byte) error {
	return s.fail("writing "+key, s.backend.Write(ctx, key, bytes.NewReader(data), int64(len(data))))
}

// Delete removes key; a missing key is no error.
func (s *Storage) Delete(ctx context.Context, key string) error {
	return s.fail("deleting "+key, s.backend.Delete(ctx, key))
}

func (b *blobBackend) listObjects(ctx context.Context, prefix string, fn func(Object) error) error {
	it := b.bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := nextObject(ctx, it)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if obj.IsDir {
			continue
		}
		o := Object{Key: obj.Key, Size: obj.Size, Written: obj.ModTime}
		var s3obj s3types.Object
		switch {
		case obj.As(&s3obj) && s3obj.ETag != nil:
			o.ETag = strings.Trim(*s3obj.ETag, `"`)
		case obj.MD5 != nil:
			o.ETag = hex.EncodeToString(obj.MD5)
		}
		if err := fn(o); err != nil {
			return stopError{err}
		}
	}
}

func (b *blobBackend) readRange(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	r, err := b.bucket.NewRangeReader(ctx, key, offset, length, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, fmt.Errorf("%s: %w", key, ErrNotExist)
	}
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, length))
}

func (d *dirBackend) readRange(key string, offset, length int64) ([]byte, error) {
	f, err := d.Open(context.Background(), key)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ra, ok := f.(io.ReaderAt)
	if !ok {
		return nil, fmt.Errorf("%s cannot be read in part", key)
	}
	buf := make([]byte, length)
	n, err := ra.ReadAt(buf, offset)
	if errors.Is(err, io.EOF) || errors.Is(err, fs.ErrClosed) {
		err = nil
	}
	return buf[:n], err
}

// Prune removes the empty folders under prefix (a folder) and the empty
// folders above it up to the root, as a bucket has no folders to leave
// behind once their keys are deleted. It does nothing on a bucket.
func (s *Storage) Prune(ctx context.Context, prefix string) error {
	d, ok := s.backend.(*dirBackend)
	if !ok {
		return nil
	}
	dir := strings.TrimSuffix(prefix, "/")
	if err := checkKey(dir); err != nil {
		return err
	}
	root, err := d.open(false)
	if err != nil {
		return nil
	}
	defer root.Close()
	var dirs []string
	_ = fs.WalkDir(root.FS(), dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			dirs = append(dirs, p)
		}
		return ctx.Err()
	})
	// Deepest first; a folder that still holds something stays.
	for i := len(dirs) - 1; i >= 0; i-- {
		_ = root.Remove(dirs[i])
	}
	for parent := path.Dir(dir); parent != "." && parent != "/"; parent = path.Dir(parent) {
		if root.Remove(parent) != nil {
			break
		}
	}
	return nil
}
