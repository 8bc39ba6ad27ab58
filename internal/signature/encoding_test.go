package signature

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestEncodeLayout(t *testing.T) {
	got, err := Encode([]Input{{Kind: KindCmd, Value: "ab"}, {Kind: KindEnv, Name: "X"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "dds-sig\x00" + "\x00\x00\x00\x01" +
		"c" + "\x00\x00\x00\x00" + "\x00\x00\x00\x02ab" +
		"e" + "\x00\x00\x00\x01X" + "\x00\x00\x00\x00"
	if string(got) != want {
		t.Errorf("Encode = %q, want %q", got, want)
	}
}

func TestEncodeRejectsUnknownKind(t *testing.T) {
	if _, err := Encode([]Input{{Kind: "file"}}); err == nil || !strings.Contains(err.Error(), `"file"`) {
		t.Errorf("Encode of an unknown kind: error = %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	header := "dds-sig\x00\x00\x00\x00\x01"
	tests := []struct {
		name, data, wantIn string
	}{
		{"empty", "", "not a signature encoding"},
		{"another magic", "dds-sgi\x00\x00\x00\x00\x01", "not a signature encoding"},
		{"another version", "dds-sig\x00\x00\x00\x00\x02", "version 2"},
		{"an unknown tag", header + "z\x00\x00\x00\x00\x00\x00\x00\x00", "unknown item tag 0x7a"},
		{"a truncated length", header + "c\x00\x00", "truncated"},
		{"a truncated field", header + "c\x00\x00\x00\x00\x00\x00\x00\x05abc", "truncated"},
		{"a missing value", header + "c\x00\x00\x00\x00", "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("Decode error = %v, want one containing %q", err, tt.wantIn)
			}
		})
	}
}

// The worked example of docs/signatures.md must be what the code computes.
func TestWorkedExampleInDocs(t *testing.T) {
	doc, err := os.ReadFile("../../docs/signatures.md")
	if err != nil {
		t.Fatal(err)
	}
	sig, inputs, err := Compute(exampleStage(), exampleTree(), nil, nil, exampleEnv())
	if err != nil {
		t.Fatal(err)
	}
	encoded, err := Encode(inputs)
	if err != nil {
		t.Fatal(err)
	}
	downstreamSig, downstreamInputs, err := Compute(downstreamStage(), downstreamTree(),
		producerOf(map[string]string{"out/clean.csv": "clean"}), map[string]string{"clean": sig}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for what, want := range map[string]string{
		"hex dump of the encoding":       hex.Dump(encoded),
		"length of the encoding":         fmt.Sprintf("%d bytes", len(encoded)),
		"signature":                      sig,
		"downstream signature":           downstreamSig,
		"downstream upstream stage item": fmt.Sprintf("| `stage` | `clean` | `%s` |", downstreamInputs[5].Value),
	} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("docs/signatures.md lacks the %s:\n%s", what, want)
		}
	}
}

// fuzzKind picks one of the kinds, so that every fuzzed input encodes.
func fuzzKind(b byte) string {
	kinds := []string{KindCmd, KindWdir, KindOut, KindDep, KindStage, KindParam, KindEnv}
	return kinds[int(b)%len(kinds)]
}

// FuzzSignatureEncoding checks that encodings decode back to their inputs
// and that lists which differ only in where a field boundary falls (the
// classic concatenation collision) never encode alike.
func FuzzSignatureEncoding(f *testing.F) {
	f.Add(byte(0), "", "python a.py", byte(3), "src/a.py", "3f2a1b0c", uint8(2))
	f.Add(byte(5), "params.yaml:a", `"x"`, byte(5), "params.yaml:ab", `"y"`, uint8(14))
	f.Add(byte(6), "A", "", byte(6), "A", `""`, uint8(0))
	f.Add(byte(2), "out/a", "", byte(2), "", "out/a", uint8(5))
	f.Fuzz(func(t *testing.T, kindA byte, nameA, valueA string, kindB byte, nameB, valueB string, cut uint8) {
		a := Input{Kind: fuzzKind(kindA), Name: nameA, Value: valueA}
		b := Input{Kind: fuzzKind(kindB), Name: nameB, Value: valueB}
		lists := [][]Input{nil, {a}, {b}, {a, b}, {b, a}, {a, a}}
		// Move the boundary between a's name and value, and between a's
		// value and b's name.
		joined := nameA + valueA
		k := int(cut) % (len(joined) + 1)
		lists = append(lists, []Input{{Kind: a.Kind, Name: joined[:k], Value: joined[k:]}, b})
		joined = valueA + nameB
		k = int(cut) % (len(joined) + 1)
		lists = append(lists, []Input{{Kind: a.Kind, Name: nameA, Value: joined[:k]}, {Kind: b.Kind, Name: joined[k:], Value: valueB}})

		encodings := make([][]byte, len(lists))
		for i, list := range lists {
			enc, err := Encode(list)
			if err != nil {
				t.Fatal(err)
			}
			dec, err := Decode(enc)
			if err != nil {
				t.Fatalf("Decode(Encode(%q)): %v", list, err)
			}
			if !slices.Equal(dec, list) {
				t.Fatalf("Decode(Encode(%q)) = %q", list, dec)
			}
			encodings[i] = enc
		}
		for i := range lists {
			for j := range i {
				if !slices.Equal(lists[i], lists[j]) && bytes.Equal(encodings[i], encodings[j]) {
					t.Fatalf("%q and %q encode alike", lists[i], lists[j])
				}
			}
		}
	})
}

// FuzzDecode checks that Decode never panics and accepts only what Encode
// writes, so that one encoding means one list of inputs.
func FuzzDecode(f *testing.F) {
	_, inputs, err := Compute(exampleStage(), exampleTree(), nil, nil, exampleEnv())
	if err != nil {
		f.Fatal(err)
	}
	encoded, err := Encode(inputs)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(encoded)
	f.Add([]byte("dds-sig\x00\x00\x00\x00\x01"))
	f.Add([]byte("dds-sig\x00\x00\x00\x00\x01c\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		inputs, err := Decode(data)
		if err != nil {
			return
		}
		again, err := Encode(inputs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("Decode accepted %q, which encodes back as %q", data, again)
		}
	})
}
