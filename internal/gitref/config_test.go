package gitref

import (
	"slices"
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
	if got, want := c.subsections["dds"], []string{"remote.Team", "remote.origin"}; !slices.Equal(got, want) {
		t.Errorf("subsections of dds: %q, want %q", got, want)
	}
}

func FuzzParseConfigList(f *testing.F) {
	f.Add([]byte("dds.link\nhardlink\x00flag.only\x00dds.remote.o.url\nx\x00"))
	f.Fuzz(func(t *testing.T, out []byte) {
		c := parseConfigList(out)
		for section, subs := range c.subsections {
			for _, sub := range subs {
				if sub == "" || section == "" {
					t.Fatalf("empty section or subsection from %q", out)
				}
			}
		}
	})
}
