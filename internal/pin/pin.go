// Package pin reads, checks and writes pin files: small committed text
// files that stand, in git and in signatures, for data git never holds.
//
// A pin of a source on object storage (or in a folder) names its URL and
// what a listing of it found: each object's key, size, ETag and, where
// the bucket keeps versions, version id, with a digest over them. Where
// the source is a Delta table or an Iceberg table, the pin names the
// table's newest log or metadata object instead of every data file, which
// the table's own log makes immutable.
//
// A pin of a local file (the file is too big for git, and lives in the
// git dds store and remote) names the file, beside the pin, by path,
// content id and size.
//
// The format is line-oriented, so that git diffs and merges it well and
// a refusal names its line:
//
//	# comment
//	pin 1
//	kind listing|delta|iceberg|file
//	url s3://bucket/prefix/            (listing, delta, iceberg)
//	objects N                          (listing, delta, iceberg)
//	bytes N                            (listing, delta, iceberg)
//	digest <64 hex>                    (listing, delta, iceberg)
//	pointer KEY                        (delta, iceberg)
//	object SIZE ETAG VERSION KEY       (one per object, by key; "-" for none)
//	path NAME                          (file)
//	id <64 hex>                        (file)
//	size N                             (file)
//
// A pin file is committed by anyone with push access and read by every
// clone: it is hostile, and Parse refuses anything it does not expect.
package pin

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/git-dds/git-dds/internal/blake3"
)

// Suffix ends the name of every pin file.
const Suffix = ".pin"

// Version is the format this package writes and reads.
const Version = 1

// Kind is what a pin stands for.
type Kind string

const (
	// Listing is every object under a prefix.
	Listing Kind = "listing"
	// Delta is a Delta table: its newest _delta_log version.
	Delta Kind = "delta"
	// Iceberg is an Iceberg table: its newest metadata file.
	Iceberg Kind = "iceberg"
	// File is a local file kept in the store.
	File Kind = "file"
)

// Bounds on what a pin file may hold. A pin is read by every status and
// every hook: a file of a few MiB at most.
const (
	// DefaultMaxObjects is how many objects a listing pin holds unless
	// told otherwise; git dds pin refuses a source with more.
	DefaultMaxObjects = 100_000
	// MaxFileBytes bounds a pin file read from a tree.
	MaxFileBytes = 32 << 20
	// MaxSize bounds one object's or one pinned file's size: 16 TiB.
	MaxSize = 1 << 44
	maxKey  = 1024
	maxTag  = 1024
	maxURL  = 2048
	maxPath = 4096
)

// ErrInvalid marks a pin file that is refused.
var ErrInvalid = errors.New("not a valid pin file")

// Object is one object of a listing.
type Object struct {
	Key     string // relative to the pinned prefix, slash-separated
	Size    int64
	ETag    string // "" when the store gives none
	Version string // "" when the bucket keeps no versions
}

// Pin is the content of one pin file.
type Pin struct {
	Kind Kind

	// Listing, Delta, Iceberg.
	URL     string
	Objects []Object // sorted by key
	Pointer string   // Delta, Iceberg: the key of the newest log or metadata object
	Digest  string   // of Objects; see Digest

	// File.
	Path string // relative to the pin file's folder
	ID   string // the content id in the store
	Size int64
}

// Bytes is the total size of the objects.
func (p *Pin) Bytes() int64 {
	var n int64
	for _, o := range p.Objects {
		n += o.Size
	}
	return n
}

// Digest is the BLAKE3 of the objects' keys, sizes, ETags and versions,
// in key order: two listings with the same digest found the same objects.
func Digest(objs []Object) string {
	h := blake3.New()
	for _, o := range objs {
		fmt.Fprintf(h, "%s\x00%d\x00%s\x00%s\n", o.Key, o.Size, o.ETag, o.Version)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// NewSource builds the pin of a listing of rawURL: objs in any order. A
// Delta or Iceberg table keeps only its newest log or metadata object.
// The URL must carry no credential, query or fragment.
func NewSource(rawURL string, objs []Object) (*Pin, error) {
	if err := checkURL(rawURL); err != nil {
		return nil, err
	}
	objs = slices.Clone(objs)
	slices.SortFunc(objs, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	for i, o := range objs {
		if err := checkObject(o); err != nil {
			return nil, err
		}
		if i > 0 && objs[i-1].Key == o.Key {
			return nil, fmt.Errorf("the listing holds %q twice: %w", o.Key, ErrInvalid)
		}
	}
	p := &Pin{Kind: Listing, URL: rawURL, Objects: objs}
	if key, ok := newestDelta(objs); ok {
		p.Kind, p.Pointer = Delta, key
	} else if key, ok := newestIceberg(objs); ok {
		p.Kind, p.Pointer = Iceberg, key
	}
	if p.Pointer != "" {
		i, _ := slices.BinarySearchFunc(objs, p.Pointer, func(o Object, k string) int { return strings.Compare(o.Key, k) })
		p.Objects = []Object{objs[i]}
	}
	p.Digest = Digest(p.Objects)
	return p, nil
}

// NewFile builds the pin of a local file stored under id.
func NewFile(name, id string, size int64) (*Pin, error) {
	p := &Pin{Kind: File, Path: name, ID: id, Size: size}
	if err := checkFilePath(name); err != nil {
		return nil, err
	}
	if err := checkID(id); err != nil {
		return nil, err
	}
	if size < 0 || size > MaxSize {
		return nil, fmt.Errorf("size %d is out of bounds: %w", size, ErrInvalid)
	}
	return p, nil
}

// newestDelta finds the newest commit of a Delta table's log:
// _delta_log/<20 digits>.json.
func newestDelta(objs []Object) (string, bool) {
	best, bestN := "", int64(-1)
	for _, o := range objs {
		name, ok := strings.CutPrefix(o.Key, "_delta_log/")
		if !ok {
			continue
		}
		digits, ok := strings.CutSuffix(name, ".json")
		if !ok || len(digits) != 20 || strings.Trim(digits, "0123456789") != "" {
			continue
		}
		n, err := strconv.ParseInt(digits, 10, 64)
		if err == nil && n > bestN {
			best, bestN = o.Key, n
		}
	}
	return best, bestN >= 0
}

// newestIceberg finds the newest metadata file of an Iceberg table:
// metadata/vN.metadata.json (Hadoop tables) or
// metadata/NNNNN-<uuid>.metadata.json (catalog tables).
func newestIceberg(objs []Object) (string, bool) {
	best, bestN := "", int64(-1)
	for _, o := range objs {
		name, ok := strings.CutPrefix(o.Key, "metadata/")
		if !ok || strings.Contains(name, "/") {
			continue
		}
		stem, ok := strings.CutSuffix(name, ".metadata.json")
		if !ok {
			continue
		}
		digits := strings.TrimPrefix(stem, "v")
		if i := strings.IndexByte(digits, '-'); i >= 0 && stem[0] != 'v' {
			digits = digits[:i]
		}
		n, err := strconv.ParseInt(digits, 10, 64)
		if err == nil && n >= 0 && (n > bestN || n == bestN && o.Key > best) {
			best, bestN = o.Key, n
		}
	}
	return best, bestN >= 0
}

// Format gives the text of a pin file.
func Format(p *Pin) []byte {
	var b bytes.Buffer
	switch p.Kind {
	case File:
		b.WriteString("# git dds pin of a local file kept in the store: git dds checkout places it; re-pin with git dds add\n")
		fmt.Fprintf(&b, "pin %d\nkind %s\npath %s\nid %s\nsize %d\n", Version, p.Kind, p.Path, p.ID, p.Size)
	default:
		b.WriteString("# git dds pin of data outside git: git dds pin --check compares it with the source; re-pin with git dds pin URL -o FILE\n")
		fmt.Fprintf(&b, "pin %d\nkind %s\nurl %s\nobjects %d\nbytes %d\ndigest %s\n", Version, p.Kind, p.URL, len(p.Objects), p.Bytes(), p.Digest)
		if p.Pointer != "" {
			fmt.Fprintf(&b, "pointer %s\n", p.Pointer)
		}
		for _, o := range p.Objects {
			fmt.Fprintf(&b, "object %d %s %s %s\n", o.Size, dash(o.ETag), dash(o.Version), o.Key)
		}
	}
	return b.Bytes()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func undash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// lineError is a refusal at a line of a pin file.
func lineError(name string, line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s: %w", name, line, fmt.Sprintf(format, args...), ErrInvalid)
}

// Parse reads the pin file called name (for messages), refusing more than
// maxObjects objects (DefaultMaxObjects when 0). Every refusal names the
// line and wraps ErrInvalid.
func Parse(name string, data []byte, maxObjects int) (*Pin, error) {
	if maxObjects <= 0 {
		maxObjects = DefaultMaxObjects
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than a pin file holds (%d); it is not a pin file git dds wrote: %w", name, len(data), MaxFileBytes, ErrInvalid)
	}
	p := &Pin{}
	seen := map[string]int{}
	var objects, total int64 = -1, -1
	version := false
	lines := strings.Split(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	last := 0
	for i, line := range lines {
		n := i + 1
		last = n
		if line == "" || line[0] == '#' {
			continue
		}
		if strings.ContainsFunc(line, isControl) {
			return nil, lineError(name, n, "a control character")
		}
		field, value, _ := strings.Cut(line, " ")
		if !version {
			if field != "pin" {
				return nil, lineError(name, n, "expected \"pin %d\" first; is this a pin file git dds wrote?", Version)
			}
			if value != strconv.Itoa(Version) {
				return nil, lineError(name, n, "pin format %q is not %d; a newer git dds wrote it, upgrade git dds", value, Version)
			}
			version = true
			continue
		}
		if prev, ok := seen[field]; ok && field != "object" {
			return nil, lineError(name, n, "%s is given again (first at line %d)", field, prev)
		}
		if _, ok := seen[field]; !ok {
			seen[field] = n // for object: its first line
		}
		var err error
		switch field {
		case "kind":
			p.Kind = Kind(value)
			if !slices.Contains([]Kind{Listing, Delta, Iceberg, File}, p.Kind) {
				return nil, lineError(name, n, "unknown kind %q; kinds are listing, delta, iceberg and file", value)
			}
		case "url":
			err = checkURL(value)
			p.URL = value
		case "objects":
			objects, err = parseCount(value, int64(maxObjects))
		case "bytes":
			total, err = parseCount(value, 1<<62)
		case "digest":
			err = checkID(value)
			p.Digest = value
		case "pointer":
			err = checkKey(value)
			p.Pointer = value
		case "object":
			if len(p.Objects) >= maxObjects {
				return nil, lineError(name, n, "more than %d objects; pin a narrower prefix, or raise --max-objects", maxObjects)
			}
			var o Object
			if o, err = parseObject(value); err == nil {
				if k := len(p.Objects); k > 0 && p.Objects[k-1].Key >= o.Key {
					err = fmt.Errorf("object %q is out of key order or repeated", o.Key)
				}
				p.Objects = append(p.Objects, o)
			}
		case "path":
			err = checkFilePath(value)
			p.Path = value
		case "id":
			err = checkID(value)
			p.ID = value
		case "size":
			p.Size, err = parseCount(value, MaxSize)
		default:
			return nil, lineError(name, n, "unknown field %q", field)
		}
		if err != nil {
			return nil, lineError(name, n, "%s: %v", field, err)
		}
	}
	if !version {
		return nil, lineError(name, max(last, 1), "no \"pin %d\" line; is this a pin file git dds wrote?", Version)
	}
	// What a kind needs, and nothing of another kind.
	need := map[Kind][]string{
		File:    {"kind", "path", "id", "size"},
		Listing: {"kind", "url", "objects", "bytes", "digest"},
		Delta:   {"kind", "url", "objects", "bytes", "digest", "pointer"},
		Iceberg: {"kind", "url", "objects", "bytes", "digest", "pointer"},
	}[p.Kind]
	if p.Kind == "" {
		need = []string{"kind"}
	}
	for _, f := range need {
		if _, ok := seen[f]; !ok {
			return nil, lineError(name, last, "no %s line", f)
		}
	}
	if p.Kind != File {
		need = append(need, "object")
	}
	// The first misplaced line, whatever the map's order.
	bad, badLine := "", 0
	for f, n := range seen {
		if !slices.Contains(need, f) && (badLine == 0 || n < badLine) {
			bad, badLine = f, n
		}
	}
	if badLine > 0 {
		return nil, lineError(name, badLine, "%s does not belong in a pin of kind %s", bad, p.Kind)
	}
	if p.Kind == File {
		return p, nil
	}
	if int64(len(p.Objects)) != objects {
		return nil, lineError(name, seen["objects"], "says %d objects, the file lists %d: it was edited by hand; re-pin with git dds pin %s", objects, len(p.Objects), p.URL)
	}
	if p.Bytes() != total {
		return nil, lineError(name, seen["bytes"], "says %d bytes, the objects add up to %d: it was edited by hand; re-pin with git dds pin %s", total, p.Bytes(), p.URL)
	}
	if got := Digest(p.Objects); got != p.Digest {
		return nil, lineError(name, seen["digest"], "does not match the objects listed: it was edited by hand; re-pin with git dds pin %s", p.URL)
	}
	if p.Pointer != "" && (len(p.Objects) != 1 || p.Objects[0].Key != p.Pointer) {
		return nil, lineError(name, seen["pointer"], "a %s pin lists its pointer and nothing else", p.Kind)
	}
	return p, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func parseCount(s string, limit int64) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != s {
		return 0, fmt.Errorf("%q is not a count", s)
	}
	if n > limit {
		return 0, fmt.Errorf("%d is more than %d", n, limit)
	}
	return n, nil
}

func parseObject(s string) (Object, error) {
	parts := strings.SplitN(s, " ", 4)
	if len(parts) != 4 {
		return Object{}, errors.New("expected SIZE ETAG VERSION KEY")
	}
	size, err := parseCount(parts[0], MaxSize)
	if err != nil {
		return Object{}, err
	}
	o := Object{Size: size, ETag: undash(parts[1]), Version: undash(parts[2]), Key: parts[3]}
	return o, checkObject(o)
}

func checkObject(o Object) error {
	if err := checkKey(o.Key); err != nil {
		return err
	}
	if o.Size < 0 || o.Size > MaxSize {
		return fmt.Errorf("size %d of %q is out of bounds", o.Size, o.Key)
	}
	for _, t := range []string{o.ETag, o.Version} {
		if len(t) > maxTag || t == "-" || strings.ContainsFunc(t, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return fmt.Errorf("the ETag or version of %q is not a plain token", o.Key)
		}
	}
	return nil
}

// checkKey admits an object key: not empty, bounded, no control character
// (a key goes last on its line and may hold spaces).
func checkKey(k string) error {
	switch {
	case k == "":
		return errors.New("an empty key")
	case len(k) > maxKey:
		return fmt.Errorf("a key of %d bytes, more than %d", len(k), maxKey)
	case strings.ContainsFunc(k, isControl):
		return errors.New("a key with a control character")
	}
	return nil
}

func checkID(s string) error {
	if len(s) != 64 || strings.Trim(s, "0123456789abcdef") != "" {
		return fmt.Errorf("%.80q is not 64 lowercase hex digits", s)
	}
	return nil
}

// checkURL admits a source URL with a scheme and no credential, query or
// fragment, and says nothing of its text: it may hold the credential.
func checkURL(raw string) error {
	if len(raw) > maxURL {
		return fmt.Errorf("a URL of %d bytes, more than %d", len(raw), maxURL)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("not a URL")
	case u.User != nil:
		return errors.New("the URL carries credentials; they come from the environment (AWS_ACCESS_KEY_ID, ~/.aws/credentials), never from a committed file")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return errors.New("the URL has a query or a fragment, where a credential could hide")
	case u.Scheme == "":
		return errors.New("the URL has no scheme; write s3://BUCKET/PREFIX/ or file:///PATH/")
	}
	return nil
}

// checkFilePath admits the path of a pinned file: relative to the pin's
// folder, clean, inside it, and not in a .git folder.
func checkFilePath(p string) error {
	switch {
	case p == "" || len(p) > maxPath:
		return errors.New("an empty or overlong path")
	case strings.ContainsFunc(p, isControl) || strings.Contains(p, `\`):
		return errors.New("a path with a control character or a backslash")
	case path.IsAbs(p) || path.Clean(p) != p || p == "." || p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("%q is not a clean path inside the pin's folder", p)
	}
	for seg := range strings.SplitSeq(p, "/") {
		if strings.EqualFold(seg, ".git") {
			return fmt.Errorf("%q leads into a .git folder", p)
		}
	}
	return nil
}

// Diff says how the objects of want (a pin) and got (a fresh listing) differ.
type Diff struct {
	Added, Removed, Changed []string // keys
}

// Empty reports that the listings agree.
func (d Diff) Empty() bool { return len(d.Added)+len(d.Removed)+len(d.Changed) == 0 }

// Compare gives how got differs from want, object by object.
func Compare(want, got *Pin) Diff {
	var d Diff
	if want.Pointer != got.Pointer {
		if want.Pointer != "" {
			d.Removed = append(d.Removed, want.Pointer)
		}
		if got.Pointer != "" {
			d.Added = append(d.Added, got.Pointer)
		}
		return d
	}
	old := make(map[string]Object, len(want.Objects))
	for _, o := range want.Objects {
		old[o.Key] = o
	}
	for _, o := range got.Objects {
		prev, ok := old[o.Key]
		switch {
		case !ok:
			d.Added = append(d.Added, o.Key)
		case prev != o:
			d.Changed = append(d.Changed, o.Key)
		}
		delete(old, o.Key)
	}
	for _, o := range want.Objects {
		if _, ok := old[o.Key]; ok {
			d.Removed = append(d.Removed, o.Key)
		}
	}
	return d
}
