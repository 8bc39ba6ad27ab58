package gitref

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
	"unsafe"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// errIndexUnsupported means the index uses a feature decodeIndex leaves to
// git (a split or sparse index, an unknown required extension, a format
// version other than 2 to 4): the caller asks git ls-files instead.
var errIndexUnsupported = errors.New("index feature not supported")

// Sizes of git's index format (Documentation/gitformat-index.txt), SHA-1.
const (
	indexHeaderSize  = 12
	indexEntryFixed  = 62 // ten 32-bit stat fields, the object id, 16 bits of flags
	indexIDSize      = 20
	flagExtended     = 0x4000
	flagStageShift   = 12
	flagNameMask     = 0x0fff
	extSkipWorktree  = 0x4000
	extIntentToAdd   = 0x2000
	cacheTreeInvalid = -1
)

// decodeIndex reads an index file of format version 2, 3 or 4 held in
// data; see decodeIndexFrom.
func decodeIndex(data []byte, written time.Time) (*indexSnapshot, error) {
	return decodeIndexFrom(bytes.NewReader(data), int64(len(data)), written)
}

// decodeIndexFrom reads an index file of format version 2, 3 or 4, of size
// bytes, from r: its entries and the valid folders of its cache tree. It
// does what go-git's decoder does for these versions, several times
// faster: a status reads an index of 50,000 entries on every call. Like
// git, it does not verify the trailing checksum (git leaves that to fsck).
//
// It reads the file as a stream rather than whole: three quarters of an
// index are stat data and ids, which entries hold decoded, and holding the
// file beside them made the index the largest thing a status keeps at
// once. Paths go end to end into one buffer, so that no entry costs an
// allocation of its own.
func decodeIndexFrom(r io.Reader, size int64, written time.Time) (*indexSnapshot, error) {
	in := &indexReader{r: bufio.NewReaderSize(r, 64<<10), left: size - indexIDSize}
	var header [indexHeaderSize]byte
	if size < indexHeaderSize+indexIDSize || in.read(header[:]) != nil || !bytes.Equal(header[:4], []byte("DIRC")) {
		return nil, fmt.Errorf("not a git index file (no DIRC signature)")
	}
	version := binary.BigEndian.Uint32(header[4:8])
	if version < 2 || version > 4 {
		return nil, fmt.Errorf("%w: version %d", errIndexUnsupported, version)
	}
	count := binary.BigEndian.Uint32(header[8:12])
	// An entry takes its fixed part, a path of a byte or more and its end:
	// a count the file cannot hold must not size the allocations.
	if uint64(count)*(indexEntryFixed+2) > uint64(size) {
		return nil, fmt.Errorf("index claims %d entries in %d bytes", count, size)
	}
	snap := newSnapshot(int(count), written)
	// Versions 2 and 3 spend on paths (and their padding) what the fixed
	// parts leave of the file; version 4 shares prefixes, so its paths
	// may take more than that, and the buffer grows.
	arena := make([]byte, 0, max(0, size-indexHeaderSize-indexIDSize-int64(count)*indexEntryFixed))
	prevStart := 0 // version 4 compresses each path against the previous one
	var fixed [indexEntryFixed]byte
	for i := range int(count) {
		if err := in.read(fixed[:]); err != nil {
			return nil, fmt.Errorf("index entry %d is cut short", i)
		}
		u32 := func(k int) uint32 { return binary.BigEndian.Uint32(fixed[4*k:]) }
		var e indexEntry
		e.stat = statData{
			ctimeSec: u32(0), ctimeNsec: u32(1),
			mtimeSec: u32(2), mtimeNsec: u32(3),
			inode: u32(5), size: u32(9),
		}
		e.hasStat = true
		e.mode = filemode.FileMode(u32(6))
		copy(e.id[:], fixed[40:60])
		flags := binary.BigEndian.Uint16(fixed[60:62])
		entryLen := indexEntryFixed
		if flags&flagExtended != 0 {
			var ext [2]byte
			if version < 3 || in.read(ext[:]) != nil {
				return nil, fmt.Errorf("index entry %d has extended flags the format does not allow", i)
			}
			e.skipWorktree = binary.BigEndian.Uint16(ext[:])&extSkipWorktree != 0
			e.intentToAdd = binary.BigEndian.Uint16(ext[:])&extIntentToAdd != 0
			entryLen += 2
		}
		start := len(arena)
		if version == 4 {
			strip, err := in.offsetVarint()
			prevLen := uint64(start - prevStart)
			if err != nil || strip > prevLen {
				return nil, fmt.Errorf("index entry %d has a bad path prefix", i)
			}
			// The kept prefix is copied from the previous path, which the
			// buffer holds just before.
			arena = append(arena, arena[prevStart:start-int(strip)]...)
			if arena, err = in.appendUntilNul(arena); err != nil {
				return nil, fmt.Errorf("index entry %d has an unterminated path", i)
			}
		} else {
			var err error
			if arena, err = in.appendUntilNul(arena); err != nil {
				return nil, fmt.Errorf("index entry %d has an unterminated path", i)
			}
			n := len(arena) - start
			if want := int(flags & flagNameMask); want != flagNameMask && want != n {
				return nil, fmt.Errorf("index entry %d: path length %d, flags say %d", i, n, want)
			}
			// Entries are padded with 1 to 8 NULs to a multiple of 8 bytes,
			// counted from the entry's start; the first NUL ended the path.
			if err := in.skip((entryLen+n+8)&^7 - (entryLen + n + 1)); err != nil {
				return nil, fmt.Errorf("index entries run past the end of the file")
			}
		}
		if len(arena) == start {
			return nil, fmt.Errorf("index entry %d has an empty path", i)
		}
		if len(arena) > math.MaxUint32 {
			return nil, fmt.Errorf("index paths take more than 4 GiB")
		}
		// The path as it is in the buffer now; a buffer that grows
		// later leaves this one, unchanged, to the string.
		path := unsafe.String(&arena[start], len(arena)-start)
		newSlot, err := snap.add(path, int(flags>>flagStageShift)&3, e)
		if err != nil {
			return nil, err
		}
		if !newSlot {
			// Another stage of the same path: the buffer holds each
			// path once, and the previous one is what the next path
			// of version 4 shares a prefix with.
			arena = arena[:start]
		} else {
			prevStart = start
		}
	}
	if cap(arena) > len(arena)+len(arena)/4 {
		// Grown by doubling (version 4), or left room by paths that
		// came more than once: keep only what the paths take.
		arena = append([]byte(nil), arena...)
	}
	snap.finish(unsafe.String(unsafe.SliceData(arena), len(arena)))
	ext, err := in.rest()
	if err != nil {
		return nil, err
	}
	// The header and entries, without the extensions git rewrites
	// freely: what a file-system monitor's saved state is checked against.
	snap.entriesEnd = size - indexIDSize - int64(len(ext))
	cacheTree, err := decodeIndexExtensions(ext)
	if err != nil {
		return nil, err
	}
	snap.cacheTree = cacheTree
	return snap, nil
}

// indexReader reads an index file's body, the bytes before its trailing
// checksum, counting what is left of it.
type indexReader struct {
	r    *bufio.Reader
	left int64
}

var errIndexCut = errors.New("index file cut short")

// read fills b from the body.
func (in *indexReader) read(b []byte) error {
	if int64(len(b)) > in.left {
		return errIndexCut
	}
	n, err := io.ReadFull(in.r, b)
	in.left -= int64(n)
	return err
}

// skip passes over n bytes of the body.
func (in *indexReader) skip(n int) error {
	if int64(n) > in.left {
		return errIndexCut
	}
	d, err := in.r.Discard(n)
	in.left -= int64(d)
	return err
}

// appendUntilNul appends to b the bytes up to the next NUL, which it
// consumes.
func (in *indexReader) appendUntilNul(b []byte) ([]byte, error) {
	for {
		chunk, err := in.r.ReadSlice(0)
		if int64(len(chunk)) > in.left {
			return b, errIndexCut
		}
		in.left -= int64(len(chunk))
		switch {
		case err == nil:
			return append(b, chunk[:len(chunk)-1]...), nil
		case errors.Is(err, bufio.ErrBufferFull):
			b = append(b, chunk...)
		default:
			return b, err
		}
	}
}

// offsetVarint reads git's "offset" varint (see decodeOffsetVarint).
func (in *indexReader) offsetVarint() (uint64, error) {
	var b [10]byte
	for n := range b {
		if in.left < 1 {
			return 0, errIndexCut
		}
		c, err := in.r.ReadByte()
		if err != nil {
			return 0, err
		}
		in.left--
		b[n] = c
		if c&0x80 == 0 {
			if v, k := decodeOffsetVarint(b[:n+1]); k > 0 {
				return v, nil
			}
			break
		}
	}
	return 0, errors.New("bad offset varint")
}

// rest reads what is left of the body: the extensions.
func (in *indexReader) rest() ([]byte, error) {
	b := make([]byte, in.left)
	if err := in.read(b); err != nil {
		return nil, fmt.Errorf("index extensions are cut short: %w", err)
	}
	return b, nil
}

// decodeOffsetVarint reads git's "offset" varint (varint.c): seven bits a
// byte, most significant first, each continuation adding one. n is 0 for a
// truncated or overflowing number.
func decodeOffsetVarint(b []byte) (v uint64, n int) {
	for n < len(b) && n < 10 {
		c := b[n]
		n++
		v += uint64(c & 0x7f)
		if c&0x80 == 0 {
			return v, n
		}
		v = (v + 1) << 7
	}
	return 0, 0
}

// decodeIndexExtensions walks the extensions after the entries and returns
// the cache tree's valid folders, if there is one.
func decodeIndexExtensions(ext []byte) (map[string]plumbing.Hash, error) {
	var cacheTree map[string]plumbing.Hash
	for len(ext) > 0 {
		if len(ext) < 8 {
			return nil, fmt.Errorf("index extension header is cut short")
		}
		sig := string(ext[:4])
		size := binary.BigEndian.Uint32(ext[4:8])
		if uint64(size) > uint64(len(ext)-8) {
			return nil, fmt.Errorf("index extension %q runs past the end of the file", sig)
		}
		payload := ext[8 : 8+size]
		ext = ext[8+size:]
		switch {
		case sig == "TREE":
			cacheTree = make(map[string]plumbing.Hash)
			if _, err := decodeCacheTree(payload, "", cacheTree); err != nil {
				// A cache tree we cannot read is only a missed shortcut.
				cacheTree = nil
			}
		case sig[0] >= 'A' && sig[0] <= 'Z':
			// Optional extensions (REUC, UNTR, FSMN, EOIE, IEOT) may be ignored.
		default:
			// "link" (split index), "sdir" (sparse index), or newer.
			return nil, fmt.Errorf("%w: extension %q", errIndexUnsupported, sig)
		}
	}
	return cacheTree, nil
}

// decodeCacheTree reads one cache tree node and its subtrees, in git's
// pre-order: "NAME\0ENTRIES SUBTREES\n", then the tree id unless ENTRIES
// is -1 (the node is invalid), then the subtrees. It records the id of
// each valid folder under its path and returns the bytes left.
func decodeCacheTree(b []byte, parent string, into map[string]plumbing.Hash) ([]byte, error) {
	nul := bytes.IndexByte(b, 0)
	if nul < 0 {
		return nil, errors.New("cache tree: unterminated name")
	}
	name := string(b[:nul])
	b = b[nul+1:]
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		return nil, errors.New("cache tree: unterminated counts")
	}
	entriesText, subtreesText, ok := bytes.Cut(b[:nl], []byte{' '})
	if !ok {
		return nil, errors.New("cache tree: bad counts")
	}
	entries, err1 := strconv.Atoi(string(entriesText))
	subtrees, err2 := strconv.Atoi(string(subtreesText))
	if err1 != nil || err2 != nil || entries < cacheTreeInvalid || subtrees < 0 || subtrees > len(b) {
		return nil, errors.New("cache tree: bad counts")
	}
	b = b[nl+1:]
	path := joinPath(parent, name)
	if entries != cacheTreeInvalid {
		if len(b) < indexIDSize {
			return nil, errors.New("cache tree: id cut short")
		}
		var id plumbing.Hash
		copy(id[:], b[:indexIDSize])
		into[path] = id
		b = b[indexIDSize:]
	}
	for range subtrees {
		if b, err1 = decodeCacheTree(b, path, into); err1 != nil {
			return nil, err1
		}
	}
	return b, nil
}
