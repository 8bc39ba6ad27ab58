package index

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The journal takes the writes of a session that writes little (a hook's
// notes of what it placed, a branch's namespace) without opening badger
// for writing: a writable opening of badger creates a value log and a
// write-ahead log, flushes its memtable into a new table at closing and
// syncs each of them, whatever was written; an append to the journal is
// one write and one sync. Every opening reads the journal and lays it over
// badger's keys, and the next writable opening of badger folds it in, then
// removes it.
//
// The file, index/journal, is a header (a magic, badger's value log mark,
// see valueLogMark, and their CRC-32C) followed by records, one per batch,
// each all or nothing:
//
//	u32 length of the body, little-endian
//	u32 CRC-32C of the body
//	body: ops, each
//	    1, uvarint key length, key, uvarint value length, value   (set)
//	    2, uvarint key length, key                                (delete)
//
// A record is durable once the append's fdatasync returns. A kill during
// an append leaves a torn record at the tail, which never passed its sync
// and was never reported written: reading stops at the first record that
// is incomplete or fails its checksum, and the next append truncates the
// file there.

const (
	journalName  = "journal"
	journalMagic = "ddsjrnl1"

	// journalFoldAt is the size from which the journal is folded into
	// badger: by the opening that finds it that large, or by the Close of
	// the session that made it so. Every opening reads the whole journal.
	journalFoldAt = 1 << 20
	// journalMax bounds what an opening reads: a larger journal is not
	// one this package wrote, and reads as damage.
	journalMax = 256 << 20

	opSet    = 1
	opDelete = 2
)

// errJournal is the cause of a journal that cannot be read.
var errJournal = errors.New("the index's journal is damaged")

// jop is one write of the journal: a value to set, or a deletion.
type jop struct {
	val []byte
	del bool
}

// overlay is what the journal says of badger's keys, newest write of each
// key. It is never changed once made: a batch makes a new one.
type overlay struct {
	ops  map[string]jop
	keys []string // the keys of ops, sorted
}

// get tells whether the overlay says something of key, and what.
func (o *overlay) get(key string) (jop, bool) {
	if o == nil {
		return jop{}, false
	}
	op, ok := o.ops[key]
	return op, ok
}

// withPrefix gives the sorted keys of the overlay that start with prefix.
func (o *overlay) withPrefix(prefix string) []string {
	if o == nil {
		return nil
	}
	i, _ := slices.BinarySearch(o.keys, prefix)
	j := i
	for j < len(o.keys) && strings.HasPrefix(o.keys[j], prefix) {
		j++
	}
	return o.keys[i:j]
}

// with gives a new overlay: o with the writes of ops on top.
func (o *overlay) with(ops []journalOp) *overlay {
	n := &overlay{ops: make(map[string]jop, len(ops))}
	if o != nil {
		n.ops = make(map[string]jop, len(o.ops)+len(ops))
		for k, v := range o.ops {
			n.ops[k] = v
		}
	}
	for _, op := range ops {
		n.ops[op.key] = op.jop
	}
	n.keys = make([]string, 0, len(n.ops))
	for k := range n.ops {
		n.keys = append(n.keys, k)
	}
	slices.Sort(n.keys)
	return n
}

// journalOp is a write to key.
type journalOp struct {
	key string
	jop
}

// encodeRecord gives the record of a batch of writes, header included.
func encodeRecord(ops []journalOp) []byte {
	body := make([]byte, 0, 64*len(ops))
	for _, op := range ops {
		kind := byte(opSet)
		if op.del {
			kind = opDelete
		}
		body = append(body, kind)
		body = binary.AppendUvarint(body, uint64(len(op.key)))
		body = append(body, op.key...)
		if !op.del {
			body = binary.AppendUvarint(body, uint64(len(op.val)))
			body = append(body, op.val...)
		}
	}
	rec := make([]byte, 8, 8+len(body))
	binary.LittleEndian.PutUint32(rec, uint32(len(body)))
	binary.LittleEndian.PutUint32(rec[4:], crc32.Checksum(body, castagnoli))
	return append(rec, body...)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// decodeBody reads the ops of a record's body; ok is false when it is not
// one encodeRecord makes.
func decodeBody(body []byte) ([]journalOp, bool) {
	var ops []journalOp
	field := func() ([]byte, bool) {
		n, w := binary.Uvarint(body)
		if w <= 0 || n > uint64(len(body)-w) {
			return nil, false
		}
		f := body[w : w+int(n)]
		body = body[w+int(n):]
		return f, true
	}
	for len(body) > 0 {
		kind := body[0]
		body = body[1:]
		key, ok := field()
		if !ok || len(key) == 0 {
			return nil, false
		}
		op := journalOp{key: string(key)}
		switch kind {
		case opSet:
			val, ok := field()
			if !ok {
				return nil, false
			}
			op.val = slices.Clone(val)
		case opDelete:
			op.del = true
		default:
			return nil, false
		}
		ops = append(ops, op)
	}
	return ops, true
}

// journalHeader is the header of a journal: the magic, badger's value
// log mark when it began (see valueLogMark), its id, and a CRC-32C of
// them.
func journalHeader(h journalHead) []byte {
	b := binary.LittleEndian.AppendUint32([]byte(journalMagic), h.mark)
	b = binary.LittleEndian.AppendUint64(b, h.id)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

const journalHeaderSize = len(journalMagic) + 16

// journalHead is what a journal's header says.
type journalHead struct {
	mark uint32
	id   uint64
}

// parseJournal reads the header and the records of a journal's bytes, up
// to the first record that is incomplete or fails its checksum (the tail
// of an interrupted append), and tells how many bytes hold whole records,
// header included. A header cut short or zeroed by a kill during the
// first append holds nothing (valid is 0); a header of anything else is
// not a journal.
func parseJournal(data []byte) (h journalHead, ops []journalOp, valid int, err error) {
	head := data[:min(len(data), journalHeaderSize)]
	if len(head) == journalHeaderSize {
		h = journalHead{mark: binary.LittleEndian.Uint32(head[len(journalMagic):]), id: binary.LittleEndian.Uint64(head[len(journalMagic)+4:])}
	}
	if len(head) < journalHeaderSize || !bytes.Equal(head, journalHeader(h)) {
		magic := head[:min(len(head), len(journalMagic))]
		if strings.HasPrefix(journalMagic, string(magic)) || strings.Trim(string(head), "\x00") == "" {
			return journalHead{}, nil, 0, nil
		}
		return journalHead{}, nil, 0, fmt.Errorf("%w: its header is %q", errJournal, magic)
	}
	off := journalHeaderSize
	for len(data)-off >= 8 {
		n := binary.LittleEndian.Uint32(data[off:])
		sum := binary.LittleEndian.Uint32(data[off+4:])
		if uint64(n) > uint64(len(data)-off-8) {
			break
		}
		body := data[off+8 : off+8+int(n)]
		if crc32.Checksum(body, castagnoli) != sum {
			break
		}
		rec, ok := decodeBody(body)
		if !ok {
			break
		}
		ops = append(ops, rec...)
		off += 8 + int(n)
	}
	return h, ops, off, nil
}

// valueLogMark is the highest number of badger's value logs in dir. Badger
// creates a value log at every writable opening and never reuses a
// number, so the mark changes whenever badger was opened for writing.
func valueLogMark(dir string) uint32 {
	paths, _ := filepath.Glob(filepath.Join(dir, "*.vlog"))
	var mark uint32
	for _, p := range paths {
		n, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(p), ".vlog"), 10, 32)
		if err == nil && uint32(n) > mark {
			mark = uint32(n)
		}
	}
	return mark
}

// journal is the journal of one opening of the index.
type journal struct {
	path string
	// valid is the length of the file's whole records (0: no file, or
	// nothing in it), where the next append goes.
	valid int64
	// size is the file's length, torn tail included.
	size int64
	// head is what the header says, or, when valid is 0, what the first
	// append writes.
	head journalHead
}

// readJournal reads the journal of the index in dir, whose badger's value
// logs are now at mark. A journal that began at another mark was written
// before a writable opening of badger that did not remove it: a fold that
// was interrupted, whose first transaction wrote the journal's id under
// foldingKey, and which is done again; or an earlier git dds, which knows
// nothing of journals and whose writes are newer: that journal is stale,
// and reads as empty. folding gives the id under foldingKey.
func readJournal(dir string, mark uint32, folding func() (uint64, bool, error)) (*journal, []journalOp, error) {
	j := &journal{path: filepath.Join(dir, journalName), head: journalHead{mark: mark, id: rand.Uint64()}}
	f, err := os.Open(j.path)
	if errors.Is(err, fs.ErrNotExist) {
		return j, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", j.path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", j.path, err)
	}
	if info.Size() > journalMax {
		return nil, nil, fmt.Errorf("%w: %s holds %d bytes, more than git dds ever writes there", errJournal, j.path, info.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, journalMax))
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", j.path, err)
	}
	h, ops, valid, err := parseJournal(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", j.path, err)
	}
	j.size = int64(len(data))
	if valid == 0 {
		return j, nil, nil
	}
	if h.mark != mark {
		id, ok, err := folding()
		if err != nil {
			return nil, nil, err
		}
		if !ok || id != h.id {
			return j, nil, nil // stale
		}
	}
	j.valid, j.head = int64(valid), h
	return j, ops, nil
}

// append writes one record of ops and syncs it; once it returns nil, the
// ops survive a crash.
func (j *journal) append(ops []journalOp) error {
	f, err := os.OpenFile(j.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	created := j.size == 0
	var buf []byte
	if j.valid == 0 {
		buf = append(buf, journalHeader(j.head)...)
	}
	buf = append(buf, encodeRecord(ops)...)
	err = func() error {
		if j.size > j.valid {
			// A torn record from an interrupted append: what comes
			// after it must be readable.
			if err := f.Truncate(j.valid); err != nil {
				return err
			}
		}
		if _, err := f.WriteAt(buf, j.valid); err != nil {
			return err
		}
		return dataSync(f)
	}()
	if err = errors.Join(err, f.Close()); err != nil {
		// What was written may be partly there: the next reader stops
		// before it, and the next append overwrites it.
		j.size = max(j.size, j.valid+int64(len(buf)))
		return err
	}
	j.valid += int64(len(buf))
	j.size = j.valid
	if created {
		// The file's name must be as durable as its bytes.
		return syncDir(filepath.Dir(j.path))
	}
	return nil
}

// remove deletes the journal once badger holds what it said, and makes the
// deletion durable before anything else is written: a journal that came
// back after a crash would undo the writes made since the fold.
func (j *journal) remove() error {
	if err := os.Remove(j.path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	j.valid, j.size = 0, 0
	return syncDir(filepath.Dir(j.path))
}
