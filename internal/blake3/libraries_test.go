package blake3

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"testing"

	zeebo "github.com/zeebo/blake3"
	lukechampine "lukechampine.com/blake3"
)

// This package and the two Go BLAKE3 libraries, compared on what git dds
// hashes: short strings and small files in one call (signatures,
// manifests, most outputs), a file streamed in the store's 256 KiB
// chunks, and a large file, which the store hashes with ParallelSum256 on
// every core. docs/benchmarks.md (BLAKE3 libraries) has the command, run
// in interleaved rounds, and the figures.

var librarySizes = []int{64, 1 << 10, 16 << 10, 1 << 20, 8 << 20, 64 << 20}

// streamChunk is the store's chunk size (store.chunkSize).
const streamChunk = 1 << 18

func BenchmarkLibraries(b *testing.B) {
	for _, size := range librarySizes {
		data := bytes.Repeat([]byte("git dds "), size/8)
		name := fmt.Sprintf("%dKiB", size>>10)
		if size < 1<<10 {
			name = fmt.Sprintf("%dB", size)
		}
		b.Run("sum/"+name+"/zeebo", func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				zeebo.Sum256(data)
			}
		})
		b.Run("sum/"+name+"/lukechampine", func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				lukechampine.Sum256(data)
			}
		})
		b.Run("sum/"+name+"/hasher", func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				Sum256(data)
			}
		})
		// Many small files hashed at once, as a folder output is.
		if size <= 16<<10 {
			b.Run("sum-parallel/"+name+"/zeebo", func(b *testing.B) {
				b.SetBytes(int64(size))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						zeebo.Sum256(data)
					}
				})
			})
			b.Run("sum-parallel/"+name+"/lukechampine", func(b *testing.B) {
				b.SetBytes(int64(size))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						lukechampine.Sum256(data)
					}
				})
			})
			b.Run("sum-parallel/"+name+"/hasher", func(b *testing.B) {
				b.SetBytes(int64(size))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						Sum256(data)
					}
				})
			})
			continue
		}
		b.Run("stream/"+name+"/zeebo", func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				h := zeebo.New()
				for off := 0; off < len(data); off += streamChunk {
					h.Write(data[off:min(off+streamChunk, len(data))])
				}
				h.Sum(nil)
			}
		})
		b.Run("stream/"+name+"/lukechampine", func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				h := lukechampine.New(32, nil)
				for off := 0; off < len(data); off += streamChunk {
					h.Write(data[off:min(off+streamChunk, len(data))])
				}
				h.Sum(nil)
			}
		})
		b.Run("stream/"+name+"/hasher", func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				h := New()
				for off := 0; off < len(data); off += streamChunk {
					h.Write(data[off:min(off+streamChunk, len(data))])
				}
				h.Sum(nil)
			}
		})
		if size >= 8<<20 {
			b.Run("parallel/"+name+"/ParallelSum256", func(b *testing.B) {
				b.SetBytes(int64(size))
				r := bytes.NewReader(data)
				for b.Loop() {
					if _, err := ParallelSum256(context.Background(), r, int64(size), runtime.GOMAXPROCS(0)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// The libraries agree with each other and with Sum256 on every size
// benchmarked, and on derived keys.
func TestLibrariesAgree(t *testing.T) {
	for _, size := range append(librarySizes[:len(librarySizes)-1:len(librarySizes)-1], 0, 1, 1025, 3<<20+17) {
		data := bytes.Repeat([]byte("agree"), size/5+1)[:size]
		z, l := zeebo.Sum256(data), lukechampine.Sum256(data)
		p, err := ParallelSum256(context.Background(), bytes.NewReader(data), int64(size), 2)
		if err != nil || z != l || p != z {
			t.Errorf("%d bytes: zeebo %x, lukechampine %x, ParallelSum256 %x, %v", size, z, l, p, err)
		}
	}
	var z, l [32]byte
	zeebo.DeriveKey("git dds test", []byte("material"), z[:])
	lukechampine.DeriveKey(l[:], "git dds test", []byte("material"))
	if z != l {
		t.Errorf("DeriveKey: zeebo %x, lukechampine %x", z, l)
	}
}

func TestHasherMatchesZeebo(t *testing.T) {
	data := randomBytes(200<<10, 7)
	for _, size := range []int{0, 1, 64, 65, 1023, 1024, 1025, 2048, 3*1024 + 1, 15 * 1024, 16 * 1024, 16*1024 + 1, 17 * 1024, 32 * 1024, 33*1024 + 5, 100 << 10, 200 << 10} {
		want := zeebo.Sum256(data[:size])
		if got := Sum256(data[:size]); got != want {
			t.Errorf("Sum256Bytes of %d bytes = %x, want %x", size, got, want)
		}
		for _, write := range []int{1, 7, 1024, 4096, 16 << 10, 256 << 10} {
			h := New()
			for off := 0; off < size; off += write {
				h.Write(data[off:min(off+write, size)])
			}
			if got := h.Sum(nil); [32]byte(got) != want {
				t.Errorf("%d bytes written %d at a time = %x, want %x", size, write, got, want)
			}
		}
	}
}

func FuzzHasher(f *testing.F) {
	f.Add([]byte("git dds"), uint16(3))
	f.Add(bytes.Repeat([]byte{1}, 40000), uint16(16384))
	f.Fuzz(func(t *testing.T, data []byte, write uint16) {
		want := zeebo.Sum256(data)
		if got := Sum256(data); got != want {
			t.Fatalf("Sum256Bytes = %x, want %x", got, want)
		}
		h := New()
		step := max(1, int(write))
		for off := 0; off < len(data); off += step {
			h.Write(data[off:min(off+step, len(data))])
		}
		if got := h.Sum(nil); [32]byte(got) != want {
			t.Fatalf("written %d at a time = %x, want %x", step, got, want)
		}
	})
}
