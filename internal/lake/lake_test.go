package lake

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-dds/git-dds/internal/config"
	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/pipeline"
)

const sig = "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"

func openDir(t *testing.T) (*Lake, string) {
	t.Helper()
	dir := t.TempDir()
	l, err := Open(context.Background(), Root{URL: "file://" + filepath.ToSlash(dir), From: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, dir
}

func write(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestResolveSettingWins(t *testing.T) {
	s, err := config.Parse([]gitref.ConfigEntry{{Key: "dds.lake", Value: "s3://mine/lake/"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Resolve(s, "s3://team/lake")
	if err != nil || r.URL != "s3://mine/lake" || r.From != "git config dds.lake" {
		t.Errorf("Resolve = %+v, %v; want the git config's lake", r, err)
	}
	none, _ := config.Parse(nil, nil)
	if r, err := Resolve(none, "file:///l"); err != nil || r.URL != "file:///l" || r.From != "dds.yaml lake" {
		t.Errorf("Resolve = %+v, %v; want dds.yaml's lake", r, err)
	}
	if _, err := Resolve(none, ""); !errors.Is(err, ErrNoLake) {
		t.Errorf("Resolve without a lake = %v, want ErrNoLake", err)
	}
	bad, _ := config.Parse([]gitref.ConfigEntry{{Key: "dds.lake", Value: "s3://key:secret@b/p"}}, nil)
	if _, err := Resolve(bad, ""); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("Resolve of a URL with a credential = %v, want a refusal that does not repeat it", err)
	}
}

func TestInspectFormats(t *testing.T) {
	parquet := "PAR1" + strings.Repeat("x", 20) + "PAR1"
	tests := []struct {
		name    string
		format  string
		files   map[string]string
		pointer string
		fails   string
	}{
		{"files", pipeline.FormatFiles, map[string]string{"a.csv": "1", "b/c.csv": "22"}, "", ""},
		{"empty", pipeline.FormatFiles, nil, "", "wrote nothing"},
		{"parquet", pipeline.FormatParquet, map[string]string{"part-0.parquet": parquet, "_SUCCESS": ""}, "", ""},
		{"parquet cut short", pipeline.FormatParquet, map[string]string{"part-0.parquet": parquet[:20]}, "", "does not end with PAR1"},
		{"parquet too small", pipeline.FormatParquet, map[string]string{"part-0.parquet": "PAR1"}, "", "too small"},
		{"parquet none", pipeline.FormatParquet, map[string]string{"data.csv": "1"}, "", "no .parquet object"},
		{"delta", pipeline.FormatDelta, map[string]string{
			"_delta_log/00000000000000000000.json": "{}", "_delta_log/00000000000000000002.json": "{}",
			"_delta_log/00000000000000000001.json": "{}", "part-0.parquet": parquet,
		}, "_delta_log/00000000000000000002.json", ""},
		{"delta without a log", pipeline.FormatDelta, map[string]string{"part-0.parquet": parquet}, "", "no table version"},
		{"iceberg", pipeline.FormatIceberg, map[string]string{
			"metadata/v9.metadata.json": "{}", "metadata/v10.metadata.json": "{}", "data/x.parquet": parquet,
		}, "metadata/v10.metadata.json", ""},
		{"iceberg numbered", pipeline.FormatIceberg, map[string]string{
			"metadata/00001-aa.metadata.json": "{}", "metadata/00002-bb.metadata.json": "{}",
		}, "metadata/00002-bb.metadata.json", ""},
		{"iceberg without metadata", pipeline.FormatIceberg, map[string]string{"data/x.parquet": parquet}, "", "no table version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, dir := openDir(t)
			key := OutputKey(sig, "0123456789abcdef", "events")
			size := int64(0)
			for rel, content := range tt.files {
				write(t, dir, key+rel, content)
				size += int64(len(content))
			}
			li, err := l.Inspect(context.Background(), key, tt.format)
			if tt.fails != "" {
				if !errors.Is(err, ErrCheck) || !strings.Contains(err.Error(), tt.fails) {
					t.Fatalf("Inspect = %+v, %v; want a failed check saying %q", li, err, tt.fails)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if li.Count != int64(len(tt.files)) || li.Bytes != size || li.Pointer != tt.pointer || len(li.Digest) != 64 {
				t.Errorf("Inspect = %+v; want %d objects, %d bytes, pointer %q", li, len(tt.files), size, tt.pointer)
			}
		})
	}
}

// TestDigestMoves: the digest changes with any object's name, size or
// content (its modification time stands for it in a folder), and not with
// where the lake is.
func TestDigestMoves(t *testing.T) {
	l, dir := openDir(t)
	key := OutputKey(sig, "0123456789abcdef", "events")
	write(t, dir, key+"a", "1")
	digest := func() string {
		li, err := l.Inspect(context.Background(), key, pipeline.FormatFiles)
		if err != nil {
			t.Fatal(err)
		}
		return li.Digest
	}
	first := digest()
	if again := digest(); again != first {
		t.Fatal("two listings of the same objects differ")
	}
	write(t, dir, key+"b", "2")
	if digest() == first {
		t.Error("an object added kept the digest")
	}
	objs := []Object{{Key: "a", Size: 1, ETag: "e"}}
	if Digest(objs) == Digest([]Object{{Key: "a", Size: 1, ETag: "f"}}) || Digest(objs) == Digest([]Object{{Key: "a", Size: 2, ETag: "e"}}) {
		t.Error("the digest missed a change of ETag or size")
	}
}

func TestCheckOutput(t *testing.T) {
	r := Root{URL: "s3://b/lake"}
	uri := r.OutputURI(sig, "0123456789abcdef", "events")
	if uri != "s3://b/lake/ab/"+sig+"/0123456789abcdef/events/" {
		t.Fatalf("OutputURI = %s", uri)
	}
	if _, err := r.CheckOutput(uri, sig, "0123456789abcdef", "events"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"s3://other/lake/ab/" + sig + "/0123456789abcdef/events/", uri + "../x/", strings.TrimSuffix(uri, "/")} {
		if _, err := r.CheckOutput(bad, sig, "0123456789abcdef", "events"); err == nil {
			t.Errorf("CheckOutput admitted %s", bad)
		}
	}
	if _, err := r.CheckOutput(uri, sig, "../../x", "events"); err == nil {
		t.Error("CheckOutput admitted an attempt that is a path")
	}
}

// FuzzCheckKey: a key a listing gives is admitted only as a clean
// relative path, which cannot leave the output's prefix.
func FuzzCheckKey(f *testing.F) {
	for _, s := range []string{"a", "a/b.parquet", "../x", "a//b", "./a", "a\x00b", "_delta_log/00000000000000000001.json"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if checkKey(key) != nil {
			return
		}
		clean := filepath.ToSlash(filepath.Clean(key))
		if clean != key || strings.HasPrefix(key, "/") || strings.HasPrefix(key, "../") || key == ".." {
			t.Fatalf("admitted %q", key)
		}
		newest([]Object{{Key: key}}, deltaLogPattern(), "")
		newest([]Object{{Key: key}}, icebergPattern(), "")
	})
}

// TestPresent: an output is present while any object is under its prefix
// (a folder alone, as a deletion leaves it in a folder lake, is not), and
// a table while its recorded pointer is there; a pointer that is no
// version of its format is refused, not looked up.
func TestPresent(t *testing.T) {
	ctx := context.Background()
	l, dir := openDir(t)
	key := OutputKey(sig, "0123456789abcdef", "events")
	present := func(format, pointer string) bool {
		t.Helper()
		ok, err := l.Present(ctx, key, format, pointer)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if present(pipeline.FormatFiles, "") {
		t.Error("an output never written is present")
	}
	write(t, dir, key+"a/b.csv", "1")
	if !present(pipeline.FormatFiles, "") {
		t.Error("an output with an object is not present")
	}
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(key+"a/b.csv"))); err != nil {
		t.Fatal(err)
	}
	if present(pipeline.FormatFiles, "") {
		t.Error("an output whose objects were deleted, its folders left, is present")
	}

	const pointer = "_delta_log/00000000000000000001.json"
	write(t, dir, key+"part-0.parquet", "x")
	if present(pipeline.FormatDelta, pointer) {
		t.Error("a table without its recorded pointer is present")
	}
	write(t, dir, key+pointer, "{}")
	if !present(pipeline.FormatDelta, pointer) {
		t.Error("a table with its recorded pointer is not present")
	}
	write(t, dir, "secret", "s")
	for _, bad := range []struct{ format, pointer string }{
		{pipeline.FormatDelta, "../../../../secret"},
		{pipeline.FormatDelta, "metadata/v1.metadata.json"},
		{pipeline.FormatIceberg, "metadata/1\x01.metadata.json"},
		{pipeline.FormatFiles, pointer},
	} {
		if ok, err := l.Present(ctx, key, bad.format, bad.pointer); err == nil {
			t.Errorf("Present(%s, %q) = %v, want a refusal", bad.format, bad.pointer, ok)
		}
	}
}
