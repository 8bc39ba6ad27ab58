package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
)

const benchFileSize = 64 << 20

// benchFile writes a file of random bytes, which no filesystem can compress
// or deduplicate.
func benchFile(b *testing.B, dir string) string {
	b.Helper()
	data := make([]byte, benchFileSize)
	_, _ = rand.Read(data)
	path := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

func benchStore(b *testing.B, dir string) *Store {
	b.Helper()
	s, err := Open(filepath.Join(dir, "dds"))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func benchmarkIngest(b *testing.B, mode LinkMode) {
	dir := b.TempDir()
	s := benchStore(b, dir)
	src := benchFile(b, dir)
	ctx := context.Background()
	b.SetBytes(benchFileSize)
	for b.Loop() {
		id, _, err := s.IngestFile(ctx, src, mode)
		if err != nil {
			b.Fatal(err)
		}
		// Each round must store the content anew, not find it stored.
		b.StopTimer()
		if err := s.Remove(id); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

func BenchmarkIngestCopy(b *testing.B)     { benchmarkIngest(b, Copy) }
func BenchmarkIngestHardlink(b *testing.B) { benchmarkIngest(b, Hardlink) }

func BenchmarkMaterializeCopy(b *testing.B) {
	dir := b.TempDir()
	s := benchStore(b, dir)
	ctx := context.Background()
	id, _, err := s.IngestFile(ctx, benchFile(b, dir), Copy)
	if err != nil {
		b.Fatal(err)
	}
	dest := filepath.Join(dir, "work", "out.bin")
	b.SetBytes(benchFileSize)
	for b.Loop() {
		if err := s.Materialize(ctx, id, false, dest, Copy); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashFile(b *testing.B) {
	dir := b.TempDir()
	s := benchStore(b, dir)
	src := benchFile(b, dir)
	b.SetBytes(benchFileSize)
	for b.Loop() {
		if _, _, err := s.HashFile(src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReceiveSmall receives objects of 100 KiB into batches, as a
// fetch of a folder of small files does.
func BenchmarkReceiveSmall(b *testing.B) {
	const size, perBatch = 100 << 10, 64
	dir := b.TempDir()
	s := benchStore(b, dir)
	s.SetDurable(false) // the receiving, not the disk
	ctx := context.Background()
	objects := make([][]byte, perBatch)
	ids := make([]string, perBatch)
	for i := range objects {
		objects[i] = make([]byte, size)
		_, _ = rand.Read(objects[i])
		ids[i] = hashBytes(objects[i])
	}
	b.SetBytes(size * perBatch)
	b.ReportAllocs()
	for b.Loop() {
		batch := s.NewBatch()
		for i, o := range objects {
			if _, err := batch.Receive(ctx, ids[i], bytes.NewReader(o), size); err != nil {
				b.Fatal(err)
			}
		}
		if err := batch.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		for _, id := range ids {
			if err := s.Remove(id); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
}
