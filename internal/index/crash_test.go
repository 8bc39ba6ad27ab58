package index

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-dds/git-dds/internal/signature"
)

// A kill of git dds while badger writes leaves files that badger itself
// gets past on the next open; the index must open as well, with its
// records.
func TestOpenAfterAKill(t *testing.T) {
	tests := []struct {
		name  string
		leave func(t *testing.T, dir string)
	}{
		{
			// A flush or a compaction writes a table before the MANIFEST
			// lists it.
			name: "a table half written, that the MANIFEST does not list",
			leave: func(t *testing.T, dir string) {
				tables, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
				if len(tables) == 0 {
					t.Fatal("the index has no table")
				}
				data, err := os.ReadFile(tables[0])
				if err != nil {
					t.Fatal(err)
				}
				half := append(data[:len(data)/2:len(data)/2], make([]byte, len(data)/2)...)
				if err := os.WriteFile(filepath.Join(dir, "000999.sst"), half, 0o644); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			// Badger creates a log file, then sizes it.
			name: "a value log file created but not yet sized",
			leave: func(t *testing.T, dir string) {
				if err := os.WriteFile(filepath.Join(dir, "000999.vlog"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			// Badger deletes a log file by emptying it, then removing it.
			name: "an older value log file emptied but not yet removed",
			leave: func(t *testing.T, dir string) {
				if err := os.WriteFile(filepath.Join(dir, "000000.vlog"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "a write-ahead log file created but not yet sized",
			leave: func(t *testing.T, dir string) {
				if err := os.WriteFile(filepath.Join(dir, "00999.mem"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dds := t.TempDir()
			ctx := context.Background()
			ix, err := Open(ctx, dds, Options{})
			if err != nil {
				t.Fatal(err)
			}
			rec := &signature.Record{Signature: strings.Repeat("a", 64), Stage: "clean", Time: time.Unix(1, 0).UTC(), Host: "h"}
			if err := ix.Put(rec); err != nil {
				t.Fatal(err)
			}
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			tt.leave(t, filepath.Join(dds, "index"))

			ix, err = Open(ctx, dds, Options{})
			if err != nil {
				t.Fatalf("the index does not open: %v", err)
			}
			defer ix.Close()
			if _, ok, err := ix.Get(rec.Signature); !ok || err != nil {
				t.Fatalf("the record is gone (%v)", err)
			}
		})
	}
}
