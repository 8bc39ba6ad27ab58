package signature

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// The index keeps records in a binary layout of their own: status reads
// one per stage on every call, and decoding JSON by reflection was most
// of the cost of reading them. Records on a remote stay JSON
// (EncodeRecord), which every version of git dds reads.
//
// Layout, after the one byte storedBinaryV2: each string a uvarint length
// and its bytes; each count a uvarint, one more than the number of items,
// 0 standing for a nil list (so that a record reads back exactly as it
// was, null and [] alike); each signed number a varint.
//
//	signature, stage
//	outputs: count, then path, content id, size, dir (one byte, 0 or 1)
//	duration (ns)
//	inputs: count, then kind, name, value
//	commit, host
//	time: seconds, nanoseconds, zone offset in seconds
//	flags: bit 0 audit, bit 1 cut-off, bit 2 external; then each present one:
//	  audit: undeclared count, then path, kind, stage; omitted, outside
//	  cut-off: signature, upstream count, then names
//	  external: count, then name, uri, attempt, format, count, bytes,
//	    digest, pointer
//
// TestStoredRecordPinsRecord fails when Record changes shape, so that a
// new field is written here too rather than lost in the index.
const storedBinaryV2 = 0x02

// EncodeStoredRecord writes rec in the binary layout the index keeps.
func EncodeStoredRecord(rec *Record) ([]byte, error) {
	if rec == nil {
		return nil, errors.New("encoding a record: it is empty")
	}
	size := 64
	for _, o := range rec.Outputs {
		size += len(o.Path) + len(o.ContentID) + 16
	}
	for _, in := range rec.Inputs {
		size += len(in.Kind) + len(in.Name) + len(in.Value) + 3
	}
	b := make([]byte, 0, size+len(rec.Signature)+len(rec.Stage)+len(rec.Commit)+len(rec.Host))
	b = append(b, storedBinaryV2)
	b = putString(b, rec.Signature)
	b = putString(b, rec.Stage)
	b = putCount(b, len(rec.Outputs), rec.Outputs == nil)
	for _, o := range rec.Outputs {
		b = putString(b, o.Path)
		b = putString(b, o.ContentID)
		b = binary.AppendVarint(b, o.Size)
		b = putBool(b, o.Dir)
	}
	b = binary.AppendVarint(b, int64(rec.Duration))
	b = putCount(b, len(rec.Inputs), rec.Inputs == nil)
	for _, in := range rec.Inputs {
		b = putString(b, in.Kind)
		b = putString(b, in.Name)
		b = putString(b, in.Value)
	}
	b = putString(b, rec.Commit)
	b = putString(b, rec.Host)
	_, offset := rec.Time.Zone()
	b = binary.AppendVarint(b, rec.Time.Unix())
	b = binary.AppendUvarint(b, uint64(rec.Time.Nanosecond()))
	b = binary.AppendVarint(b, int64(offset))
	var flags byte
	if rec.Audit != nil {
		flags |= 1
	}
	if rec.CutOff != nil {
		flags |= 2
	}
	if len(rec.External) > 0 {
		flags |= 4
	}
	b = append(b, flags)
	if a := rec.Audit; a != nil {
		b = putCount(b, len(a.Undeclared), a.Undeclared == nil)
		for _, u := range a.Undeclared {
			b = putString(b, u.Path)
			b = putString(b, u.Kind)
			b = putString(b, u.Stage)
		}
		b = binary.AppendVarint(b, int64(a.Omitted))
		b = binary.AppendVarint(b, int64(a.Outside))
	}
	if c := rec.CutOff; c != nil {
		b = putString(b, c.Signature)
		b = putCount(b, len(c.Upstream), c.Upstream == nil)
		for _, name := range c.Upstream {
			b = putString(b, name)
		}
	}
	if len(rec.External) > 0 {
		b = putCount(b, len(rec.External), false)
		for _, x := range rec.External {
			b = putString(b, x.Name)
			b = putString(b, x.URI)
			b = putString(b, x.Attempt)
			b = putString(b, x.Format)
			b = binary.AppendVarint(b, x.Count)
			b = binary.AppendVarint(b, x.Bytes)
			b = putString(b, x.Digest)
			b = putString(b, x.Pointer)
		}
	}
	return b, nil
}

// DecodeStoredRecord reads a record as the index keeps it: the binary
// layout of EncodeStoredRecord, or the JSON of EncodeRecord that earlier
// versions stored. It bounds every length by the bytes left, so that a
// damaged or forged value cannot make it allocate more than its size.
func DecodeStoredRecord(data []byte) (*Record, error) {
	if len(data) == 0 {
		return nil, errors.New("the record is empty")
	}
	if data[0] != storedBinaryV2 {
		return DecodeRecord(data)
	}
	d := decoder{data: data[1:]}
	rec := &Record{}
	rec.Signature = d.string()
	rec.Stage = d.string()
	if n, isNil := d.count(4); !isNil {
		rec.Outputs = make([]Output, n)
		for i := range rec.Outputs {
			o := &rec.Outputs[i]
			o.Path = d.string()
			o.ContentID = d.string()
			o.Size = d.varint()
			o.Dir = d.bool()
		}
	}
	rec.Duration = time.Duration(d.varint())
	if n, isNil := d.count(3); !isNil {
		rec.Inputs = make([]Input, n)
		for i := range rec.Inputs {
			in := &rec.Inputs[i]
			in.Kind = d.kind()
			in.Name = d.string()
			in.Value = d.string()
		}
	}
	rec.Commit = d.string()
	rec.Host = d.string()
	sec, nsec, offset := d.varint(), d.uvarint(), d.varint()
	if nsec >= uint64(time.Second) || offset <= -86400 || offset >= 86400 {
		d.fail("its time is out of range")
	}
	rec.Time = storedTime(sec, int64(nsec), int(offset))
	flags := d.byte()
	if flags&^7 != 0 {
		d.fail(fmt.Sprintf("it has unknown flags %#x", flags))
	}
	if flags&1 != 0 {
		a := &Audit{}
		if n, isNil := d.count(3); !isNil {
			a.Undeclared = make([]Undeclared, n)
			for i := range a.Undeclared {
				u := &a.Undeclared[i]
				u.Path = d.string()
				u.Kind = d.string()
				u.Stage = d.string()
			}
		}
		a.Omitted = d.int()
		a.Outside = d.int()
		rec.Audit = a
	}
	if flags&2 != 0 {
		c := &CutOff{Signature: d.string()}
		if n, isNil := d.count(1); !isNil {
			c.Upstream = make([]string, n)
			for i := range c.Upstream {
				c.Upstream[i] = d.string()
			}
		}
		rec.CutOff = c
	}
	if flags&4 != 0 {
		if n, _ := d.count(8); n > 0 {
			rec.External = make([]ExternalOutput, n)
			for i := range rec.External {
				x := &rec.External[i]
				x.Name = d.string()
				x.URI = d.string()
				x.Attempt = d.string()
				x.Format = d.string()
				x.Count = d.varint()
				x.Bytes = d.varint()
				x.Digest = d.string()
				x.Pointer = d.string()
			}
		}
	}
	if d.err == nil && len(d.data) > 0 {
		d.fail(fmt.Sprintf("%d bytes follow its end", len(d.data)))
	}
	if d.err != nil {
		return nil, fmt.Errorf("the record cannot be decoded: %w", d.err)
	}
	return rec, nil
}

// storedTime rebuilds a time as JSON decoding gives it back: in UTC when
// its offset is 0, in the local zone when that has the offset then, else
// in a zone of that fixed offset.
func storedTime(sec, nsec int64, offset int) time.Time {
	t := time.Unix(sec, nsec)
	if offset == 0 {
		return t.UTC()
	}
	if _, local := t.Zone(); local == offset {
		return t
	}
	return t.In(time.FixedZone("", offset))
}

func putString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func putCount(b []byte, n int, isNil bool) []byte {
	if isNil {
		return append(b, 0)
	}
	return binary.AppendUvarint(b, uint64(n)+1)
}

func putBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// decoder reads the binary layout; after the first error every read gives
// a zero value, and err says what went wrong first.
type decoder struct {
	data []byte
	err  error
}

func (d *decoder) fail(why string) {
	if d.err == nil {
		d.err = errors.New(why)
	}
	d.data = nil
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.data)
	if n <= 0 {
		d.fail("a number is cut short or too long")
		return 0
	}
	d.data = d.data[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.data)
	if n <= 0 {
		d.fail("a number is cut short or too long")
		return 0
	}
	d.data = d.data[n:]
	return v
}

func (d *decoder) int() int {
	v := d.varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail("a count is out of range")
		return 0
	}
	return int(v)
}

func (d *decoder) byte() byte {
	if len(d.data) == 0 {
		d.fail("it is cut short")
		return 0
	}
	v := d.data[0]
	d.data = d.data[1:]
	return v
}

func (d *decoder) bool() bool {
	switch d.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail("a flag is neither 0 nor 1")
	return false
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.data)) {
		d.fail("a string runs past its end")
		return nil
	}
	v := d.data[:n]
	d.data = d.data[n:]
	return v
}

func (d *decoder) string() string {
	return string(d.bytes())
}

// kind reads an input's kind, sharing the constants' strings rather than
// allocating one per input.
func (d *decoder) kind() string {
	b := d.bytes()
	for _, k := range [...]string{KindDep, KindStage, KindParam, KindOut, KindExt, KindCmd, KindWdir, KindEnv} {
		if string(b) == k {
			return k
		}
	}
	return string(b)
}

// count reads a list's count; isNil reports the nil list. Each item takes
// at least least bytes, so a count beyond what is left is refused before
// anything is allocated.
func (d *decoder) count(least int) (n int, isNil bool) {
	v := d.uvarint()
	if v == 0 {
		return 0, true
	}
	v--
	if v > uint64(len(d.data)/least) {
		d.fail("a list is longer than what is left")
		return 0, true
	}
	return int(v), false
}
