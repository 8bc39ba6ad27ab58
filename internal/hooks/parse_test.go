package hooks

import (
	"reflect"
	"strings"
	"testing"
)

const (
	sha1A   = "1111111111111111111111111111111111111111"
	sha1B   = "2222222222222222222222222222222222222222"
	sha1Z   = "0000000000000000000000000000000000000000"
	sha256A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	sha256B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestParsePrePush(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		input   string
		want    []PushedRef
		wantErr string
	}{
		{name: "empty", input: ""},
		{
			name:  "update",
			input: "refs/heads/main " + sha1A + " refs/heads/main " + sha1B + "\n",
			want:  []PushedRef{{LocalRef: "refs/heads/main", LocalSHA: sha1A, RemoteRef: "refs/heads/main", RemoteSHA: sha1B}},
		},
		{
			name: "create and delete",
			input: "refs/heads/new " + sha1A + " refs/heads/new " + sha1Z + "\n" +
				"(delete) " + sha1Z + " refs/heads/old " + sha1B + "\n",
			want: []PushedRef{
				{LocalRef: "refs/heads/new", LocalSHA: sha1A, RemoteRef: "refs/heads/new", RemoteSHA: sha1Z},
				{LocalRef: "(delete)", LocalSHA: sha1Z, RemoteRef: "refs/heads/old", RemoteSHA: sha1B, Delete: true},
			},
		},
		{
			name:  "sha256 without final LF",
			input: "HEAD " + sha256A + " refs/heads/x " + sha256B,
			want:  []PushedRef{{LocalRef: "HEAD", LocalSHA: sha256A, RemoteRef: "refs/heads/x", RemoteSHA: sha256B}},
		},
		{name: "three fields", input: "refs/heads/main " + sha1A + " refs/heads/main\n", wantErr: `line 1 "refs/heads/main 1111111111111111111111111111111111111111 refs/heads/main" has 3`},
		{name: "empty line", input: "refs/heads/a " + sha1A + " refs/heads/a " + sha1B + "\n\n", wantErr: "line 2"},
		{name: "double space", input: "refs/heads/a  " + sha1A + " refs/heads/a " + sha1B + "\n", wantErr: "line 1"},
		{name: "tab", input: "refs/heads/a\t" + sha1A + " refs/heads/a " + sha1B + "\n", wantErr: "line 1"},
		{name: "CR", input: "refs/heads/a " + sha1A + " refs/heads/a " + sha1B + "\r\n", wantErr: "object id"},
		{name: "short sha", input: "refs/heads/a 1234 refs/heads/a " + sha1B + "\n", wantErr: `"1234" where an object id`},
		{name: "uppercase sha", input: "refs/heads/a " + strings.ToUpper(sha256A) + " refs/heads/a " + sha256B + "\n", wantErr: "object id"},
		{name: "mixed lengths", input: "refs/heads/a " + sha1A + " refs/heads/a " + sha256B + "\n", wantErr: "mixes"},
		{name: "empty ref", input: " " + sha1A + " refs/heads/a " + sha1B + "\n", wantErr: "empty ref"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePrePush(strings.NewReader(tt.input))
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestParsePostRewrite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		input   string
		want    []Rewrite
		wantErr string
	}{
		{name: "empty", input: ""},
		{
			name:  "two rewrites",
			input: sha1A + " " + sha1B + "\n" + sha1B + " " + sha1A + "\n",
			want:  []Rewrite{{OldSHA: sha1A, NewSHA: sha1B}, {OldSHA: sha1B, NewSHA: sha1A}},
		},
		{
			name:  "extra info with spaces",
			input: sha256A + " " + sha256B + " some extra info\n",
			want:  []Rewrite{{OldSHA: sha256A, NewSHA: sha256B, Extra: "some extra info"}},
		},
		{name: "one field", input: sha1A + "\n", wantErr: `line 1 "` + sha1A + `" has 1`},
		{name: "trailing space", input: sha1A + " " + sha1B + " \n", wantErr: "no extra info"},
		{name: "bad sha on line 2", input: sha1A + " " + sha1B + "\n" + sha1A + " nope\n", wantErr: "line 2"},
		{name: "empty line", input: "\n", wantErr: "line 1"},
		{name: "CR", input: sha1A + " " + sha1B + "\r\n", wantErr: "object id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePostRewrite(strings.NewReader(tt.input))
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func checkParse[T any](t *testing.T, got []T, err error, want []T, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("error = %v, want one containing %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

// Whatever parses must be exactly what git would have written for it.
func FuzzParsePrePush(f *testing.F) {
	f.Add("refs/heads/main " + sha1A + " refs/heads/main " + sha1B + "\n")
	f.Add("(delete) " + sha1Z + " refs/heads/old " + sha1B + "\n")
	f.Add("a b c d\r\n\n")
	f.Fuzz(func(t *testing.T, input string) {
		refs, err := ParsePrePush(strings.NewReader(input))
		if err != nil {
			return
		}
		var again strings.Builder
		for _, r := range refs {
			if r.Delete != isZeroID(r.LocalSHA) {
				t.Fatalf("Delete is %v for local sha %s", r.Delete, r.LocalSHA)
			}
			again.WriteString(r.LocalRef + " " + r.LocalSHA + " " + r.RemoteRef + " " + r.RemoteSHA + "\n")
		}
		if again.String() != input && again.String() != input+"\n" {
			t.Fatalf("parsed %q into %+v, which git would write as %q", input, refs, again.String())
		}
	})
}

func FuzzParsePostRewrite(f *testing.F) {
	f.Add(sha1A + " " + sha1B + "\n")
	f.Add(sha256A + " " + sha256B + " extra info\n")
	f.Add(sha1A + " " + sha1B + " \n")
	f.Fuzz(func(t *testing.T, input string) {
		rewrites, err := ParsePostRewrite(strings.NewReader(input))
		if err != nil {
			return
		}
		var again strings.Builder
		for _, rw := range rewrites {
			again.WriteString(rw.OldSHA + " " + rw.NewSHA)
			if rw.Extra != "" {
				again.WriteString(" " + rw.Extra)
			}
			again.WriteString("\n")
		}
		if again.String() != input && again.String() != input+"\n" {
			t.Fatalf("parsed %q into %+v, which git would write as %q", input, rewrites, again.String())
		}
	})
}
