package signature

import (
	"encoding/hex"
	"slices"
	"strings"

	"github.com/git-dds/git-dds/internal/blake3"
)

// contentKeyContext is the BLAKE3 key-derivation context of a content key.
// A signature is a plain hash of an encoding, a content key a derived one:
// the two never coincide, so one can never be looked up as the other.
const contentKeyContext = "git dds 2026-12-02 content key"

// ContentKey gives the content key of a computation: the hash of its
// inputs' encoding with each upstream stage's signature replaced by the
// outputs that signature's computation wrote (UpstreamContent). Two
// computations with one content key read the same command, deps, params,
// env and upstream bytes, so the outputs of one serve the other: that is
// early cut-off (see docs/signatures.md). A signature never depends on it.
//
// outputs gives the outputs recorded for an upstream stage's signature. ok
// is false when inputs name no upstream stage (the key would say nothing
// the signature does not) or an upstream's outputs are unknown.
func ContentKey(inputs []Input, outputs func(stage, sig string) ([]Output, bool)) (key string, ok bool, err error) {
	replaced := slices.Clone(inputs)
	upstream := 0
	for i, in := range replaced {
		if in.Kind == KindExt {
			// A stage that writes to the lake is never cut off: its
			// outputs live at prefixes of its own signature, and the
			// lake's content is not hashed (docs/howto/big-data-on-s3.md).
			return "", false, nil
		}
		if in.Kind != KindStage {
			continue
		}
		outs, known := outputs(in.Name, in.Value)
		if !known {
			return "", false, nil
		}
		replaced[i].Value = UpstreamContent(outs)
		upstream++
	}
	if upstream == 0 {
		return "", false, nil
	}
	encoded, err := Encode(replaced)
	if err != nil {
		return "", false, err
	}
	var sum [32]byte
	blake3.DeriveKey(contentKeyContext, encoded, sum[:])
	return hex.EncodeToString(sum[:]), true, nil
}

// UpstreamContent is what a content key holds for an upstream stage: each
// of its outputs, sorted by path, as the path, a NUL, "f" or "d" (file or
// folder), a NUL and the content id, one per line. An output path holds no
// control character (CheckOutputPath), so this reads back one way only.
func UpstreamContent(outs []Output) string {
	lines := make([]string, 0, len(outs))
	for _, o := range outs {
		kind := "f"
		if o.Dir {
			kind = "d"
		}
		lines = append(lines, o.Path+"\x00"+kind+"\x00"+o.ContentID)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// MovedUpstream compares the inputs of an earlier computation with those
// of a new one. ok is true when they differ in upstream stage signatures
// only, with the same stages in the same order; moved names those whose
// signature differs. A content key hit is taken only when ok: it guards
// the lookup against a damaged or forged index entry.
func MovedUpstream(earlier, now []Input) (moved []string, ok bool) {
	if len(earlier) != len(now) {
		return nil, false
	}
	for i, in := range now {
		was := earlier[i]
		if was.Kind != in.Kind || was.Name != in.Name {
			return nil, false
		}
		if was.Value == in.Value {
			continue
		}
		if in.Kind != KindStage {
			return nil, false
		}
		moved = append(moved, in.Name)
	}
	return moved, true
}

// Reason says in words why a record was cut off: "clean wrote the same
// bytes".
func (c *CutOff) Reason() string {
	names := c.Upstream
	switch len(names) {
	case 0:
		return "its upstream stages wrote the same bytes"
	case 1:
		return names[0] + " wrote the same bytes"
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1] + " wrote the same bytes"
}
