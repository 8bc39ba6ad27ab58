package remote

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A folder source lists its regular files by slash path, follows no
// symbolic link out of it, and is bounded.
func TestListSourceFolder(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	for _, p := range []string{"a.csv", "sub/b.csv"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	objs, err := ListSource(ctx, Source{URL: "file://" + filepath.ToSlash(root) + "/"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
		if !strings.HasPrefix(o.ETag, "mtime:") || o.Size == 0 {
			t.Errorf("%s: %+v", o.Key, o)
		}
	}
	slices.Sort(keys)
	if strings.Join(keys, ",") != "a.csv,sub/b.csv" {
		t.Fatalf("listed %v", keys)
	}
	if _, err := ListSource(ctx, Source{URL: "file://" + filepath.ToSlash(root) + "/"}, 1); !errors.Is(err, ErrTooMany) {
		t.Fatalf("a listing past its bound gave %v", err)
	}
	_, err = ListSource(ctx, Source{URL: "s3://AKIA:hunter2@bucket/p/"}, 1)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("a URL with a credential gave %v", err)
	}
}
