package signature

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

// storedSamples are records of every shape the index keeps: plain, with
// an audit, cut off, with nil and empty lists, in several time zones.
func storedSamples() []*Record {
	sig := strings.Repeat("a", 64)
	id := strings.Repeat("b", 64)
	when := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	return []*Record{
		{Signature: sig, Stage: "clean", Host: "h", Time: when, Duration: 5 * time.Second, Commit: strings.Repeat("c", 40),
			Outputs: []Output{{Path: "out/a.csv", ContentID: id, Size: 3}, {Path: "out/dir", ContentID: id, Size: 1 << 40, Dir: true}},
			Inputs: []Input{{Kind: KindCmd, Value: "python clean.py"}, {Kind: KindWdir}, {Kind: KindOut, Name: "out/a.csv"},
				{Kind: KindDep, Name: "src", Value: "0123"}, {Kind: KindStage, Name: "prep", Value: sig},
				{Kind: KindParam, Name: "params.yaml:k", Value: `{"a":1}`}, {Kind: KindEnv, Name: "SEED", Value: ""}, {Kind: "future", Name: "x"}}},
		{Signature: sig, Stage: "t", Time: when.In(time.FixedZone("", 3600)),
			Audit: &Audit{Undeclared: []Undeclared{{Path: "src/u.py", Kind: UndeclaredTracked}, {Path: "o", Kind: UndeclaredOutput, Stage: "s"}}, Omitted: 2, Outside: 40}},
		{Signature: sig, Stage: "t", Outputs: []Output{}, Inputs: []Input{}, Time: when.In(time.FixedZone("", -5*3600-1800)),
			CutOff: &CutOff{Signature: id, Upstream: []string{"clean", "prep"}}},
		{Signature: sig, Stage: "t", Time: when.Local(), Audit: &Audit{}, CutOff: &CutOff{}},
		{Signature: sig, Stage: "lake", Time: when, External: []ExternalOutput{
			{Name: "events", URI: "s3://b/dds/aa/" + sig + "/0123456789abcdef/events/", Attempt: "0123456789abcdef", Format: "parquet",
				Count: 3, Bytes: 1 << 33, Digest: id},
			{Name: "features", URI: "file:///lake/x/", Attempt: "fedcba9876543210", Format: "delta", Count: 1, Digest: id,
				Pointer: "_delta_log/00000000000000000002.json"}}},
		{Signature: sig, Stage: "t", Time: when, External: []ExternalOutput{}},
		{},
	}
}

func TestStoredRecordReadsBackAsJSONDoes(t *testing.T) {
	for i, rec := range storedSamples() {
		data, err := EncodeStoredRecord(rec)
		if err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
		back, err := DecodeStoredRecord(data)
		if err != nil {
			t.Fatalf("sample %d does not decode: %v", i, err)
		}
		// What the JSON of both says is what every reader sees.
		want, _ := EncodeRecord(rec)
		if js, _ := EncodeRecord(back); !bytes.Equal(js, want) {
			t.Errorf("sample %d reads back as\n%s\nwant\n%s", i, js, want)
		}
		if !back.Time.Equal(rec.Time) {
			t.Errorf("sample %d: time %v reads back as %v", i, rec.Time, back.Time)
		}
		fromJSON, err := DecodeRecord(want)
		if err != nil {
			t.Fatal(err)
		}
		_, got := back.Time.Zone()
		_, wantOffset := fromJSON.Time.Zone()
		if got != wantOffset || back.Time.Location() == time.UTC != (fromJSON.Time.Location() == time.UTC) {
			t.Errorf("sample %d: zone %v, JSON gives %v", i, back.Time.Location(), fromJSON.Time.Location())
		}
	}
}

func TestStoredRecordReadsJSONRecords(t *testing.T) {
	for i, rec := range storedSamples() {
		data, err := EncodeRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeStoredRecord(data)
		if err != nil {
			t.Fatalf("the JSON of sample %d: %v", i, err)
		}
		if again, _ := EncodeRecord(back); !bytes.Equal(again, data) {
			t.Errorf("the JSON of sample %d reads back as %s, want %s", i, again, data)
		}
	}
}

func TestStoredRecordRefusesDamage(t *testing.T) {
	data, err := EncodeStoredRecord(storedSamples()[0])
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(data) {
		if _, err := DecodeStoredRecord(data[:n]); err == nil {
			t.Errorf("cut to %d of %d bytes: accepted", n, len(data))
		}
	}
	if _, err := DecodeStoredRecord(append(bytes.Clone(data), 0)); err == nil {
		t.Error("a trailing byte: accepted")
	}
	// A count far beyond the bytes left allocates nothing.
	huge := []byte{storedBinaryV2, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}
	if _, err := DecodeStoredRecord(huge); err == nil {
		t.Error("a count beyond the data: accepted")
	}
}

func FuzzDecodeStoredRecord(f *testing.F) {
	for _, rec := range storedSamples() {
		data, err := EncodeStoredRecord(rec)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		js, _ := EncodeRecord(rec)
		f.Add(js)
	}
	f.Add([]byte{storedBinaryV2})
	f.Add([]byte{storedBinaryV2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := DecodeStoredRecord(data)
		if err != nil {
			return
		}
		again, err := EncodeStoredRecord(rec)
		if err != nil {
			t.Fatalf("a decoded record does not encode: %v", err)
		}
		back, err := DecodeStoredRecord(again)
		if err != nil {
			t.Fatalf("record %x does not decode: %v", again, err)
		}
		if third, _ := EncodeStoredRecord(back); !bytes.Equal(third, again) {
			t.Fatalf("record %x decodes and encodes again as %x", again, third)
		}
	})
}

// TestStoredRecordPinsRecord fails when Record, or a type it holds,
// changes shape: the binary layout of EncodeStoredRecord names each field,
// and a field it does not write is lost from every record in the index.
// Write the new field there (and in a sample above), then update this.
func TestStoredRecordPinsRecord(t *testing.T) {
	const want = "Record{Signature string; Stage string; Outputs []signature.Output; External []signature.ExternalOutput; Duration time.Duration; Inputs []signature.Input; Commit string; Host string; Time time.Time; Audit *signature.Audit; CutOff *signature.CutOff}; " +
		"Output{Path string; ContentID string; Size int64; Dir bool}; " +
		"ExternalOutput{Name string; URI string; Attempt string; Format string; Count int64; Bytes int64; Digest string; Pointer string}; " +
		"Input{Kind string; Name string; Value string}; " +
		"Audit{Undeclared []signature.Undeclared; Omitted int; Outside int}; " +
		"Undeclared{Path string; Kind string; Stage string}; " +
		"CutOff{Signature string; Upstream []string}"
	var parts []string
	for _, typ := range []reflect.Type{reflect.TypeFor[Record](), reflect.TypeFor[Output](), reflect.TypeFor[ExternalOutput](),
		reflect.TypeFor[Input](), reflect.TypeFor[Audit](), reflect.TypeFor[Undeclared](), reflect.TypeFor[CutOff]()} {
		var fields []string
		for i := range typ.NumField() {
			f := typ.Field(i)
			fields = append(fields, f.Name+" "+f.Type.String())
		}
		parts = append(parts, typ.Name()+"{"+strings.Join(fields, "; ")+"}")
	}
	if got := strings.Join(parts, "; "); got != want {
		t.Errorf("Record's shape is\n%s\nwant\n%s", got, want)
	}
}
