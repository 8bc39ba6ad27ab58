package gitref

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const lsFilesSample = "100644 61780798228d17af2d34fce4cfbdf35556832472 0\tb.txt\x00" +
	"  ctime: 1795618171:442023899\n  mtime: 1795618171:442023899\n  dev: 65024\tino: 9978049\n  uid: 0\tgid: 0\n  size: 2\tflags: 60000000\n" +
	"100755 78981922613b2afb6025042ff6bd878ac1994e85 2\tsrc/lib/a b.txt\x00" +
	"  ctime: 1:2\n  mtime: 3:4\n  dev: 1\tino: 5\n  uid: 0\tgid: 0\n  size: 6\tflags: 0\n"

func TestParseLsFilesDebug(t *testing.T) {
	got, err := parseLsFilesDebug([]byte(lsFilesSample))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d entries, want 2", len(got))
	}
	first, second := got[0], got[1]
	if first.path != "b.txt" || first.stage != 0 || !first.entry.hasStat || !first.entry.intentToAdd || !first.entry.skipWorktree ||
		first.entry.stat != (statData{mtimeSec: 1795618171, mtimeNsec: 442023899, ctimeSec: 1795618171, ctimeNsec: 442023899, inode: 9978049, size: 2}) {
		t.Errorf("first entry = %+v %+v", first, first.entry)
	}
	if second.path != "src/lib/a b.txt" || second.stage != 2 || second.entry.mode != 0o100755 || second.entry.intentToAdd ||
		second.entry.stat != (statData{mtimeSec: 3, mtimeNsec: 4, ctimeSec: 1, ctimeNsec: 2, inode: 5, size: 6}) {
		t.Errorf("second entry = %+v %+v", second, second.entry)
	}

	noStat, err := parseLsFilesDebug([]byte("100644 61780798228d17af2d34fce4cfbdf35556832472 0\tx\x00  mtime: bad\n"))
	if err != nil || len(noStat) != 1 || noStat[0].entry.hasStat {
		t.Errorf("an entry with unreadable stat lines = %+v, %v; want it without stat data", noStat, err)
	}
	for _, bad := range []string{
		"100644 61780798228d17af2d34fce4cfbdf35556832472 0\tx",
		"100644 6178 0\tx\x00",
		"100644 61780798228d17af2d34fce4cfbdf35556832472 7\tx\x00",
		"1x0644 61780798228d17af2d34fce4cfbdf35556832472 0\tx\x00",
		"no tab\x00",
	} {
		if _, err := parseLsFilesDebug([]byte(bad)); err == nil {
			t.Errorf("parseLsFilesDebug(%q) succeeded", bad)
		}
	}
}

func FuzzParseLsFilesDebug(f *testing.F) {
	f.Add([]byte(lsFilesSample))
	f.Add([]byte(""))
	f.Add([]byte("160000 61780798228d17af2d34fce4cfbdf35556832472 0\tsub\x00"))
	f.Add([]byte("100644 61780798228d17af2d34fce4cfbdf35556832472 0\tx\x00  size: 99999999999\tflags: zz\n  mtime: 1:\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		listed, err := parseLsFilesDebug(out)
		if err != nil {
			return
		}
		for _, l := range listed {
			if l.path == "" || l.stage < 0 || l.stage > 3 || l.entry == nil {
				t.Fatalf("accepted a bad entry %+v", l)
			}
		}
	})
}

const treeSample = "3f61767e36b46817e938585bf9cfe6a51722c88c"

func TestParseMergeTree(t *testing.T) {
	tests := []struct {
		out       string
		wantTree  string
		wantPaths []string
		wantErr   bool
	}{
		{out: treeSample + "\x00", wantTree: treeSample},
		{out: treeSample + "\x00b\x00a/x\x00b\x00", wantTree: treeSample, wantPaths: []string{"a/x", "b"}},
		{out: treeSample + "\x00b\x00\x001\x00b\x00Auto-merging\x00", wantTree: treeSample, wantPaths: []string{"b"}},
		{out: "", wantErr: true},
		{out: "fatal: nope\n", wantErr: true},
	}
	for _, tt := range tests {
		tree, paths, err := parseMergeTree([]byte(tt.out))
		if (err != nil) != tt.wantErr || tree != tt.wantTree || !slices.Equal(paths, tt.wantPaths) {
			t.Errorf("parseMergeTree(%q) = %q, %q, %v", tt.out, tree, paths, err)
		}
	}
}

func FuzzParseMergeTree(f *testing.F) {
	f.Add([]byte(treeSample + "\x00"))
	f.Add([]byte(treeSample + "\x00b\x00\x001\x00b\x00Auto-merging b\n\x00"))
	f.Add([]byte("\x00\x00"))
	f.Fuzz(func(t *testing.T, out []byte) {
		tree, paths, err := parseMergeTree(out)
		if err != nil {
			return
		}
		if !isObjectID(tree) || !slices.IsSorted(paths) || len(slices.Compact(slices.Clone(paths))) != len(paths) {
			t.Fatalf("parseMergeTree(%q) = %q, %q", out, tree, paths)
		}
		for _, p := range paths {
			if p == "" {
				t.Fatal("an empty conflicted path")
			}
		}
	})
}

func TestParseRevParse(t *testing.T) {
	dir := filepath.FromSlash("/srv/repo/src")
	loc, err := parseRevParse("false\nsha1\n/srv/repo/.git\n../.git\n../.git/index\n/srv/repo\n", dir)
	want := location{objectFormat: "sha1", gitDir: "/srv/repo/.git", commonDir: "/srv/repo/.git", indexPath: "/srv/repo/.git/index", root: "/srv/repo"}
	if err != nil || loc != want {
		t.Errorf("parseRevParse = %+v, %v; want %+v", loc, err, want)
	}
	bare, err := parseRevParse("true\nsha1\n/srv/x.git\n.\nindex\n", "/srv/x.git")
	if err == nil || !bare.bare || bare.gitDir != "/srv/x.git" {
		t.Errorf("parseRevParse of a bare repository's partial answer = %+v, %v", bare, err)
	}
	if _, err := parseRevParse("false\nsha1\n\n.git\nindex\n/r\n", "/r"); err == nil {
		t.Error("an empty answer was accepted")
	}
}

func FuzzParseRevParse(f *testing.F) {
	f.Add("false\nsha1\n/srv/repo/.git\n../.git\n../.git/index\n/srv/repo\n", "/srv/repo/src")
	f.Add("true\nsha1\n/srv/x.git\n.\nindex\n", "/srv/x.git")
	f.Add("", "/")
	f.Fuzz(func(t *testing.T, out, dir string) {
		if !filepath.IsAbs(dir) {
			return
		}
		loc, err := parseRevParse(out, dir)
		if err != nil {
			return
		}
		for _, p := range []string{loc.gitDir, loc.commonDir, loc.indexPath, loc.root} {
			if !filepath.IsAbs(p) {
				t.Fatalf("parseRevParse(%q, %q) left %q relative", out, dir, p)
			}
		}
	})
}

func TestCleanPath(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "", want: ""},
		{in: ".", want: ""},
		{in: "./", want: ""},
		{in: "src/lib/", want: "src/lib"},
		{in: "./src//lib", want: "src/lib"},
		{in: "src/../data", want: "data"},
		{in: "/etc/passwd", wantErr: true},
		{in: "..", wantErr: true},
		{in: "src/../../x", wantErr: true},
	}
	for _, tt := range tests {
		got, err := cleanPath(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("cleanPath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func FuzzCleanPath(f *testing.F) {
	for _, seed := range []string{"", ".", "a/b/", "../x", "/abs", "a/./b//c", "a/../.."} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := cleanPath(in)
		if err != nil {
			return
		}
		if strings.HasPrefix(got, "/") || got == ".." || strings.HasPrefix(got, "../") || strings.HasSuffix(got, "/") {
			t.Fatalf("cleanPath(%q) = %q, outside or unclean", in, got)
		}
		if again, err := cleanPath(got); err != nil || again != got {
			t.Fatalf("cleanPath is not idempotent on %q: %q, %v", got, again, err)
		}
	})
}

func FuzzQuoteStdinPath(f *testing.F) {
	for _, seed := range []string{"plain.txt", "new\nline", `"quoted"`, "tab\there", "cr\r", `back\slash`, "ünï"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, p string) {
		q := quoteStdinPath(p)
		if strings.ContainsAny(q, "\n\r") {
			t.Fatalf("quoteStdinPath(%q) = %q keeps a line break", p, q)
		}
		if !strings.HasPrefix(q, `"`) {
			if q != p {
				t.Fatalf("quoteStdinPath(%q) = %q changed an unquoted path", p, q)
			}
			return
		}
		if got := unquoteC(t, q); got != p {
			t.Fatalf("quoteStdinPath(%q) = %q, which git reads as %q", p, q, got)
		}
	})
}

// unquoteC undoes git's C-style quoting for the escapes quoteStdinPath
// writes.
func unquoteC(t *testing.T, q string) string {
	t.Helper()
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		t.Fatalf("%q is not quoted", q)
	}
	body := q[1 : len(q)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			b.WriteByte(body[i])
			continue
		}
		i++
		switch {
		case i < len(body) && (body[i] == '"' || body[i] == '\\'):
			b.WriteByte(body[i])
		case i+2 < len(body):
			v, err := strconv.ParseUint(body[i:i+3], 8, 8)
			if err != nil {
				t.Fatalf("bad escape in %q", q)
			}
			b.WriteByte(byte(v))
			i += 2
		default:
			t.Fatalf("bad escape in %q", q)
		}
	}
	return b.String()
}
