package gitref

import (
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/config"
)

func TestParseConfigParameters(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []commandLineSetting
		bad  bool
	}{
		{in: ""},
		{in: `'dds.link'='hardlink'`, want: []commandLineSetting{{"dds.link", "hardlink"}}},
		// What git 2.39 writes for -c dds.link=hardlink -c "x.y=a'b! c"
		// -c flag.only -c Sect.Sub.Key=V -c e.mpty=.
		{
			in: `'dds.link'='hardlink' 'x.y'='a'\''b'\!' c' 'flag.only'= 'Sect.Sub.Key'='V' 'e.mpty'=''`,
			want: []commandLineSetting{
				{"dds.link", "hardlink"}, {"x.y", "a'b! c"}, {"flag.only", "true"}, {"Sect.Sub.Key", "V"}, {"e.mpty", ""},
			},
		},
		// Before git 2.31: one word per setting.
		{in: `'dds.fsync=false' 'core.x'`, want: []commandLineSetting{{"dds.fsync", "false"}, {"core.x", "true"}}},
		{in: `  'a.b'='c'  `, want: []commandLineSetting{{"a.b", "c"}}},
		{in: `dds.link=hardlink`, bad: true},
		{in: `'dds.link'='hardlink`, bad: true},
		{in: `'a.b'='c''d.e'='f'`, bad: true},
	} {
		got, err := parseConfigParameters(tt.in)
		if (err != nil) != tt.bad {
			t.Errorf("%s: error %v", tt.in, err)
		}
		if !tt.bad && !slices.Equal(got, tt.want) {
			t.Errorf("%s:\n got  %q\n want %q", tt.in, got, tt.want)
		}
	}
}

func TestCommandLineConfigOrder(t *testing.T) {
	env := map[string]string{
		"GIT_CONFIG_COUNT":      "2",
		"GIT_CONFIG_KEY_0":      "dds.link",
		"GIT_CONFIG_VALUE_0":    "copy",
		"GIT_CONFIG_KEY_1":      "dds.remote.Team.url",
		"GIT_CONFIG_VALUE_1":    "file:///x",
		"GIT_CONFIG_PARAMETERS": `'DDS.Link'='hardlink'`,
	}
	got := commandLineConfig(func(k string) string { return env[k] })
	want := []commandLineSetting{{"dds.link", "copy"}, {"dds.remote.Team.url", "file:///x"}, {"DDS.Link", "hardlink"}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestApplyCommandLine(t *testing.T) {
	t.Setenv("GIT_CONFIG_COUNT", "0")
	t.Setenv("GIT_CONFIG_PARAMETERS", `'DDS.Link'='hardlink' 'dds.remote.Team.URL'='file:///team' 'core.fileMode'='false' 'nodot'='x' 'dds.'='y'`)
	cfg := config.NewConfig()
	cfg.Raw.Section("dds").SetOption("link", "copy")
	applyCommandLine(cfg)
	if got := cfg.Raw.Section("dds").Option("link"); got != "hardlink" {
		t.Errorf("dds.link = %q, want the command line's hardlink", got)
	}
	if got := cfg.Raw.Section("dds").Subsection("remote.Team").Option("url"); got != "file:///team" {
		t.Errorf("dds.remote.Team.url = %q", got)
	}
	if got := cfg.Raw.Section("core").Option("filemode"); got != "false" {
		t.Errorf("core.filemode = %q", got)
	}
}

func FuzzParseConfigParameters(f *testing.F) {
	f.Add(`'dds.link'='hardlink' 'x.y'='a'\''b'\!' c' 'flag.only'= 'Sect.Sub.Key'='V'`)
	f.Add(`'dds.fsync=false' 'core.x'`)
	f.Fuzz(func(t *testing.T, s string) {
		settings, err := parseConfigParameters(s)
		if err != nil {
			return
		}
		// What parses comes back the same once written as git writes it.
		var quoted []string
		for _, st := range settings {
			quoted = append(quoted, sqQuote(st.key)+"="+sqQuote(st.value))
		}
		again, err := parseConfigParameters(strings.Join(quoted, " "))
		if err != nil || !slices.Equal(again, settings) {
			t.Fatalf("%q parsed as %q, rewritten and parsed as %q (%v)", s, settings, again, err)
		}
	})
}

// sqQuote quotes s as git's sq_quote_buf does.
func sqQuote(s string) string {
	return "'" + strings.NewReplacer("'", `'\''`, "!", `'\!'`).Replace(s) + "'"
}
