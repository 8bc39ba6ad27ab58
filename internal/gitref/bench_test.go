package gitref

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkOverlayLookup measures what a status call costs: a fresh
// overlay, the root folder's id and every file's, in a repository of 3,000
// files in nested folders, some of them modified.
func BenchmarkOverlayLookup(b *testing.B) {
	tr := newTestRepo(b)
	var files []string
	for d := range 30 {
		for f := range 100 {
			p := fmt.Sprintf("dir%02d/sub%d/file%03d.txt", d, f%4, f)
			tr.write(p, fmt.Sprintf("content of %s\n", p))
			files = append(files, p)
		}
	}
	// Files older than the index, as in a real checkout: none is racy.
	old := time.Now().Add(-time.Hour)
	for _, p := range files {
		if err := os.Chtimes(tr.path(p), old, old); err != nil {
			b.Fatal(err)
		}
	}
	tr.commitAll("generated")
	for _, p := range files[:30] {
		tr.write(p, "modified\n")
	}
	r, err := Open(b.Context(), tr.dir)
	if err != nil {
		b.Fatal(err)
	}

	for _, bc := range []struct {
		name  string
		paths []string
	}{
		{name: "root", paths: []string{""}},
		{name: "every file", paths: files},
		{name: "one folder", paths: []string{filepath.ToSlash("dir07")}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				o, err := r.Worktree(b.Context())
				if err != nil {
					b.Fatal(err)
				}
				for _, p := range bc.paths {
					if _, ok, err := o.Lookup(p); err != nil || !ok {
						b.Fatalf("Lookup(%q) = %v, %v", p, ok, err)
					}
				}
			}
		})
	}
}
