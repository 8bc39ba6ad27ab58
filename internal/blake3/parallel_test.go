package blake3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	zeebo "github.com/zeebo/blake3"
)

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	_, _ = r.Read(b)
	return b
}

func TestParallelSum256MatchesStreamingBLAKE3(t *testing.T) {
	const chunk = 1024
	const piece = chunk << pieceHeight
	sizes := []int{
		0, 1, 63, 64, 65, chunk - 1, chunk, chunk + 1, 2 * chunk, 3*chunk + 7,
		16*chunk - 1, 16 * chunk, 16*chunk + 1, 17 * chunk, 33*chunk + 5,
		piece - 1, piece, piece + 1, piece + chunk, 2*piece + 16*chunk + 3,
		3*piece - chunk, 5*piece + 12345,
	}
	data := randomBytes(5*piece+12345, 1)
	for _, size := range sizes {
		want := zeebo.Sum256(data[:size])
		for _, workers := range []int{0, 1, 2, 3, 8} {
			got, err := ParallelSum256(context.Background(), bytes.NewReader(data[:size]), int64(size), workers)
			if err != nil {
				t.Fatalf("size %d, %d workers: %v", size, workers, err)
			}
			if got != want {
				t.Errorf("size %d, %d workers: %x, want %x", size, workers, got, want)
			}
		}
		// Handed out a few pieces at a time, as a file of gigabytes is.
		for _, batch := range []int{1, 2, 3} {
			got, err := sum256(context.Background(), bytes.NewReader(data[:size]), int64(size), 2, batch)
			if err != nil || got != want {
				t.Errorf("size %d in batches of %d: %x, %v; want %x", size, batch, got, err, want)
			}
		}
	}
}

func TestParallelSum256ShortInput(t *testing.T) {
	data := randomBytes(3<<20, 2)
	for _, size := range []int64{10, 3 << 20, 3<<20 + 1, 5 << 20} {
		_, err := ParallelSum256(context.Background(), bytes.NewReader(data[:min(int(size), len(data))-1]), size, 2)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("size %d from a shorter input: %v, want io.ErrUnexpectedEOF", size, err)
		}
	}
}

func TestParallelSum256Cancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data := randomBytes(16<<20, 3)
	if _, err := ParallelSum256(ctx, bytes.NewReader(data), int64(len(data)), 2); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
}

func TestPiecesAreAlignedAndCover(t *testing.T) {
	for _, n := range []uint64{0, 1, 2, 3, 15, 16, 17, 4095, 4096, 4097, 12289, 1 << 20} {
		var next uint64
		var all []piece
		for first := uint64(0); first < n; {
			batch := appendPieces(nil, first, n, 3)
			all = append(all, batch...)
			last := batch[len(batch)-1]
			first = last.first + 1<<last.height
		}
		for _, p := range all {
			if p.first != next {
				t.Fatalf("n=%d: piece starts at %d, want %d", n, p.first, next)
			}
			if p.height > pieceHeight || p.first%(1<<p.height) != 0 {
				t.Fatalf("n=%d: piece %+v is not aligned or too large", n, p)
			}
			next += 1 << p.height
		}
		if next != n {
			t.Fatalf("n=%d: pieces cover %d chunks", n, next)
		}
	}
}

func FuzzParallelSum256(f *testing.F) {
	f.Add(uint32(0), uint8(2))
	f.Add(uint32(1025), uint8(1))
	f.Add(uint32(4<<20+1), uint8(3))
	data := randomBytes(9<<20, 4)
	f.Fuzz(func(t *testing.T, size uint32, workers uint8) {
		n := int(size) % len(data)
		want := zeebo.Sum256(data[:n])
		batch := 1 + int(workers/5)%4
		got, err := sum256(context.Background(), bytes.NewReader(data[:n]), int64(n), int(workers%5), batch)
		if err != nil || got != want {
			t.Fatalf("size %d, %d workers, batches of %d: %x, %v; want %x", n, workers%5, batch, got, err, want)
		}
	})
}

func BenchmarkParallelSum256(b *testing.B) {
	data := randomBytes(256<<20, 5)
	r := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParallelSum256(context.Background(), r, int64(len(data)), 2); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStreamingOneCore(b *testing.B) {
	data := randomBytes(256<<20, 5)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		h := New()
		_, _ = h.Write(data)
		h.Sum(nil)
	}
}
