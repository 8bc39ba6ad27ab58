package remote

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/git-dds/git-dds/internal/blake3"
	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/store"
)

// ErrCorrupt marks content from a remote that is refused: an object that
// does not hash to the id it came under or is not the size stated for it,
// a record or manifest that does not decode or fails a check (a path
// outside its place, an output the stage does not declare, a bound
// exceeded). It was changed or damaged there, or forged.
var ErrCorrupt = errors.New("content from the remote was refused")

// DefaultJobs is how many transfers run at once unless told otherwise.
const DefaultJobs = 8

// Remote is one opened remote.
type Remote struct {
	Config
	backend Backend
	// cacheID names what this clone remembers of the remote: one per URL
	// and endpoint, so two names for one bucket share it.
	cacheID string
	// Jobs is how many transfers run at once.
	Jobs int
	// LeaseTTL is how long a lease holds without being refreshed.
	LeaseTTL time.Duration
}

// Local is the clone's side of a transfer: its store, and its index,
// opened for one step at a time (run.Workspace.WithIndex), never across a
// transfer.
type Local struct {
	Store     *store.Store
	WithIndex func(ctx context.Context, fn func(ix *index.Index) error) error
	// Dir is the clone's dds folder, where tree marks live; "" for none.
	Dir string
}

// Open connects to the remote cfg describes. It does not reach the network
// yet: an unreachable remote fails the first call that needs it. A folder
// remote's folder must exist.
func Open(ctx context.Context, cfg Config) (*Remote, error) {
	return open(ctx, cfg, false)
}

// OpenToPush is Open for a push, which creates a folder remote's folder
// when it does not exist yet.
func OpenToPush(ctx context.Context, cfg Config) (*Remote, error) {
	return open(ctx, cfg, true)
}

func open(ctx context.Context, cfg Config, create bool) (*Remote, error) {
	loc, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, configError{fmt.Errorf("%s dds.remote.%s.url: %w", from(cfg.urlFrom), cfg.Name, err)}
	}
	if err := checkEndpoint(cfg); err != nil {
		return nil, err
	}
	var b Backend
	if loc.Scheme == "file" {
		if cfg.Endpoint != "" {
			return nil, configError{fmt.Errorf("%s dds.remote.%s.endpoint applies to s3:// remotes only", from(cfg.endpointFrom), cfg.Name)}
		}
		b, err = newDirBackend(filepath.FromSlash(loc.Prefix), create)
	} else {
		b, err = openBlob(ctx, loc, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("opening remote %s (%s): %w", cfg.Name, cfg.URL, err)
	}
	return NewWithBackend(cfg, b), nil
}

// NewWithBackend wraps an opened backend.
func NewWithBackend(cfg Config, b Backend) *Remote {
	return &Remote{
		Config:   cfg,
		backend:  b,
		cacheID:  cacheIDOf(cfg),
		Jobs:     DefaultJobs,
		LeaseTTL: DefaultLeaseTTL,
	}
}

// cacheIDOf names what this clone remembers of the remote cfg describes.
func cacheIDOf(cfg Config) string {
	sum := blake3.Sum256([]byte(cfg.URL + "\x00" + cfg.Endpoint))
	return hex.EncodeToString(sum[:8])
}

// Close releases the connection.
func (r *Remote) Close() error { return r.backend.Close() }

// Where names the remote for messages: its name, URL and endpoint.
func (r *Remote) Where() string {
	if r.Endpoint != "" {
		return fmt.Sprintf("%s (%s at %s)", r.Name, r.URL, r.Endpoint)
	}
	return fmt.Sprintf("%s (%s)", r.Name, r.URL)
}

// Error is a failure to talk to a remote: it names the remote, where it
// is, and what was being done.
type Error struct {
	Where string
	Op    string
	Err   error
}

func (e *Error) Error() string {
	return fmt.Sprintf("remote %s: %s: %s; check that it is reachable and that its credentials (the AWS, GCS or Azure environment) are right", e.Where, e.Op, briefly(e.Err))
}

// briefly says what went wrong on the network in its own words (dial tcp
// 10.0.0.7:9000: connect: connection refused), without the paragraph
// that the SDKs wrap around it: the operation, the attempts, the empty
// request ids, the URL again.
func briefly(err error) string {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.Error()
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Error()
	}
	return err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

func (r *Remote) fail(op string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	var already *Error
	var refused *CredentialsError
	if errors.As(err, &already) || errors.As(err, &refused) || errors.Is(err, ErrCorrupt) || errors.Is(err, store.ErrCorrupt) {
		return err
	}
	if scheme := r.scheme(); scheme != "file" {
		if trouble := credentialTrouble(err); trouble != "" {
			return &CredentialsError{Where: r.Where(), Trouble: trouble, From: credentialSources(scheme)}
		}
	}
	return &Error{Where: r.Where(), Op: op, Err: err}
}

// scheme is the kind of remote: s3, gs, azblob or file.
func (r *Remote) scheme() string {
	loc, err := ParseURL(r.URL)
	if err != nil {
		return ""
	}
	return loc.Scheme
}

func objectKey(id string) string  { return "objects/" + id[:2] + "/" + id[2:4] + "/" + id }
func recordKey(sig string) string { return "records/" + sig }
func leaseKey(sig string) string  { return "leases/" + sig }

// cacheRecordKey and cacheObjectKey are the index keys saying that the
// remote was seen holding a record or an object.
func (r *Remote) cacheRecordKey(sig string) index.RemoteKey {
	return index.RemoteRecord(r.cacheID, sig)
}

func (r *Remote) cacheContentKeyOf(sig string) index.RemoteKey {
	return index.RemoteContentKeyOf(r.cacheID, sig)
}

func (r *Remote) cacheObjectKey(id string) index.RemoteKey {
	return index.RemoteObject(r.cacheID, id)
}
