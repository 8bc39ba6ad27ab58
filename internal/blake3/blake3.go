// Package blake3 computes the BLAKE3-256 hashes git dds names objects and
// signatures by: of a string or a stream on the calling goroutine (Sum256,
// Hasher), of a large file on every core (ParallelSum256), and the keyed
// hashes of DeriveKey. It is built on the compression functions of
// lukechampine.com/blake3/guts, whose AVX-512 and AVX2 code compresses 16
// chunks side by side; the results are the plain BLAKE3 of the bytes (the
// tests check them against github.com/zeebo/blake3). docs/benchmarks.md
// compares it with both libraries.
package blake3

import (
	"math/bits"

	"lukechampine.com/blake3"
	"lukechampine.com/blake3/guts"
)

// Hasher computes the BLAKE3-256 of a stream on the calling goroutine. It
// compresses 16 chunks at a time, side by side in SIMD registers, and
// starts no goroutine: a small file or string is hashed in a few
// microseconds, which a hasher that spreads its input over goroutines
// spends starting them. The zero value is ready to use.
type Hasher struct {
	// group holds the bytes written since the last group was compressed:
	// a full group is compressed only once more input shows it is not the
	// last, which the root is computed from. CompressBuffer gives the node
	// of a group's (left-balanced) subtree, which is the last subtree of
	// the whole tree: what the stack holds is aligned to whole groups.
	group [groupSize]byte
	n     int
	stack cvStack
}

// New returns a Hasher.
func New() *Hasher { return new(Hasher) }

// Write adds p to the hashed stream. It never fails.
func (h *Hasher) Write(p []byte) (int, error) {
	written := len(p)
	if h.n > 0 {
		c := copy(h.group[h.n:], p)
		h.n += c
		p = p[c:]
		if len(p) == 0 {
			return written, nil
		}
		h.stack.pushGroup(&h.group)
		h.n = 0
	}
	// Whole groups straight from p, all but one that ends p.
	for len(p) > groupSize {
		h.stack.pushGroup((*[groupSize]byte)(p))
		p = p[groupSize:]
	}
	h.n = copy(h.group[:], p)
	return written, nil
}

// pushGroup compresses the full group g, which follows what s holds and
// is not the end of the stream.
func (s *cvStack) pushGroup(g *[groupSize]byte) {
	node := guts.CompressBuffer(g, groupSize, &guts.IV, s.counter, 0)
	s.push(guts.ChainingValue(node), bits.TrailingZeros(guts.MaxSIMD))
}

// Sum appends the BLAKE3-256 of the stream to b. The Hasher can go on
// taking writes.
func (h *Hasher) Sum(b []byte) []byte {
	sum := h.Sum256()
	return append(b, sum[:]...)
}

// Sum256 returns the BLAKE3-256 of the stream.
func (h *Hasher) Sum256() [32]byte {
	return h.stack.rootOf(guts.CompressBuffer(&h.group, h.n, &guts.IV, h.stack.counter, 0))
}

// Reset empties the Hasher.
func (h *Hasher) Reset() { *h = Hasher{} }

// Size is the length of the hash Sum appends, for hash.Hash.
func (h *Hasher) Size() int { return 32 }

// BlockSize is BLAKE3's block size, for hash.Hash.
func (h *Hasher) BlockSize() int { return guts.BlockSize }

// Sum256 returns the BLAKE3-256 of b, as a Hasher would.
func Sum256(b []byte) [32]byte {
	if len(b) <= guts.ChunkSize {
		// One chunk, the root: no stack to set up.
		node := guts.CompressChunk(b, &guts.IV, 0, 0)
		node.Flags |= guts.FlagRoot
		words := guts.WordsToBytes(guts.CompressNode(node))
		return [32]byte(words[:32])
	}
	var stack cvStack
	for len(b) > groupSize {
		stack.pushGroup((*[groupSize]byte)(b))
		b = b[groupSize:]
	}
	if len(b) <= guts.ChunkSize {
		return stack.root(b)
	}
	var last [groupSize]byte
	copy(last[:], b)
	return stack.rootOf(guts.CompressBuffer(&last, len(b), &guts.IV, stack.counter, 0))
}

// DeriveKey writes to out the key BLAKE3 derives from material in its
// key-derivation mode, under context, a string fixed in the code that says
// what the key is for.
func DeriveKey(context string, material, out []byte) {
	blake3.DeriveKey(out, context, material)
}
