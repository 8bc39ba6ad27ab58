package store

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var (
	idA = strings.Repeat("a", 64)
	idB = strings.Repeat("0123456789abcdef", 4)
)

func TestManifestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		m    Manifest
		want string
	}{
		{
			name: "empty folder",
			m:    Manifest{},
			want: "dds-manifest v1\n",
		},
		{
			name: "files, executable, empty folder, sorted by path bytes",
			m: Manifest{Entries: []Entry{
				{Path: "a", Mode: 0o644, Size: 3, ID: idA},
				{Path: "a-b", Mode: 0o755, Size: 0, ID: idB},
				{Path: "b/c", Mode: 0o644, Size: 1 << 40, ID: idB},
				{Path: "empty", Mode: fs.ModeDir | 0o755},
			}},
			want: "dds-manifest v1\n" +
				"0644 3 " + idA + " \"a\"\n" +
				"0755 0 " + idB + " \"a-b\"\n" +
				"0644 1099511627776 " + idB + " \"b/c\"\n" +
				"dir 0 - \"empty\"\n",
		},
		{
			name: "names that need quoting",
			m: Manifest{Entries: []Entry{
				{Path: "new\nline", Mode: 0o644, Size: 1, ID: idA},
				{Path: "quote\"back\\slash", Mode: 0o644, Size: 1, ID: idA},
				{Path: "space in name", Mode: 0o644, Size: 1, ID: idA},
				{Path: "\xff\xfe", Mode: 0o644, Size: 1, ID: idA},
				{Path: "ünï", Mode: 0o644, Size: 1, ID: idA},
			}},
			want: "dds-manifest v1\n" +
				"0644 1 " + idA + " \"new\\nline\"\n" +
				"0644 1 " + idA + " \"quote\\\"back\\\\slash\"\n" +
				"0644 1 " + idA + " \"space in name\"\n" +
				"0644 1 " + idA + " \"\\u00fcn\\u00ef\"\n" +
				"0644 1 " + idA + " \"\\xff\\xfe\"\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EncodeManifest(tt.m)
			if string(got) != tt.want {
				t.Fatalf("EncodeManifest =\n%s\nwant\n%s", got, tt.want)
			}
			back, err := DecodeManifest(got)
			if err != nil {
				t.Fatalf("DecodeManifest: %v", err)
			}
			want := slices.SortedFunc(slices.Values(tt.m.Entries), func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
			if !slices.Equal(back.Entries, want) {
				t.Fatalf("DecodeManifest = %+v, want %+v", back.Entries, want)
			}
		})
	}
}

func TestEncodeManifestSortsEntries(t *testing.T) {
	a := Entry{Path: "a", Mode: 0o644, Size: 1, ID: idA}
	b := Entry{Path: "b", Mode: 0o644, Size: 1, ID: idB}
	if !bytes.Equal(EncodeManifest(Manifest{Entries: []Entry{b, a}}), EncodeManifest(Manifest{Entries: []Entry{a, b}})) {
		t.Fatal("entry order changed the encoding")
	}
}

func TestDecodeManifestRejects(t *testing.T) {
	const head = "dds-manifest v1\n"
	file := func(path string) string { return "0644 1 " + idA + " " + path + "\n" }
	tests := []struct {
		name, in, wantErr string
	}{
		{"no header", file(`"a"`), "does not start"},
		{"other version", "dds-manifest v2\n", "does not start"},
		{"missing final newline", head + strings.TrimSuffix(file(`"a"`), "\n"), "newline"},
		{"carriage return", head + strings.TrimSuffix(file(`"a"`), "\n") + "\r\n", "quoted"},
		{"absolute path", head + file(`"/etc/passwd"`), "clean relative path"},
		{"parent element", head + file(`"../x"`), "clean relative path"},
		{"inner parent element", head + file(`"a/../b"`), "clean relative path"},
		{"dot element", head + file(`"./a"`), "clean relative path"},
		{"empty element", head + file(`"a//b"`), "clean relative path"},
		{"trailing slash", head + file(`"a/"`), "clean relative path"},
		{"empty path", head + file(`""`), "clean relative path"},
		{"root itself", head + file(`"."`), "clean relative path"},
		{"nul byte", head + file(`"a\x00b"`), "clean relative path"},
		{"unquoted path", head + file(`a`), "quoted"},
		{"raw-quoted path", head + file("`a`"), "canonical"},
		{"needless escape", head + file(`"\x61"`), "canonical"},
		{"unsorted", head + file(`"b"`) + file(`"a"`), "out of order"},
		{"repeated", head + file(`"a"`) + file(`"a"`), "out of order"},
		{"file is also a folder", head + file(`"a"`) + file(`"a/b"`), "also"},
		{"empty folder is not empty", head + "dir 0 - \"a\"\n" + file(`"a/b"`), "also"},
		{"folder with size", head + "dir 1 - \"a\"\n", "size 0"},
		{"folder with id", head + "dir 0 " + idA + " \"a\"\n", "size 0"},
		{"unknown mode", head + "0600 1 " + idA + " \"a\"\n", "mode"},
		{"negative size", head + "0644 -1 " + idA + " \"a\"\n", "size"},
		{"signed size", head + "0644 +1 " + idA + " \"a\"\n", "canonical"},
		{"padded size", head + "0644 01 " + idA + " \"a\"\n", "canonical"},
		{"uppercase id", head + "0644 1 " + strings.ToUpper(idB) + " \"a\"\n", "hex"},
		{"short id", head + "0644 1 abc \"a\"\n", "hex"},
		{"too few fields", head + "0644 1 \"a\"\n", "want MODE"},
		{"double space", head + "0644  1 " + idA + " \"a\"\n", "quoted"},
		{"git folder", head + file(`".git/hooks/post-checkout"`), ".git folder"},
		{"nested git folder", head + file(`"sub/.git/config"`), ".git folder"},
		{"git folder in capitals", head + file(`"sub/.GiT/config"`), ".git folder"},
		{"empty git folder", head + "dir 0 - \".git\"\n", ".git folder"},
		{"huge size", head + "0644 1125899906842625 " + idA + " \"a\"\n", "add up"},
		{"sizes adding up past the bound", head + "0644 1125899906842624 " + idA + " \"a\"\n" + "0644 1 " + idA + " \"b\"\n", "add up"},
		{"long path", head + file(`"`+strings.Repeat("a", 4097)+`"`), "longer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeManifest([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("DecodeManifest(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func FuzzDecodeManifest(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeManifest(b)
		if err != nil {
			return
		}
		enc := EncodeManifest(m)
		if !bytes.Equal(enc, b) {
			t.Fatalf("encode(decode(b)) = %q, want %q", enc, b)
		}
		back, err := DecodeManifest(enc)
		if err != nil {
			t.Fatalf("re-decoding an encoded manifest: %v", err)
		}
		if !slices.Equal(back.Entries, m.Entries) {
			t.Fatalf("decode(encode(m)) = %+v, want %+v", back.Entries, m.Entries)
		}
		for _, e := range m.Entries {
			if checkEntryPath(e.Path) != nil {
				t.Fatalf("decoded an unsafe path %q", e.Path)
			}
		}
	})
}

// TestIngestRefusesAGitFolder: a folder output holding a .git folder (a
// repository whose config git would obey) cannot be stored, so no
// manifest ever names one.
func TestIngestRefusesAGitFolder(t *testing.T) {
	for _, name := range []string{".git", ".GIT", "sub/.Git"} {
		s, dir := newStore(t)
		out := filepath.Join(dir, "out")
		if err := os.MkdirAll(filepath.Join(out, filepath.FromSlash(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, filepath.FromSlash(name), "config"), []byte("[core]\n\tfsmonitor = touch pwned\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.IngestDir(context.Background(), out, Copy)
		if err == nil || !strings.Contains(err.Error(), "holds a .git folder") {
			t.Errorf("IngestDir of a folder holding %s: %v; want a refusal", name, err)
		}
	}
}
