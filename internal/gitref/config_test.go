package gitref

import (
	"slices"
	"strings"
	"testing"
)

func TestParseConfigList(t *testing.T) {
	// What git config --list -z prints for a flag without "=", a value
	// with a newline, an explicitly empty value, subsections, and a key
	// set twice (the last counts).
	out := "core.filemode\ntrue\x00dds.link\ncopy\x00flag.only\x00dds.remote.Team.url\nfile:///a\nb\x00" +
		"e.mpty\n\x00dds.remote.origin.url\ns3://x\x00dds.link\nhardlink\x00dds.remote.Team.region\neu\x00"
	c := parseConfigList([]byte(out))
	for _, tt := range []struct {
		section, name, want string
		set                 bool
	}{
		{"dds", "link", "hardlink", true},
		{"DDS", "Link", "hardlink", true},
		{"core", "fileMode", "true", true},
		{"flag", "only", "true", true},
		{"e", "mpty", "", true},
		{"dds.remote.Team", "url", "file:///a\nb", true},
		{"dds.remote.team", "url", "", false},
		{"dds", "fsync", "", false},
	} {
		got, ok := c.lookup(tt.section, tt.name)
		if got != tt.want || ok != tt.set {
			t.Errorf("%s.%s = %q, %v; want %q, %v", tt.section, tt.name, got, ok, tt.want, tt.set)
		}
	}
	var keys []string
	for _, e := range (&Repo{config: c}).ConfigSection("dds") {
		keys = append(keys, e.Key+"="+e.Value)
	}
	// Every value of a key set twice, in git's order: config keeps the
	// last of a single-valued setting, all of a multi-valued one.
	if want := []string{"dds.link=copy", "dds.link=hardlink", "dds.remote.Team.region=eu", "dds.remote.Team.url=file:///a\nb", "dds.remote.origin.url=s3://x"}; !slices.Equal(keys, want) {
		t.Errorf("the dds section: %q, want %q", keys, want)
	}
}

func FuzzParseConfigList(f *testing.F) {
	f.Add([]byte("dds.link\nhardlink\x00flag.only\x00dds.remote.o.url\nx\x00"))
	f.Fuzz(func(t *testing.T, out []byte) {
		c := parseConfigList(out)
		for _, e := range (&Repo{config: c}).ConfigSection("dds") {
			if _, ok := c.values[e.Key]; !strings.HasPrefix(e.Key, "dds.") || !ok || !slices.Contains(c.all[e.Key], e.Value) {
				t.Fatalf("the dds section of %q lists %q", out, e.Key)
			}
		}
	})
}
