// Package config reads every dds.* setting once, from git config and the
// team's committed .ddsconfig below it, key by key (gitref reads both
// files), into typed values that remember where each came from, so that a
// message about a bad value names the place to fix it.
//
// A value that cannot be used is kept with its error rather than refused
// at once: each setting is refused where it matters, as it always was (a
// bad dds.link by every command, a bad dds.leaseSeconds only once a remote
// is opened, a bad dds.prepush as a warning of the pre-push hook).
package config

import (
	"errors"
	"fmt"
	"math"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/store"
)

// ErrInvalid marks a setting whose value cannot be used.
var ErrInvalid = errors.New("bad setting")

// Source is where a value was set, as messages name it.
type Source string

const (
	// GitConfig is any file or option git reads its configuration from.
	GitConfig Source = "git config"
	// TeamFile is the committed .ddsconfig, below every source of git config.
	TeamFile Source = gitref.TeamConfigFile
)

// Setting is one setting: the value written, where, and what it means.
type Setting[T any] struct {
	// Raw is the value as written; "" when unset (an empty value means
	// the default for every dds.* setting).
	Raw    string
	Source Source
	// Value is what Raw means, or the default when Raw is empty or Err is set.
	Value T
	// Err says why Raw cannot be used, naming Source; it wraps ErrInvalid.
	Err error
}

// Set reports whether the setting has a value.
func (s Setting[T]) Set() bool { return s.Raw != "" }

// PrePush is what the pre-push hook does (dds.prepush).
type PrePush string

const (
	PrePushUpload PrePush = "upload" // the default: send what the remote lacks
	PrePushVerify PrePush = "verify" // refuse a tip with an artifact computed nowhere
	PrePushOff    PrePush = "off"
)

// Audit is what git dds run does with the files a stage reads that its
// signature does not cover (dds.audit).
type Audit string

const (
	AuditOff    Audit = "off"    // the default: no tracing
	AuditWarn   Audit = "warn"   // trace, and warn of each undeclared read
	AuditStrict Audit = "strict" // trace, and fail a stage that reads undeclared
)

// ParseAudit reads a value of dds.audit or of run --audit.
func ParseAudit(v string) (Audit, error) {
	switch m := Audit(strings.ToLower(v)); m {
	case AuditOff, AuditWarn, AuditStrict:
		return m, nil
	}
	return AuditOff, fmt.Errorf("%q is no audit mode; it takes off, warn or strict", v)
}

// AuditTracer is the back end that traces an audited run
// (dds.auditTracer): the names the audit package knows them by.
type AuditTracer string

const (
	AuditTracerAuto    AuditTracer = "auto"    // the default: builtin where it works, else strace
	AuditTracerBuiltin AuditTracer = "builtin" // git dds itself, through seccomp (user notification, else ptrace)
	AuditTracerStrace  AuditTracer = "strace"  // the strace program
)

// MaxLeaseSeconds bounds dds.leaseSeconds: a day, the longest lease a
// remote honours.
const MaxLeaseSeconds = 24 * 60 * 60

// Remote is one remote's settings, dds.remote.NAME.*. What a URL may be
// is the remote package's to check.
type Remote struct {
	Name     string
	URL      Setting[string]
	Endpoint Setting[string]
	Region   Setting[string]
}

// Settings are every dds.* setting of a repository.
type Settings struct {
	Link  Setting[store.LinkMode] // dds.link
	Fsync Setting[bool]           // dds.fsync; true when unset
	// LockTimeout is dds.lockTimeout as the index takes it: 0 when unset
	// (the index's default), negative for no wait at all.
	LockTimeout Setting[time.Duration]
	Dir         Setting[string]  // dds.dir, as written: see StoreDir
	PrePush     Setting[PrePush] // dds.prepush; upload when unset or bad
	AutoPull    Setting[bool]    // dds.autopull
	// LeaseTTL is dds.leaseSeconds; 0 when unset (the remote's default).
	LeaseTTL Setting[time.Duration]
	// DefaultRemote is dds.remote, the name of the default remote.
	DefaultRemote Setting[string]
	// Audit is dds.audit; off when unset or bad.
	Audit Setting[Audit]
	// AuditTracer is dds.auditTracer; auto when unset or bad.
	AuditTracer Setting[AuditTracer]
	// Lake is dds.lake, the root of the lake as written: it overrides the
	// lake: of dds.yaml, so that each environment points at its own
	// bucket. What a URL may be is the lake's to check.
	Lake Setting[string]
	// LakeEndpoint and LakeRegion are dds.lakeEndpoint and
	// dds.lakeRegion, as dds.remote.NAME.endpoint and .region are for a
	// remote: an S3-compatible server, and the region.
	LakeEndpoint Setting[string]
	LakeRegion   Setting[string]
	// Publish is dds.publish, every value of it: the branches (names, or
	// patterns as path.Match takes them) whose views the post-merge hook
	// publishes after a merge into them. Raw joins the values; Err is the
	// first bad one's, and the bad ones are left out of Value.
	Publish Setting[[]string]

	remotes map[string]*Remote
}

// StoreDir is where git dds keeps its store, index and locks: inside the
// common git directory, so linked worktrees share it, unless dds.dir names
// another folder (relative to the working tree root), which several clones
// may share.
func (s *Settings) StoreDir(repo *gitref.Repo) string {
	dir := s.Dir.Value
	if dir == "" {
		return filepath.Join(repo.CommonDir, "dds")
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(repo.Root, dir)
	}
	return filepath.Clean(dir)
}

// Load reads the dds.* settings of repo. It refuses a .ddsconfig that
// sets what a team does not share (wrapping gitref.ErrTeamConfig), so that
// every command refuses it, whatever it reads.
func Load(repo *gitref.Repo) (*Settings, error) {
	return Parse(repo.ConfigSection("dds"), repo.TeamConfig())
}

// Parse reads dds.* settings from git config's entries and, below them
// key by key, those of .ddsconfig.
func Parse(gitConfig, team []gitref.ConfigEntry) (*Settings, error) {
	for _, e := range team {
		if err := checkTeamKey(e.Key); err != nil {
			return nil, err
		}
	}
	s := &Settings{remotes: map[string]*Remote{}}
	s.Fsync.Value = true
	s.PrePush.Value = PrePushUpload
	s.Audit.Value = AuditOff
	s.AuditTracer.Value = AuditTracerAuto
	set := map[string]bool{}
	for _, e := range values(gitConfig) {
		set[e.Key] = true
		s.set(e.Key, e.Value, GitConfig)
	}
	for _, e := range values(team) {
		if !set[e.Key] {
			s.set(e.Key, e.Value, TeamFile)
		}
	}
	return s, nil
}

// multiValued are the settings that take every value git config gives,
// in order, as git's own multi-valued settings do: an empty value clears
// those before it.
var multiValued = map[string]bool{"dds.publish": true}

// values keeps, of entries sorted by key with each key's values in git's
// order, the last value of a single-valued setting (as git reads it: an
// empty last value means the default, whatever came before) and every
// value of a multi-valued one after its last empty value.
func values(entries []gitref.ConfigEntry) []gitref.ConfigEntry {
	var kept []gitref.ConfigEntry
	for i, e := range entries {
		last := i+1 == len(entries) || entries[i+1].Key != e.Key
		switch {
		case !multiValued[e.Key]:
			if last {
				kept = append(kept, e)
			}
		case e.Value == "":
			for len(kept) > 0 && kept[len(kept)-1].Key == e.Key {
				kept = kept[:len(kept)-1]
			}
		default:
			kept = append(kept, e)
		}
	}
	return kept
}

// set reads one entry; key is spelled as git spells it, section and name
// in lower case.
func (s *Settings) set(key, raw string, source Source) {
	if raw == "" {
		return
	}
	switch key {
	case "dds.link":
		s.Link = parse(raw, source, func(v string) (store.LinkMode, error) {
			m, err := store.ParseLinkMode(v)
			if err != nil {
				return m, invalidError{fmt.Errorf("%s dds.link: %w", source, err)}
			}
			return m, nil
		})
	case "dds.fsync":
		s.Fsync = parse(raw, source, func(v string) (bool, error) {
			b, ok := gitref.ParseBool(v)
			if !ok {
				return true, invalid("%s dds.fsync is %q; it takes true or false", source, v)
			}
			return b, nil
		})
	case "dds.locktimeout":
		s.LockTimeout = parse(raw, source, func(v string) (time.Duration, error) { return parseLockTimeout(v, source) })
	case "dds.dir":
		s.Dir = Setting[string]{Raw: raw, Source: source, Value: raw}
	case "dds.prepush":
		s.PrePush = parse(raw, source, func(v string) (PrePush, error) {
			switch m := PrePush(v); m {
			case PrePushUpload, PrePushVerify, PrePushOff:
				return m, nil
			}
			return PrePushUpload, invalid("%s dds.prepush is %q; it takes upload, verify or off", source, v)
		})
	case "dds.autopull":
		s.AutoPull = parse(raw, source, func(v string) (bool, error) {
			b, ok := gitref.ParseBool(v)
			if !ok {
				return false, invalid("%s dds.autopull is %q; it takes true or false", source, v)
			}
			return b, nil
		})
	case "dds.leaseseconds":
		s.LeaseTTL = parse(raw, source, func(v string) (time.Duration, error) {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxLeaseSeconds {
				return 0, invalid("%s dds.leaseSeconds is %q; it takes a whole number of seconds, 1 to %d", source, v, MaxLeaseSeconds)
			}
			return time.Duration(n) * time.Second, nil
		})
	case "dds.audit":
		s.Audit = parse(raw, source, func(v string) (Audit, error) {
			m, err := ParseAudit(v)
			if err != nil {
				return m, invalid("%s dds.audit: %v", source, err)
			}
			return m, nil
		})
	case "dds.audittracer":
		s.AuditTracer = parse(raw, source, func(v string) (AuditTracer, error) {
			switch t := AuditTracer(strings.ToLower(v)); t {
			case AuditTracerAuto, AuditTracerBuiltin, AuditTracerStrace:
				return t, nil
			}
			return AuditTracerAuto, invalid("%s dds.auditTracer is %q; it takes auto, builtin or strace", source, v)
		})
	case "dds.lake":
		s.Lake = Setting[string]{Raw: raw, Source: source, Value: raw}
	case "dds.lakeendpoint":
		s.LakeEndpoint = Setting[string]{Raw: raw, Source: source, Value: raw}
	case "dds.lakeregion":
		s.LakeRegion = Setting[string]{Raw: raw, Source: source, Value: raw}
	case "dds.publish":
		s.addPublish(raw, source)
	case "dds.remote":
		s.DefaultRemote = Setting[string]{Raw: raw, Source: source, Value: raw}
	default:
		rest, ok := strings.CutPrefix(key, "dds.remote.")
		if !ok {
			return
		}
		i := strings.LastIndexByte(rest, '.')
		if i <= 0 {
			return
		}
		name, field := rest[:i], rest[i+1:]
		v := Setting[string]{Raw: raw, Source: source, Value: raw}
		r := s.remotes[name]
		if r == nil {
			r = &Remote{Name: name}
		}
		switch field {
		case "url":
			r.URL = v
		case "endpoint":
			r.Endpoint = v
		case "region":
			r.Region = v
		default:
			return
		}
		s.remotes[name] = r
	}
}

// addPublish adds one value of the multi-valued dds.publish: a branch
// name or pattern, with or without refs/heads/.
func (s *Settings) addPublish(raw string, source Source) {
	if s.Publish.Raw != "" {
		s.Publish.Raw += ", "
	}
	s.Publish.Raw += raw
	s.Publish.Source = source
	v := strings.TrimPrefix(raw, "refs/heads/")
	_, err := path.Match(v, "")
	if err != nil || v == "" || len(v) > 255 || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }) {
		if s.Publish.Err == nil {
			s.Publish.Err = invalid("%s dds.publish is %q; it takes a branch name, or a pattern such as release/*, one per value (git config --add dds.publish NAME)", source, raw)
		}
		return
	}
	s.Publish.Value = append(s.Publish.Value, v)
}

// Publishes reports whether dds.publish names branch (without
// refs/heads/).
func (s *Settings) Publishes(branch string) bool {
	for _, p := range s.Publish.Value {
		if ok, _ := path.Match(p, branch); ok {
			return true
		}
	}
	return false
}

func parse[T any](raw string, source Source, read func(string) (T, error)) Setting[T] {
	v, err := read(raw)
	return Setting[T]{Raw: raw, Source: source, Value: v, Err: err}
}

func invalid(format string, args ...any) error {
	return invalidError{fmt.Errorf(format, args...)}
}

// invalidError is a setting that cannot be used, told as it is.
type invalidError struct{ error }

func (e invalidError) Is(target error) bool { return target == ErrInvalid }
func (e invalidError) Unwrap() error        { return e.error }

// parseLockTimeout reads dds.lockTimeout: how many milliseconds to wait
// for another git dds to release the index, 0 for not at all, as git's
// core.filesRefLockTimeout.
func parseLockTimeout(v string, source Source) (time.Duration, error) {
	ms, err := strconv.Atoi(v)
	if err != nil || ms < 0 {
		return 0, invalid("%s dds.lockTimeout is %q; it takes a number of milliseconds, 0 or more", source, v)
	}
	if ms == 0 {
		return -1, nil // the index's options: a negative wait means none
	}
	if ms > math.MaxInt64/int(time.Millisecond) {
		return math.MaxInt64, nil // longer than anyone waits
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// RemoteNames lists the remotes configured, those with a
// dds.remote.NAME.url, sorted.
func (s *Settings) RemoteNames() []string {
	var names []string
	for name, r := range s.remotes {
		if r.URL.Set() {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// Remote gives the settings of the remote called name; ok is false when
// it has no URL.
func (s *Settings) Remote(name string) (r Remote, ok bool) {
	if p := s.remotes[name]; p != nil && p.URL.Set() {
		return *p, true
	}
	return Remote{Name: name}, false
}
