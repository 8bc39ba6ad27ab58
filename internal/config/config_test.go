package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/store"
)

func TestDefaults(t *testing.T) {
	s, err := Parse(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Link.Value != store.Copy || !s.Fsync.Value || s.LockTimeout.Value != 0 || s.PrePush.Value != PrePushUpload ||
		s.AutoPull.Value || s.LeaseTTL.Value != 0 || s.DefaultRemote.Set() || s.Dir.Set() || len(s.RemoteNames()) != 0 {
		t.Errorf("defaults: %+v", s)
	}
}

func TestParse(t *testing.T) {
	s, err := Parse([]gitref.ConfigEntry{
		{Key: "dds.link", Value: "hardlink"},
		{Key: "dds.fsync", Value: "off"},
		{Key: "dds.locktimeout", Value: "0"},
		{Key: "dds.autopull", Value: "yes"},
		{Key: "dds.leaseseconds", Value: "90"},
		{Key: "dds.remote", Value: "Team"},
		{Key: "dds.remote.Team.endpoint", Value: "http://127.0.0.1:9000"},
		{Key: "dds.remote.a.b.url", Value: "file:///x"},
		{Key: "dds.remote.noURL.region", Value: "eu"},
		{Key: "dds.remote..url", Value: "file:///nameless"},
	}, []gitref.ConfigEntry{
		{Key: "dds.prepush", Value: "verify"},
		{Key: "dds.remote.Team.url", Value: "s3://b/p"},
		{Key: "dds.remote.Team.endpoint", Value: "http://team:9000"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Link.Value != store.Hardlink || s.Fsync.Value || s.LockTimeout.Value >= 0 || s.PrePush.Value != PrePushVerify ||
		!s.AutoPull.Value || s.LeaseTTL.Value != 90*time.Second || s.DefaultRemote.Value != "Team" {
		t.Errorf("parsed: %+v", s)
	}
	if got := strings.Join(s.RemoteNames(), " "); got != "Team a.b" {
		t.Errorf("remotes %q, want Team a.b", got)
	}
	r, ok := s.Remote("Team")
	if !ok || r.URL.Source != TeamFile || r.Endpoint.Source != GitConfig || r.Endpoint.Value != "http://127.0.0.1:9000" {
		t.Errorf("remote Team: %+v, %v", r, ok)
	}
	if _, ok := s.Remote("noURL"); ok {
		t.Error("a remote without a URL counts")
	}
}

// TestErrorsNameTheSource: a bad value is kept with an error that names
// the file it came from, and the setting falls back to its default.
func TestErrorsNameTheSource(t *testing.T) {
	for _, tt := range []struct {
		key, value string
		team       bool
		want       string
	}{
		{"dds.link", "bogus", false, `git config dds.link: link mode "bogus" is not known`},
		{"dds.fsync", "maybe", false, `git config dds.fsync is "maybe"; it takes true or false`},
		{"dds.locktimeout", "soon", false, `git config dds.lockTimeout is "soon"; it takes a number of milliseconds, 0 or more`},
		{"dds.prepush", "always", true, `.ddsconfig dds.prepush is "always"; it takes upload, verify or off`},
		{"dds.prepush", "always", false, `git config dds.prepush is "always"`},
		{"dds.autopull", "sometimes", true, `.ddsconfig dds.autopull is "sometimes"; it takes true or false`},
		{"dds.leaseseconds", "zero", true, `.ddsconfig dds.leaseSeconds is "zero"; it takes a whole number of seconds, 1 to 86400`},
		{"dds.leaseseconds", "86401", false, `git config dds.leaseSeconds is "86401"`},
		{"dds.audit", "loud", true, `.ddsconfig dds.audit: "loud" is no audit mode; it takes off, warn or strict`},
	} {
		var git, team []gitref.ConfigEntry
		if tt.team {
			team = []gitref.ConfigEntry{{Key: tt.key, Value: tt.value}}
		} else {
			git = []gitref.ConfigEntry{{Key: tt.key, Value: tt.value}}
		}
		s, err := Parse(git, team)
		if err != nil {
			t.Fatal(err)
		}
		switch tt.key {
		case "dds.link":
			err = s.Link.Err
		case "dds.fsync":
			err = s.Fsync.Err
		case "dds.locktimeout":
			err = s.LockTimeout.Err
		case "dds.prepush":
			err = s.PrePush.Err
			if s.PrePush.Value != PrePushUpload {
				t.Errorf("a bad dds.prepush means %q", s.PrePush.Value)
			}
		case "dds.autopull":
			err = s.AutoPull.Err
		case "dds.leaseseconds":
			err = s.LeaseTTL.Err
		case "dds.audit":
			err = s.Audit.Err
			if s.Audit.Value != AuditOff {
				t.Errorf("a bad dds.audit means %q", s.Audit.Value)
			}
		}
		if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s=%s: %v, want ErrInvalid starting %q", tt.key, tt.value, err, tt.want)
		}
	}
}

func TestLockTimeout(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "60000", want: time.Minute},
		{in: "300", want: 300 * time.Millisecond},
		{in: "0", want: -1},
		{in: "-5", wantErr: true},
		{in: "soon", wantErr: true},
		{in: "1.5", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseLockTimeout(tt.in, GitConfig)
		if (err != nil) != tt.wantErr || !tt.wantErr && got != tt.want {
			t.Errorf("parseLockTimeout(%q) = %v, %v; want %v (error: %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzLockTimeout(f *testing.F) {
	for _, seed := range []string{"0", "60000", "-1", "x", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseLockTimeout(in, GitConfig)
		if err == nil && got == 0 {
			t.Fatalf("parseLockTimeout(%q) = 0, which the index reads as its default", in)
		}
	})
}

func TestCheckTeamKey(t *testing.T) {
	for _, key := range []string{"dds.remote", "dds.remote.team.url", "dds.remote.Team.endpoint", "dds.remote.a.b.region", "dds.leaseseconds", "dds.prepush", "dds.autopull", "dds.audit", "dds.lake", "dds.lakeendpoint", "dds.lakeregion"} {
		if err := checkTeamKey(key); err != nil {
			t.Errorf("%s refused: %v", key, err)
		}
	}
	for _, key := range []string{"dds.dir", "dds.link", "dds.fsync", "dds.locktimeout", "dds.remote.team.token", "dds.remote..url", "dds.remote.url", "dds.bogus", "include.path", "core.hookspath", "credential.helper"} {
		if err := checkTeamKey(key); !errors.Is(err, gitref.ErrTeamConfig) {
			t.Errorf("%s admitted (%v)", key, err)
		}
	}
}

// The lake of one environment is set in its git config, over the team's.
func TestLake(t *testing.T) {
	s, err := Parse([]gitref.ConfigEntry{{Key: "dds.lake", Value: "file:///mine"}},
		[]gitref.ConfigEntry{{Key: "dds.lake", Value: "s3://team/lake"}, {Key: "dds.lakeendpoint", Value: "http://127.0.0.1:9000"},
			{Key: "dds.lakeregion", Value: "eu"}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Lake.Value != "file:///mine" || s.Lake.Source != GitConfig || s.LakeEndpoint.Value != "http://127.0.0.1:9000" ||
		s.LakeEndpoint.Source != TeamFile || s.LakeRegion.Value != "eu" {
		t.Errorf("lake settings: %+v %+v %+v", s.Lake, s.LakeEndpoint, s.LakeRegion)
	}
}

func TestTeamConfigIsBelowGitConfig(t *testing.T) {
	s, err := Parse(
		[]gitref.ConfigEntry{{Key: "dds.remote.team.url", Value: "file:///mine"}, {Key: "dds.prepush", Value: "verify"}, {Key: "dds.autopull", Value: ""}},
		[]gitref.ConfigEntry{{Key: "dds.remote.team.url", Value: "file:///team"}, {Key: "dds.remote.team.region", Value: "eu"},
			{Key: "dds.remote.other.url", Value: "s3://b"}, {Key: "dds.prepush", Value: "off"}, {Key: "dds.autopull", Value: "true"}})
	if err != nil {
		t.Fatal(err)
	}
	team, _ := s.Remote("team")
	other, _ := s.Remote("other")
	if team.URL.Value != "file:///mine" || team.URL.Source != GitConfig || team.Region.Value != "eu" || team.Region.Source != TeamFile ||
		other.URL.Value != "s3://b" || s.PrePush.Value != PrePushVerify || s.AutoPull.Set() {
		t.Errorf("merged: %+v, %+v, %+v", team, other, s)
	}
}

// FuzzTeamConfig feeds settings a committed .ddsconfig could hold: the
// keys admitted are dds.* settings only, and they never replace a value
// git config set.
func FuzzTeamConfig(f *testing.F) {
	f.Add("dds.remote.team.url", "file:///x", "dds.remote.team.url", "s3://b/p")
	f.Add("dds.prepush", "upload", "include.path", "/etc/passwd")
	f.Add("", "", "dds.remote.a.b.region", "eu")
	f.Fuzz(func(t *testing.T, mineKey, mine, theirKey, theirs string) {
		var git []gitref.ConfigEntry
		if mineKey != "" {
			git = append(git, gitref.ConfigEntry{Key: mineKey, Value: mine})
		}
		s, err := Parse(git, []gitref.ConfigEntry{{Key: theirKey, Value: theirs}})
		if err != nil {
			return
		}
		if !strings.HasPrefix(theirKey, "dds.") {
			t.Fatalf("admitted %q", theirKey)
		}
		if mineKey == theirKey {
			mineOnly, _ := Parse(git, nil)
			if flat(mineOnly) != flat(s) {
				t.Fatalf("%s: %q replaced by the team's %q", mineKey, mine, theirs)
			}
		}
	})
}

// flat prints every setting of s, the remotes' by value.
func flat(s *Settings) string {
	out := fmt.Sprintf("%+v %+v %+v %+v %+v %+v %+v %+v %+v %+v %+v", s.Link, s.Fsync, s.LockTimeout, s.Dir, s.PrePush, s.AutoPull, s.LeaseTTL, s.DefaultRemote,
		s.Lake, s.LakeEndpoint, s.LakeRegion)
	for _, name := range slices.Sorted(maps.Keys(s.remotes)) {
		out += fmt.Sprintf(" %+v", *s.remotes[name])
	}
	return out
}

// The store goes in the common git directory, which linked worktrees
// share, unless dds.dir names a folder: relative to the working tree's root,
// or absolute.
func TestStoreDir(t *testing.T) {
	repo := &gitref.Repo{Root: "/src/repo", GitDir: "/src/repo/.git/worktrees/wt", CommonDir: "/src/repo/.git"}
	for _, tt := range []struct{ dir, want string }{
		{"", "/src/repo/.git/dds"},
		{"../shared/dds/", "/src/shared/dds"},
		{"/data/dds", "/data/dds"},
	} {
		var entries []gitref.ConfigEntry
		if tt.dir != "" {
			entries = []gitref.ConfigEntry{{Key: "dds.dir", Value: tt.dir}}
		}
		s, err := Parse(entries, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.StoreDir(repo); got != tt.want {
			t.Errorf("dds.dir %q: StoreDir() = %s, want %s", tt.dir, got, tt.want)
		}
	}
}

func TestAudit(t *testing.T) {
	s, err := Parse([]gitref.ConfigEntry{{Key: "dds.audit", Value: "Strict"}}, nil)
	if err != nil || s.Audit.Err != nil || s.Audit.Value != AuditStrict {
		t.Fatalf("dds.audit=Strict: %+v, %v", s.Audit, err)
	}
	if s, _ := Parse(nil, nil); s.Audit.Value != AuditOff {
		t.Errorf("unset dds.audit means %q, want off", s.Audit.Value)
	}
}

// dds.publish takes every value, in git's order; an empty value clears
// those before it, and a bad one is refused alone. A single-valued
// setting set twice takes its last value, even an empty one (the
// default).
func TestPublishIsMultiValued(t *testing.T) {
	s, err := Parse([]gitref.ConfigEntry{
		{Key: "dds.link", Value: "hardlink"},
		{Key: "dds.link", Value: ""},
		{Key: "dds.publish", Value: "old"},
		{Key: "dds.publish", Value: ""},
		{Key: "dds.publish", Value: "refs/heads/main"},
		{Key: "dds.publish", Value: "has space"},
		{Key: "dds.publish", Value: "release/*"},
		{Key: "dds.publish", Value: "[bad"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Link.Set() || s.Link.Value != store.Copy {
		t.Errorf("dds.link set to hardlink then to empty: %+v, want the default", s.Link)
	}
	if !slices.Equal(s.Publish.Value, []string{"main", "release/*"}) {
		t.Errorf("dds.publish: %q, want main and release/*", s.Publish.Value)
	}
	if s.Publish.Err == nil || !errors.Is(s.Publish.Err, ErrInvalid) || !strings.Contains(s.Publish.Err.Error(), `"has space"`) {
		t.Errorf("dds.publish error: %v", s.Publish.Err)
	}
	for branch, want := range map[string]bool{"main": true, "release/1.0": true, "release/1/2": false, "old": false, "mainline": false} {
		if got := s.Publishes(branch); got != want {
			t.Errorf("Publishes(%q) = %v, want %v", branch, got, want)
		}
	}
	if _, err := Parse(nil, []gitref.ConfigEntry{{Key: "dds.publish", Value: "main"}}); !errors.Is(err, gitref.ErrTeamConfig) {
		t.Errorf("dds.publish in .ddsconfig: %v, want refused as a setting of one clone", err)
	}
}
