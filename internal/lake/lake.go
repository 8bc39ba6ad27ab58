// Package lake owns the lake: the bucket or folder where stages write
// their external outputs, in place, at prefixes derived from their
// signatures. It opens the lake through the remote's drivers, lists what
// a stage wrote there (a listing is hostile: every key is checked and the
// listing is bounded), and says what a listing holds: object count,
// bytes, a digest, and per format a check and a pointer.
//
// The layout under the lake's root:
//
//	<sig[:2]>/<sig>/<attempt>/<name>/...   one attempt at an output
//	views/<ref>/<name>.json                  what a ref's output is, for readers without git
//
// The attempt is random, so that a crashed attempt or a zombie writer
// never mixes into the recorded one: the record names its attempt.
package lake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/git-dds/git-dds/internal/config"
	"github.com/git-dds/git-dds/internal/remote"
)

// ErrNoLake means neither dds.yaml nor the settings name a lake.
var ErrNoLake = errors.New("no lake")

// ErrCheck marks an output that fails its check: empty, or not of its
// format.
var ErrCheck = errors.New("external output check failed")

// Patterns compile on first use, not when the process starts: every hook
// and status starts this binary, and most never use them.
var (
	sigPattern     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{64}$`) })
	attemptPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{16}$`) })
	namePattern    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })
)

// Root is where the lake is and where that was said.
type Root struct {
	URL      string // without a trailing slash
	Endpoint string
	Region   string
	// From names the setting the URL came from: "git config dds.lake",
	// ".ddsconfig dds.lake" or "dds.yaml lake".
	From string
}

// Resolve gives the lake's root: dds.lake from git config or .ddsconfig
// when set, else the lake: of dds.yaml (fromYAML). The setting wins so
// that each environment points at its own bucket with one dds.yaml. It
// wraps ErrNoLake when neither names one.
func Resolve(s *config.Settings, fromYAML string) (Root, error) {
	r := Root{Endpoint: s.LakeEndpoint.Value, Region: s.LakeRegion.Value}
	switch {
	case s.Lake.Set():
		r.URL, r.From = s.Lake.Value, string(s.Lake.Source)+" dds.lake"
	case fromYAML != "":
		r.URL, r.From = fromYAML, "dds.yaml lake"
	default:
		return Root{}, fmt.Errorf("%w is set: name one with lake: in dds.yaml or git config dds.lake s3://BUCKET/PREFIX (or file:///PATH)", ErrNoLake)
	}
	r.URL = strings.TrimRight(r.URL, "/")
	if _, err := remote.ParseURL(r.URL); err != nil {
		return Root{}, fmt.Errorf("%s: %w", r.From, err)
	}
	return r, nil
}

// Lake is an opened lake.
type Lake struct {
	Root    Root
	storage *remote.Storage
}

// Open opens the lake at root. It reaches no network yet; a file:// lake's
// folder must exist.
func Open(ctx context.Context, root Root) (*Lake, error) {
	s, err := remote.OpenStorage(ctx, remote.Place{URL: root.URL, Endpoint: root.Endpoint, Region: root.Region, Setting: root.From})
	if errors.Is(err, remote.ErrMissingFolder) {
		// A mistyped path or a share that is not mounted must not pass
		// for an empty lake: git dds never creates a lake's folder.
		return nil, fmt.Errorf("opening the lake %s (%s): its folder does not exist; create it (mkdir -p), mount it, or name another lake with git config dds.lake URL", root.URL, root.From)
	}
	if err != nil {
		return nil, fmt.Errorf("opening the lake (%s): %w", root.From, err)
	}
	return &Lake{Root: root, storage: s}, nil
}

// Close releases the connection.
func (l *Lake) Close() error { return l.storage.Close() }

// NewAttempt gives a fresh attempt id: 16 random hex digits.
func NewAttempt() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// OutputKey is the prefix, relative to the root, of one attempt at
// external output name of the computation sig; it ends in "/".
func OutputKey(sig, attempt, name string) string {
	return sig[:2] + "/" + sig + "/" + attempt + "/" + name + "/"
}

// URI is the full URI of a key of the root.
func (r Root) URI(key string) string { return r.URL + "/" + key }

// OutputURI is where attempt of sig writes its external output name.
func (r Root) OutputURI(sig, attempt, name string) string {
	return r.URI(OutputKey(sig, attempt, name))
}

// CheckOutput checks that uri is the prefix of an attempt of sig at
// output name under the root, as a record must hold it, and gives its key.
func (r Root) CheckOutput(uri, sig, attempt, name string) (string, error) {
	switch {
	case !sigPattern().MatchString(sig):
		return "", fmt.Errorf("%q is not a signature", sig)
	case !attemptPattern().MatchString(attempt):
		return "", fmt.Errorf("attempt %q is not 16 hex digits", attempt)
	case !namePattern().MatchString(name):
		return "", fmt.Errorf("%q is not an external output name", name)
	}
	key := OutputKey(sig, attempt, name)
	if uri != r.URI(key) {
		return "", fmt.Errorf("%s is not %s, where this lake keeps attempt %s of output %s", remote.Redact(uri), r.URI(key), attempt, name)
	}
	return key, nil
}

// Put writes data at key, atomically for a reader: one PUT on a bucket, a
// temporary file renamed in a folder.
func (l *Lake) Put(ctx context.Context, key string, data []byte) error {
	return l.storage.Put(ctx, key, data)
}

// Exists reports whether key is in the lake: one HEAD request.
func (l *Lake) Exists(ctx context.Context, key string) (bool, error) {
	return l.storage.Exists(ctx, key)
}

// Delete removes key; a missing key is no error.
func (l *Lake) Delete(ctx context.Context, key string) error {
	return l.storage.Delete(ctx, key)
}

// Prune removes what a folder lake keeps of a prefix whose keys were
// deleted: its empty folders.
func (l *Lake) Prune(ctx context.Context, key string) error { return l.storage.Prune(ctx, key) }

// Attempt is one attempt at an output found in the lake: every object
// under <sig[:2]>/<sig>/<attempt>/<name>/.
type Attempt struct {
	Signature, Attempt, Name string
	Objects                  int64
	Bytes                    int64
	Newest                   time.Time // the newest object's time
}

// Key is the attempt's prefix.
func (a *Attempt) Key() string { return OutputKey(a.Signature, a.Attempt, a.Name) }

// Attempts lists the whole lake and gives every attempt at an output in
// it; keys of any other shape (views, temporary files, what others keep
// there) are left out, and so never collected.
func (l *Lake) Attempts(ctx context.Context) ([]*Attempt, error) {
	found := map[string]*Attempt{}
	var order []string
	err := l.storage.List(ctx, "", func(o remote.Object) error {
		parts := strings.SplitN(o.Key, "/", 5)
		if len(parts) < 5 || len(parts[0]) != 2 || !sigPattern().MatchString(parts[1]) || parts[1][:2] != parts[0] ||
			!attemptPattern().MatchString(parts[2]) || !namePattern().MatchString(parts[3]) || checkKey(parts[4]) != nil {
			return nil
		}
		key := OutputKey(parts[1], parts[2], parts[3])
		a := found[key]
		if a == nil {
			if len(found) >= MaxObjects {
				return fmt.Errorf("more than %d attempts in the lake: collect it in parts", MaxObjects)
			}
			a = &Attempt{Signature: parts[1], Attempt: parts[2], Name: parts[3]}
			found[key] = a
			order = append(order, key)
		}
		a.Objects++
		if o.Size > 0 {
			a.Bytes += o.Size
		}
		if o.Written.After(a.Newest) {
			a.Newest = o.Written
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(order)
	out := make([]*Attempt, len(order))
	for i, k := range order {
		out[i] = found[k]
	}
	return out, nil
}

// DeleteAttempt deletes every object of the attempt at key, then, in a
// folder lake, its empty folders.
func (l *Lake) DeleteAttempt(ctx context.Context, key string) error {
	objects, err := l.List(ctx, key)
	if err != nil {
		return err
	}
	for _, o := range objects {
		if err := l.storage.Delete(ctx, key+o.Key); err != nil {
			return err
		}
	}
	return l.storage.Prune(ctx, key)
}
