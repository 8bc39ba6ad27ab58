package signature

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"

	"github.com/git-dds/git-dds/internal/blake3"
)

// FormatVersion is the version of the signature encoding. Any change to what
// a signature covers or how it is laid out must bump it, so that signatures
// of different formats can never be mistaken for one another. Env values
// turned from quoted text into hashes within version 1: a quoted value
// starts with '"' and a hash never does, so no encoding of one form equals
// one of the other, and stages without env kept their signatures.
const FormatVersion = 1

// The encoding is the magic, the version, then one item per Input:
//
//	magic   "dds-sig" 0x00                      8 bytes
//	version uint32 big-endian                   4 bytes
//	item    tag byte, name, value               repeated to the end
//	name    uint32 big-endian length, bytes
//	value   uint32 big-endian length, bytes
//
// Every variable-length field carries its length, so the bytes decode back to
// exactly one list of inputs: two different lists can never encode alike.
const (
	encodingMagic = "dds-sig\x00"
	headerSize    = len(encodingMagic) + 4
)

// tagOfKind gives an item's tag byte: the first letter of its kind, but
// 'x' for ext, whose first letter env has.
func tagOfKind(kind string) (byte, bool) {
	switch kind {
	case KindExt:
		return 'x', true
	case KindCmd, KindWdir, KindOut, KindDep, KindStage, KindParam, KindEnv:
		return kind[0], true
	}
	return 0, false
}

func kindOfTag(tag byte) (string, bool) {
	switch tag {
	case 'c':
		return KindCmd, true
	case 'w':
		return KindWdir, true
	case 'o':
		return KindOut, true
	case 'x':
		return KindExt, true
	case 'd':
		return KindDep, true
	case 's':
		return KindStage, true
	case 'p':
		return KindParam, true
	case 'e':
		return KindEnv, true
	}
	return "", false
}

// Encode lays out inputs in the canonical signature encoding, in the order
// given. Compute orders them canonically; Encode only serializes.
func Encode(inputs []Input) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(encodingMagic)
	buf.Write(binary.BigEndian.AppendUint32(nil, FormatVersion))
	for i, in := range inputs {
		tag, ok := tagOfKind(in.Kind)
		if !ok {
			return nil, fmt.Errorf("input %d has unknown kind %q", i, in.Kind)
		}
		buf.WriteByte(tag)
		for _, field := range []string{in.Name, in.Value} {
			if uint64(len(field)) > math.MaxUint32 {
				return nil, fmt.Errorf("input %d (%s %q) is larger than 4 GiB", i, in.Kind, in.Name)
			}
			buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(field))))
			buf.WriteString(field)
		}
	}
	return buf.Bytes(), nil
}

// Decode reads back an encoding written by Encode. It accepts nothing else:
// any trailing, truncated or unknown byte is an error.
func Decode(b []byte) ([]Input, error) {
	if len(b) < headerSize || string(b[:len(encodingMagic)]) != encodingMagic {
		return nil, fmt.Errorf("not a signature encoding: it does not start with %q", encodingMagic)
	}
	if v := binary.BigEndian.Uint32(b[len(encodingMagic):headerSize]); v != FormatVersion {
		return nil, fmt.Errorf("signature encoding version %d is not supported (this git dds reads version %d)", v, FormatVersion)
	}
	rest := b[headerSize:]
	inputs := []Input{}
	for len(rest) > 0 {
		offset := len(b) - len(rest)
		kind, ok := kindOfTag(rest[0])
		if !ok {
			return nil, fmt.Errorf("byte %d: unknown item tag 0x%02x", offset, rest[0])
		}
		rest = rest[1:]
		var fields [2]string
		for i := range fields {
			if len(rest) < 4 {
				return nil, fmt.Errorf("byte %d: %s item is truncated", offset, kind)
			}
			n := binary.BigEndian.Uint32(rest)
			rest = rest[4:]
			if uint64(len(rest)) < uint64(n) {
				return nil, fmt.Errorf("byte %d: %s item is truncated", offset, kind)
			}
			fields[i] = string(rest[:n])
			rest = rest[n:]
		}
		inputs = append(inputs, Input{Kind: kind, Name: fields[0], Value: fields[1]})
	}
	return inputs, nil
}

// SignatureOf hashes inputs as Compute does: BLAKE3-256 of their encoding,
// as 64 lowercase hex digits. fsck uses it to check a record against the
// inputs it stores.
func SignatureOf(inputs []Input) (string, error) {
	encoded, err := Encode(inputs)
	if err != nil {
		return "", err
	}
	sum := blake3.Sum256(encoded)
	return hex.EncodeToString(sum[:]), nil
}
