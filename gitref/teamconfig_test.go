package gitref

import (
	"errors"
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
	if got := c.subsections["dds"]; len(got) != 2 {
		t.Errorf("subsections %q, want remote.team and remote.other", got)
	}
}
