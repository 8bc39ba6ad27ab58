package lake

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/git-dds/git-dds/internal/blake3"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/remote"
)

// Bounds of a listing: an output is many objects, but a listing is held
// in memory to be sorted, so a hostile or runaway prefix must end in an
// error rather than exhaust it.
const (
	MaxObjects   = 1_000_000
	maxKeyLength = 1024 // S3's own limit
	maxETag      = 256
)

// parquetMagic ends every Parquet file (and starts it).
const parquetMagic = "PAR1"

// Patterns compile on first use, not when the process starts: every hook
// and status starts this binary, and most never use them.
var (
	deltaLogPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^_delta_log/([0-9]{20})\.json$`) })
	icebergPattern  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^metadata/v?([0-9]+)[^/]*\.metadata\.json$`) })
)

// Object is one object of an output, its key relative to the output.
type Object struct {
	Key  string
	Size int64
	ETag string
}

// Listing is what an output holds, as a record keeps it.
type Listing struct {
	Count  int64
	Bytes  int64
	Digest string // BLAKE3 of the sorted keys, sizes and ETags
	// Pointer is, for a table, its current version: the newest
	// _delta_log entry of a Delta table, the newest metadata file of an
	// Iceberg table; "" for files and parquet.
	Pointer string
}

// List lists the objects under key (an output's prefix, ending in "/"),
// checking each key: relative to the prefix, it must be a clean path of
// at most 1024 bytes of UTF-8 without control characters, listed once.
// A listing of more than MaxObjects objects is refused.
func (l *Lake) List(ctx context.Context, key string) ([]Object, error) {
	var objects []Object
	seen := map[string]bool{}
	err := l.storage.List(ctx, key, func(o remote.Object) error {
		rel, ok := strings.CutPrefix(o.Key, key)
		if !ok {
			return fmt.Errorf("the lake listed %q under %s, which is not under it", clip(o.Key), key)
		}
		if err := checkKey(rel); err != nil {
			return fmt.Errorf("the lake listed an object under %s %w", key, err)
		}
		if seen[rel] {
			return fmt.Errorf("the lake listed %s under %s twice", rel, key)
		}
		if o.Size < 0 || len(o.ETag) > maxETag || strings.ContainsFunc(o.ETag, isControl) {
			return fmt.Errorf("the lake listed %s under %s with a size or an ETag that cannot be", rel, key)
		}
		if len(objects) >= MaxObjects {
			return fmt.Errorf("more than %d objects under %s: an output must hold fewer, or be written as a table", MaxObjects, key)
		}
		seen[rel] = true
		objects = append(objects, Object{Key: rel, Size: o.Size, ETag: o.ETag})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(objects, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return objects, nil
}

// checkKey refuses a key of a listing that is no clean relative path.
func checkKey(rel string) error {
	switch {
	case rel == "":
		return fmt.Errorf("with an empty name")
	case len(rel) > maxKeyLength:
		return fmt.Errorf("with a name over %d bytes", maxKeyLength)
	case !utf8.ValidString(rel) || strings.ContainsFunc(rel, isControl):
		return fmt.Errorf("%q whose name holds a control character or is not UTF-8", clip(rel))
	case strings.Contains(rel, `\`):
		return fmt.Errorf("%q whose name holds a backslash", clip(rel))
	}
	for seg := range strings.SplitSeq(rel, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%q that is no clean path", clip(rel))
		}
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// clip keeps a hostile name short in a message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// Digest is the BLAKE3 of a sorted listing: each key, size and ETag,
// each field ended by a NUL. Keys are relative to the output, so the
// digest does not depend on where the lake is.
func Digest(objects []Object) string {
	var buf bytes.Buffer
	for _, o := range objects {
		buf.WriteString(o.Key)
		buf.WriteByte(0)
		buf.WriteString(strconv.FormatInt(o.Size, 10))
		buf.WriteByte(0)
		buf.WriteString(o.ETag)
		buf.WriteByte(0)
	}
	sum := blake3.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:])
}

// Inspect lists the output at key and checks it for format: an empty
// output, or one that is not of its format, wraps ErrCheck.
func (l *Lake) Inspect(ctx context.Context, key, format string) (Listing, error) {
	objects, err := l.List(ctx, key)
	if err != nil {
		return Listing{}, err
	}
	if len(objects) == 0 {
		return Listing{}, fmt.Errorf("%w: the command wrote nothing to %s", ErrCheck, l.Root.URI(key))
	}
	li := Listing{Count: int64(len(objects)), Digest: Digest(objects)}
	for _, o := range objects {
		li.Bytes += o.Size
	}
	switch format {
	case pipeline.FormatParquet:
		err = l.checkParquet(ctx, key, objects)
	case pipeline.FormatDelta:
		li.Pointer, err = newest(objects, deltaLogPattern(), "a Delta table has _delta_log/NNNNNNNNNNNNNNNNNNNN.json")
	case pipeline.FormatIceberg:
		li.Pointer, err = newest(objects, icebergPattern(), "an Iceberg table has metadata/*.metadata.json")
	case pipeline.FormatFiles:
	default:
		err = fmt.Errorf("%w: format %q is unknown", ErrCheck, format)
	}
	if err != nil {
		return Listing{}, fmt.Errorf("%s: %w", l.Root.URI(key), err)
	}
	return li, nil
}

// checkParquet reads the last 4 bytes of each .parquet object, one ranged
// read each: a Parquet file ends with PAR1. Spark's markers (_SUCCESS) and
// checksums beside the data are not Parquet and are left alone; at least
// one .parquet object must be there.
func (l *Lake) checkParquet(ctx context.Context, key string, objects []Object) error {
	found := false
	for _, o := range objects {
		if path.Ext(o.Key) != ".parquet" {
			continue
		}
		found = true
		if o.Size < int64(2*len(parquetMagic)+4) {
			return fmt.Errorf("%w: %s is %d bytes, too small for a Parquet file", ErrCheck, o.Key, o.Size)
		}
		tail, err := l.storage.ReadRange(ctx, key+o.Key, o.Size-int64(len(parquetMagic)), int64(len(parquetMagic)))
		if err != nil {
			return err
		}
		if string(tail) != parquetMagic {
			return fmt.Errorf("%w: %s does not end with %s: it is no Parquet file, or was cut short", ErrCheck, o.Key, parquetMagic)
		}
	}
	if !found {
		return fmt.Errorf("%w: no .parquet object", ErrCheck)
	}
	return nil
}

// newest gives the key, among objects, that pattern matches with the
// highest version (its first group).
func newest(objects []Object, pattern *regexp.Regexp, want string) (string, error) {
	best, bestVersion := "", int64(-1)
	for _, o := range objects {
		m := pattern.FindStringSubmatch(o.Key)
		if m == nil {
			continue
		}
		v, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			continue // a version past int64 is no table's
		}
		if v > bestVersion || v == bestVersion && o.Key > best {
			best, bestVersion = o.Key, v
		}
	}
	if best == "" {
		return "", fmt.Errorf("%w: no table version found: %s", ErrCheck, want)
	}
	return best, nil
}

// Present reports whether the output at key (an output's prefix, ending
// in "/") is still in the lake, in one request, without listing it: for a
// table with a recorded pointer, a HEAD of the pointer; else a listing
// that stops at the first object. It says nothing of what the output
// holds: a full listing (fsck --external) compares that. pointer comes
// from a record, which may come from a remote: one that is not a version
// of format is refused rather than asked for.
func (l *Lake) Present(ctx context.Context, key, format, pointer string) (bool, error) {
	if pointer == "" {
		return l.storage.Any(ctx, key)
	}
	var pattern *regexp.Regexp
	switch format {
	case pipeline.FormatDelta:
		pattern = deltaLogPattern()
	case pipeline.FormatIceberg:
		pattern = icebergPattern()
	}
	if pattern == nil || !pattern.MatchString(pointer) || checkKey(pointer) != nil {
		return false, fmt.Errorf("the recorded pointer %q of %s is no version of a %s table", clip(pointer), l.Root.URI(key), format)
	}
	return l.storage.Exists(ctx, key+pointer)
}
