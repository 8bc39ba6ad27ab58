package blake3

// BLAKE3 is a Merkle tree over 1 KiB chunks in which every chunk carries its
// own index, so any aligned run of 2^h chunks can be hashed apart from the
// rest and joined in afterwards. ParallelSum256 cuts a file into such runs
// (pieces), hashes them on a few goroutines, and joins their chaining values
// in order exactly as a streaming hasher would.

import (
	"context"
	"fmt"
	"io"
	"math/bits"

	"github.com/git-dds/git-dds/internal/parallel"
	"lukechampine.com/blake3/guts"
)

// pieceHeight sets the size of the runs hashed apart: 2^9 chunks, 512 KiB.
// A piece is read into a buffer and hashed at once, so the smaller it is the
// likelier the hasher finds it still in the core's cache; below 512 KiB the
// time of a large file stops falling (BenchmarkParallelSum256 measures it).
const pieceHeight = 9

// batchPieces is how many pieces are handed out at a time: 2 GiB.
const batchPieces = 4096

// groupSize is what guts compresses in one call: 16 chunks side by side in
// SIMD registers.
const groupSize = guts.MaxSIMD * guts.ChunkSize

// piece is an aligned run of 2^height chunks starting at chunk index first.
type piece struct {
	first  uint64
	height int
}

func (p piece) offset() int64 { return int64(p.first) * guts.ChunkSize }
func (p piece) length() int   { return (1 << p.height) * guts.ChunkSize }

// ParallelSum256 returns the BLAKE3-256 of the size bytes r holds, reading
// them with ReadAt on up to workers goroutines. It fails if r ends before
// size bytes.
func ParallelSum256(ctx context.Context, r io.ReaderAt, size int64, workers int) ([32]byte, error) {
	return sum256(ctx, r, size, workers, batchPieces)
}

// sum256 is ParallelSum256 handing out batch pieces at a time.
func sum256(ctx context.Context, r io.ReaderAt, size int64, workers, batch int) ([32]byte, error) {
	if size < 0 {
		return [32]byte{}, fmt.Errorf("blake3: negative size %d", size)
	}
	// The last chunk, full or not, is kept back: the root is computed from it
	// and the subtrees before it, as a streaming hasher does in Sum.
	chunks := uint64(max(1, (size+guts.ChunkSize-1)/guts.ChunkSize))

	buffers := make(chan []byte, max(1, workers))
	for range cap(buffers) {
		buffers <- make([]byte, (1<<pieceHeight)*guts.ChunkSize)
	}
	// Pieces go out in batches, whose values join the stack in order before
	// the next: memory stays the same whatever the file's size.
	var (
		stack  cvStack
		handed = make([]piece, 0, batch)
		cvs    = make([][8]uint32, batch)
	)
	for first := uint64(0); first < chunks-1; {
		handed = appendPieces(handed[:0], first, chunks-1, batch)
		err := parallel.ForEach(ctx, len(handed), workers, func(_ context.Context, i int) error {
			// The caller's ctx, not the pool's: a cancellation is seen
			// between any two pieces.
			if err := ctx.Err(); err != nil {
				return err
			}
			buf := <-buffers
			defer func() { buffers <- buf }()
			p := handed[i]
			data := buf[:p.length()]
			if err := readFull(r, data, p.offset()); err != nil {
				return err
			}
			cvs[i] = subtreeCV(data, p.first)
			return nil
		})
		if err != nil {
			return [32]byte{}, err
		}
		for i, p := range handed {
			stack.push(cvs[i], p.height)
		}
		last := handed[len(handed)-1]
		first = last.first + 1<<last.height
	}
	tail := make([]byte, size-int64(chunks-1)*guts.ChunkSize)
	if err := readFull(r, tail, int64(chunks-1)*guts.ChunkSize); err != nil {
		return [32]byte{}, err
	}
	return stack.root(tail), nil
}

// readFull fills p from r at offset. A ReaderAt may report io.EOF along with
// the last bytes of its input, which is no error here.
func readFull(r io.ReaderAt, p []byte, offset int64) error {
	n, err := r.ReadAt(p, offset)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("read at byte %d: %w", offset+int64(n), err)
}

// appendPieces appends to dst at most limit pieces that split the chunks
// from first up to n, left to right: at each point the largest run that is
// aligned there and fits in what is left, up to 2^pieceHeight chunks.
func appendPieces(dst []piece, first, n uint64, limit int) []piece {
	for ; first < n && len(dst) < limit; first += 1 << dst[len(dst)-1].height {
		height := min(bits.Len64(n-first)-1, pieceHeight)
		if first != 0 {
			height = min(height, bits.TrailingZeros64(first))
		}
		dst = append(dst, piece{first: first, height: height})
	}
	return dst
}

// subtreeCV returns the chaining value of the 2^h full chunks in data, the
// first of which has index first.
func subtreeCV(data []byte, first uint64) [8]uint32 {
	if len(data) <= groupSize {
		// CompressBuffer reads a whole group; a short run gets one padded
		// out, which it ignores past len(data).
		var group [groupSize]byte
		copy(group[:], data)
		return guts.ChainingValue(guts.CompressBuffer(&group, len(data), &guts.IV, first, 0))
	}
	var stack cvStack // counts from 0: an aligned run has the shape of a whole tree
	for off := 0; off < len(data); off += groupSize {
		group := (*[groupSize]byte)(data[off : off+groupSize])
		node := guts.CompressBuffer(group, groupSize, &guts.IV, first+uint64(off/guts.ChunkSize), 0)
		stack.push(guts.ChainingValue(node), bits.TrailingZeros(guts.MaxSIMD))
	}
	// A full aligned run leaves one value, at its own height.
	return stack.cvs[bits.TrailingZeros64(uint64(len(data)/guts.ChunkSize))]
}

// cvStack joins subtrees pushed left to right, as BLAKE3's streaming hasher
// does: counter counts the chunks pushed so far, and its set bits say which
// heights hold a subtree still waiting for its right sibling.
type cvStack struct {
	cvs     [64][8]uint32
	counter uint64
}

func (s *cvStack) push(cv [8]uint32, height int) {
	i := height
	for s.counter&(1<<i) != 0 {
		cv = guts.ChainingValue(guts.ParentNode(s.cvs[i], cv, &guts.IV, 0))
		i++
	}
	s.cvs[i] = cv
	s.counter += 1 << height
}

// root returns the hash of everything pushed followed by the last chunk.
func (s *cvStack) root(lastChunk []byte) [32]byte {
	return s.rootOf(guts.CompressChunk(lastChunk, &guts.IV, s.counter, 0))
}

// rootOf returns the hash of everything pushed followed by the subtree
// whose node is node.
func (s *cvStack) rootOf(node guts.Node) [32]byte {
	for i := bits.TrailingZeros64(s.counter); i < bits.Len64(s.counter); i++ {
		if s.counter&(1<<i) != 0 {
			node = guts.ParentNode(s.cvs[i], guts.ChainingValue(node), &guts.IV, 0)
		}
	}
	node.Flags |= guts.FlagRoot
	words := guts.WordsToBytes(guts.CompressNode(node))
	return [32]byte(words[:32])
}
