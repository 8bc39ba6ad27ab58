package gitref

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestParseFSMonitorOutput(t *testing.T) {
	for _, tc := range []struct {
		name, out string
		token     string
		changed   []string
		all, bad  bool
	}{
		{name: "token alone", out: "c:1:2\x00", token: "c:1:2"},
		{name: "paths", out: "t\x00a.txt\x00dir/b\x00", token: "t", changed: []string{"a.txt", "dir/b"}},
		{name: "last path unended", out: "t\x00a\x00b", token: "t", changed: []string{"a", "b"}},
		{name: "a folder", out: "t\x00dir/\x00", token: "t", changed: []string{"dir"}},
		{name: "everything", out: "t\x00/\x00a\x00", token: "t", changed: []string{"a"}, all: true},
		{name: "the root by another name", out: "t\x00./\x00", token: "t", all: true},
		{name: "no NUL", out: "t", bad: true},
		{name: "empty token", out: "\x00a\x00", bad: true},
		{name: "token with a line break", out: "a\nb\x00", bad: true},
		{name: "token too long", out: strings.Repeat("t", maxFSMonitorToken+1) + "\x00", bad: true},
		{name: "outside", out: "t\x00../x\x00", bad: true},
		{name: "absolute", out: "t\x00/etc/passwd\x00", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token, changed, all, err := parseFSMonitorOutput([]byte(tc.out))
			if tc.bad {
				if err == nil {
					t.Fatalf("parsed %q, want an error", tc.out)
				}
				return
			}
			if err != nil || token != tc.token || !slices.Equal(changed, tc.changed) || all != tc.all {
				t.Fatalf("got %q %q %v %v, want %q %q %v", token, changed, all, err, tc.token, tc.changed, tc.all)
			}
		})
	}
}

func TestWatchStateRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 1000} {
		s := savedWatch{token: "c:123:4", digest: strings.Repeat("ab", 32), trusted: make([]bool, n)}
		for i := range n {
			s.trusted[i] = i%3 == 0
		}
		got, err := parseWatchState(encodeWatchState(s))
		if err != nil {
			t.Fatalf("%d slots: %v", n, err)
		}
		if got.token != s.token || got.digest != s.digest || !slices.Equal(got.trusted, s.trusted) {
			t.Fatalf("%d slots: read back %+v", n, got)
		}
	}
	good := encodeWatchState(savedWatch{token: "t", digest: strings.Repeat("ab", 32), trusted: make([]bool, 20)})
	for name, data := range map[string][]byte{
		"empty":          nil,
		"cut short":      good[:len(good)-1],
		"one byte more":  append(bytes.Clone(good), 0),
		"other magic":    append([]byte("git-dds fsmonitor state 9\n"), good[len(fsmonitorMagic):]...),
		"count too big":  bytes.Replace(good, []byte("\n20\n"), []byte("\n999999999999\n"), 1),
		"negative count": bytes.Replace(good, []byte("\n20\n"), []byte("\n-1\n"), 1),
	} {
		if _, err := parseWatchState(data); err == nil {
			t.Errorf("%s: parsed, want an error", name)
		}
	}
}

// FuzzParseFSMonitorOutput: the hook's output is the outside world's; no
// answer panics, and every path kept is clean and inside the repository.
func FuzzParseFSMonitorOutput(f *testing.F) {
	f.Add([]byte("c:1:2\x00a\x00b/\x00/\x00"))
	f.Add([]byte("t\x00../x\x00"))
	f.Fuzz(func(t *testing.T, out []byte) {
		token, changed, _, err := parseFSMonitorOutput(out)
		if err != nil {
			return
		}
		if token == "" || strings.ContainsAny(token, "\n\x00") {
			t.Fatalf("kept the token %q", token)
		}
		for _, p := range changed {
			if c, err := cleanPath(p); err != nil || c != p || p == "" {
				t.Fatalf("kept the path %q", p)
			}
		}
	})
}

// FuzzParseWatchState: a state file is read back from disk, where anything
// may have written it; what parses encodes to the same bytes.
func FuzzParseWatchState(f *testing.F) {
	f.Add(encodeWatchState(savedWatch{token: "t", digest: strings.Repeat("ab", 32), trusted: []bool{true, false, true}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseWatchState(data)
		if err != nil {
			return
		}
		again, err := parseWatchState(encodeWatchState(s))
		if err != nil || again.token != s.token || again.digest != s.digest || !slices.Equal(again.trusted, s.trusted) {
			t.Fatalf("%q does not read back: %v", data, err)
		}
	})
}
