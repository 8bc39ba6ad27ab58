// Package remote shares artifacts between clones through object storage
// (S3 and S3-compatible servers, GCS, Azure) or a plain folder: content
// objects by BLAKE3 id, one record per signature, and leases that let one
// machine compute a signature while the others wait for its result.
//
// The layout under a remote's prefix:
//
//	objects/aa/bb/<content id>  the bytes of an object of the local store
//	records/<signature>         the record of one computation (JSON)
//	leases/<signature>          who is computing it, until when (JSON)
//
// A record is written only after every object it names is there, so a
// record in a remote means the artifact is whole there.
package remote

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/git-dds/git-dds/internal/config"
)

var (
	// ErrNoRemote means no remote is configured, or not the one asked for.
	ErrNoRemote = errors.New("no remote")
	// ErrConfig marks a remote setting in git config that cannot be used.
	ErrConfig = errors.New("bad remote setting")
)

// configError is an error of the user's settings, told as it is.
type configError struct{ error }

func (e configError) Is(target error) bool { return target == ErrConfig }
func (e configError) Unwrap() error        { return e.error }

// Config is one remote as git config describes it.
type Config struct {
	Name     string // NAME of dds.remote.NAME.*
	URL      string // s3://bucket/prefix, gs://, azblob://, file:///path
	Endpoint string // dds.remote.NAME.endpoint: an S3-compatible server
	Region   string // dds.remote.NAME.region; AWS's own settings otherwise

	// urlFrom and endpointFrom name where the URL and the endpoint were
	// set, for the messages that refuse them; "" for git config.
	urlFrom, endpointFrom config.Source
}

func from(source config.Source) config.Source {
	if source == "" {
		return config.GitConfig
	}
	return source
}

// CheckTeam selects each remote with a setting in the committed
// .ddsconfig, to refuse a setting there that cannot be used. Every command
// checks it, so that a credential written there is refused at once,
// whichever remote is in use.
func CheckTeam(s *config.Settings) error {
	for _, name := range s.RemoteNames() {
		r, _ := s.Remote(name)
		for _, v := range []config.Setting[string]{r.URL, r.Endpoint, r.Region} {
			if v.Set() && v.Source == config.TeamFile {
				if _, err := Select(s, name); err != nil {
					return err
				}
				break
			}
		}
	}
	return nil
}

// Purpose is what a command wants a remote for, which decides what it
// gets when it names none.
type Purpose int

const (
	// Required is for push, fetch, pull and gc --remote: without a name,
	// the default remote, and an error saying why when there is none.
	Required Purpose = iota
	// IfConfigured is for the hooks' transfers (dds.autopull, pre-push):
	// none when no remote is configured, else as Required.
	IfConfigured
	// Consulted is for the commands that merely ask a remote what it
	// holds (status, run, graph, merge-preview, the hooks' summaries):
	// none when no remote is configured, or several are and dds.remote
	// chooses none of them; they go on without.
	Consulted
)

// Request is what a command asks for when it wants a remote.
type Request struct {
	// Name is the remote the user named; "" for the default.
	Name string
	// GitRemote is, for git push, the git remote pushed to: the dds remote
	// of the same name is filled when there is one, else the default.
	GitRemote string
	Purpose   Purpose
	// Push creates a folder remote's missing folder: git dds push and the
	// pre-push hook only.
	Push bool
}

// Choose is the default-remote policy, the one place that decides which
// remote a command uses: the one named, else (for git push) the one named
// like the git remote, else dds.remote, else the only one configured. It
// gives "" when req.Purpose goes without one, and wraps ErrNoRemote when
// no remote can be chosen for a purpose that needs one.
func Choose(s *config.Settings, req Request) (string, error) {
	if req.Name != "" {
		return req.Name, nil
	}
	names := s.RemoteNames()
	if req.GitRemote != "" && slices.Contains(names, req.GitRemote) {
		return req.GitRemote, nil
	}
	if req.Purpose != Required && len(names) == 0 {
		return "", nil
	}
	if def := s.DefaultRemote.Value; def != "" {
		return def, nil
	}
	switch {
	case len(names) == 0:
		return "", fmt.Errorf("%w is configured; add one with git config dds.remote.NAME.url s3://bucket/prefix (or file:///path)", ErrNoRemote)
	case len(names) == 1:
		return names[0], nil
	case req.Purpose == Consulted:
		return "", nil
	}
	return "", fmt.Errorf("%w was chosen among %s; name one, or set the default with git config dds.remote NAME", ErrNoRemote, strings.Join(names, ", "))
}

// Select finds the remote called name, or the default one when name is
// empty (see Choose), and checks its settings. It wraps ErrNoRemote when
// there is none to use.
func Select(s *config.Settings, name string) (Config, error) {
	name, err := Choose(s, Request{Name: name})
	if err != nil {
		return Config{}, err
	}
	return selectNamed(s, name)
}

func selectNamed(s *config.Settings, name string) (Config, error) {
	r, ok := s.Remote(name)
	if !ok {
		return Config{}, fmt.Errorf("%w called %q: set git config dds.remote.%s.url", ErrNoRemote, name, name)
	}
	c := Config{
		Name:         name,
		URL:          r.URL.Value,
		Endpoint:     r.Endpoint.Value,
		Region:       r.Region.Value,
		urlFrom:      r.URL.Source,
		endpointFrom: r.Endpoint.Source,
	}
	if _, err := ParseURL(c.URL); err != nil {
		return Config{}, configError{fmt.Errorf("%s dds.remote.%s.url: %w", from(c.urlFrom), name, err)}
	}
	if err := checkEndpoint(c); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Check refuses a remote that Open would refuse for its settings alone: a
// URL or an endpoint that is malformed or carries a credential, an
// endpoint on a remote that is not s3://. It reaches nothing.
func (c Config) Check() error {
	loc, err := ParseURL(c.URL)
	if err != nil {
		return configError{fmt.Errorf("%s dds.remote.%s.url: %w", from(c.urlFrom), c.Name, err)}
	}
	if err := checkEndpoint(c); err != nil {
		return err
	}
	if c.Endpoint != "" && loc.Scheme != "s3" {
		return configError{fmt.Errorf("%s dds.remote.%s.endpoint applies to s3:// remotes only", from(c.endpointFrom), c.Name)}
	}
	return nil
}

// credentialsGo says where a remote's credentials belong, for the messages
// that refuse them anywhere else.
const credentialsGo = "credentials come from the AWS (or GCS, Azure) environment variables or credential files, such as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or ~/.aws/credentials"

// checkEndpoint refuses an endpoint that is not a plain http(s) address.
// Like the URL, it is kept in plain text by git config and printed in every
// message about the remote, so it must not carry a credential: no user
// info, no query, no fragment. The messages show it redacted.
func checkEndpoint(c Config) error {
	if c.Endpoint == "" {
		return nil
	}
	source := from(c.endpointFrom)
	setting := fmt.Sprintf("%s dds.remote.%s.endpoint", source, c.Name)
	shown := Redact(c.Endpoint)
	u, err := url.Parse(c.Endpoint)
	switch {
	case err != nil && shown != c.Endpoint:
		// url.Parse's own error repeats the whole text.
		return configError{fmt.Errorf("%s: %q is not a URL, and seems to hold a credential; write http(s)://HOST[:PORT] and take the credential out (%s)", setting, shown, credentialsGo)}
	case err != nil:
		return configError{fmt.Errorf("%s: %q is not a URL; write http(s)://HOST[:PORT]: %w", setting, shown, err)}
	case u.User != nil:
		return configError{fmt.Errorf("%s: an endpoint must not carry credentials (%q); take them out of %s, which keeps them in plain text, and rotate them: %s", setting, shown, source, credentialsGo)}
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return configError{fmt.Errorf("%s: %q has a query or a fragment, where a credential could hide; write http(s)://HOST[:PORT][/PATH]: %s", setting, shown, credentialsGo)}
	case u.Scheme != "http" && u.Scheme != "https":
		return configError{fmt.Errorf("%s: %q is not an http:// or https:// address; write it as http://HOST:PORT, e.g. http://127.0.0.1:9000", setting, shown)}
	case u.Host == "" || u.Opaque != "":
		return configError{fmt.Errorf("%s: %q names no host; write it as http://HOST:PORT, e.g. http://127.0.0.1:9000", setting, shown)}
	}
	return nil
}

// Redact gives a URL with what could be a credential replaced by "…": the
// user info before an "@", and everything from a "?" or "#" on. It works
// on text that is not a valid URL too, since that text may be printed in
// the message that refuses it, and it hides more rather than less (an "@"
// anywhere before the query counts, since a password may hold a "/").
func Redact(raw string) string {
	s := raw
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i+1] + "…"
	}
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + len("://")
	}
	if at := strings.LastIndexByte(s[start:], '@'); at >= 0 {
		s = s[:start] + "…" + s[start+at:]
	}
	return s
}

// Location is a parsed remote URL.
type Location struct {
	Scheme string // s3, gs, azblob or file
	Bucket string // the bucket or container; "" for file
	Prefix string // the folder inside the bucket, without slashes around it; the path for file
}

// ParseURL reads a remote URL: s3://bucket/prefix, gs://bucket/prefix,
// azblob://container/prefix, or file:///absolute/path.
func ParseURL(raw string) (Location, error) {
	shown := Redact(raw)
	u, err := url.Parse(raw)
	switch {
	case err != nil && shown != raw:
		// url.Parse's own error repeats the whole text.
		return Location{}, fmt.Errorf("%q is not a URL, and seems to hold a credential; take it out: %s", shown, credentialsGo)
	case err != nil:
		return Location{}, fmt.Errorf("%q is not a URL: %w", raw, err)
	case u.User != nil:
		// Credentials come from the environment, never from a URL that git
		// config would keep in plain text.
		return Location{}, errors.New("a remote URL must not carry credentials; use the AWS (or GCS, Azure) environment variables or credential files")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return Location{}, fmt.Errorf("%q has a query or a fragment; settings such as the endpoint go in git config dds.remote.NAME.endpoint, and %s", shown, credentialsGo)
	}
	switch u.Scheme {
	case "s3", "gs", "azblob":
		if u.Host == "" {
			return Location{}, fmt.Errorf("%q names no bucket; write %s://BUCKET/PREFIX", shown, u.Scheme)
		}
		prefix := strings.Trim(path.Clean("/"+u.Path), "/")
		return Location{Scheme: u.Scheme, Bucket: u.Host, Prefix: prefix}, nil
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return Location{}, fmt.Errorf("%q names a host; a folder remote is file:///ABSOLUTE/PATH", shown)
		}
		if !path.IsAbs(u.Path) {
			return Location{}, fmt.Errorf("%q is not an absolute path; a folder remote is file:///ABSOLUTE/PATH", shown)
		}
		return Location{Scheme: "file", Prefix: path.Clean(u.Path)}, nil
	case "":
		return Location{}, fmt.Errorf("%q has no scheme; remotes are s3://, gs://, azblob:// or file:// URLs", shown)
	default:
		return Location{}, fmt.Errorf("%q: git dds does not know the scheme %q; remotes are s3://, gs://, azblob:// or file:// URLs", shown, u.Scheme)
	}
}

// Wanted is the remote OpenWanted would open for req, its settings
// checked but not opened: a caller that may need nothing but this clone's
// notes of it (Config.HoldsTree) decides before paying for the opening.
// ok is false when req.Purpose goes without one.
func Wanted(s *config.Settings, req Request) (c Config, ok bool, err error) {
	if err := CheckTeam(s); err != nil {
		return Config{}, false, err
	}
	name, err := Choose(s, req)
	if err != nil || name == "" {
		return Config{}, false, err
	}
	if c, err = selectNamed(s, name); err != nil {
		return Config{}, false, err
	}
	if err := s.LeaseTTL.Err; err != nil {
		return Config{}, false, err
	}
	return c, true, nil
}

// OpenWanted opens the remote Choose picks for req, with the settings
// that apply to every remote (dds.leaseSeconds); nil when req.Purpose
// goes without one.
func OpenWanted(ctx context.Context, s *config.Settings, req Request) (*Remote, error) {
	c, ok, err := Wanted(s, req)
	if err != nil || !ok {
		return nil, err
	}
	r, err := open(ctx, c, req.Push)
	if err != nil {
		return nil, err
	}
	if s.LeaseTTL.Set() {
		r.LeaseTTL = s.LeaseTTL.Value
	}
	return r, nil
}
