package gitref

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckTeamKey(t *testing.T) {
	for _, key := range []string{"dds.remote", "dds.remote.team.url", "dds.remote.Team.endpoint", "dds.remote.a.b.region", "dds.leaseseconds", "dds.prepush", "dds.autopull"} {
		if err := checkTeamKey(key); err != nil {
			t.Errorf("%s refused: %v", key, err)
		}
	}
	for _, key := range []string{"dds.dir", "dds.link", "dds.fsync", "dds.locktimeout", "dds.remote.team.token", "dds.remote..url", "dds.remote.url", "dds.bogus", "include.path", "core.hookspath", "credential.helper"} {
		if err := checkTeamKey(key); !errors.Is(err, ErrTeamConfig) {
			t.Errorf("%s admitted (%v)", key, err)
		}
	}
}

func TestTeamConfigIsBelowGitConfig(t *testing.T) {
	c := parseConfigList([]byte("dds.remote.team.url\nfile:///mine\x00dds.prepush\nverify\x00"))
	team := parseConfigList([]byte("dds.remote.team.url\nfile:///team\x00dds.remote.team.region\neu\x00dds.remote.other.url\ns3://b\x00dds.prepush\noff\x00"))
	c.addBelow(team)
	for key, want := range map[string]string{
		"dds.remote.team.url": "file:///mine", "dds.prepush": "verify",
		"dds.remote.team.region": "eu", "dds.remote.other.url": "s3://b",
	} {
		if got := c.values[key]; got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if c.fromTeam["dds.remote.team.url"] || !c.fromTeam["dds.remote.team.region"] {
		t.Errorf("sources: %v", c.fromTeam)
	}
}

// FuzzTeamConfig feeds what git config --list -z could print for a
// committed .ddsconfig: the keys admitted are dds.* settings only, and
// they never replace a value git config set.
func FuzzTeamConfig(f *testing.F) {
	f.Add([]byte("dds.remote.team.url\nfile:///x\x00"), []byte("dds.remote.team.url\ns3://b/p\x00dds.dir\n/tmp\x00"))
	f.Add([]byte(""), []byte("include.path\n/etc/passwd\x00dds.remote..url\nx\x00dds.remote.a.b.region\neu\x00"))
	f.Fuzz(func(t *testing.T, mine, theirs []byte) {
		c := parseConfigList(mine)
		before := map[string]string{}
		for k, v := range c.values {
			before[k] = v
		}
		team := parseConfigList(theirs)
		for key := range team.values {
			if checkTeamKey(key) == nil && !strings.HasPrefix(key, "dds.") {
				t.Fatalf("admitted %q", key)
			}
		}
		c.addBelow(team)
		for k, v := range before {
			if c.values[k] != v {
				t.Fatalf("%s: %q replaced by %q", k, v, c.values[k])
			}
		}
	})
}
