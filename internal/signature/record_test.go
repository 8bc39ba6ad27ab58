package signature

import (
	"bytes"
	"strings"
	"testing"
)

func TestCheckOutputPath(t *testing.T) {
	for _, p := range []string{"out.txt", "a/b/c", "v1..2", "..a", "a..", ".gitignore", "x.git", "git/x", "ü/ñ"} {
		if err := CheckOutputPath(p); err != nil {
			t.Errorf("CheckOutputPath(%q) = %v; want it accepted", p, err)
		}
	}
	for _, p := range []string{"", "/abs", "../x", "a/../../x", "a/..", ".", "./a", "a/.", "a//b", "a/",
		".git", ".git/hooks", "a/.GIT/config", ".Git", "a\x00b", "a\nb", `a\b`, "a\x7fb", strings.Repeat("a", 4097)} {
		if err := CheckOutputPath(p); err == nil {
			t.Errorf("CheckOutputPath(%q) accepted it", p)
		}
	}
}

func TestCheckRecord(t *testing.T) {
	sig := strings.Repeat("a", 64)
	id := strings.Repeat("b", 64)
	good := func() *Record {
		return &Record{Signature: sig, Stage: "s", Host: "h", Outputs: []Output{{Path: "out", ContentID: id, Size: 1}, {Path: "out2", ContentID: id}},
			Audit: &Audit{Undeclared: []Undeclared{{Path: "src/util.py", Kind: UndeclaredTracked}, {Path: "feat/x", Kind: UndeclaredOutput, Stage: "feat"}}, Outside: 3},
			External: []ExternalOutput{
				{Name: "events", URI: "s3://lake/dds/aa/" + sig + "/0123456789abcdef/events/", Attempt: "0123456789abcdef", Format: "parquet", Count: 2, Bytes: 10, Digest: id},
				{Name: "t", URI: "file:///srv/lake/aa/" + sig + "/fedcba9876543210/t/", Attempt: "fedcba9876543210", Format: "delta", Count: 1, Digest: id,
					Pointer: "_delta_log/00000000000000000000.json"},
			}}
	}
	if err := CheckRecord(good()); err != nil {
		t.Fatalf("a good record: %v", err)
	}
	cut := good()
	cut.CutOff = &CutOff{Signature: id, Upstream: []string{"clean", "prep"}}
	if err := CheckRecord(cut); err != nil {
		t.Fatalf("a good cut-off record: %v", err)
	}
	for name, spoil := range map[string]func(r *Record){
		"short signature":   func(r *Record) { r.Signature = "abc" },
		"stage with slash":  func(r *Record) { r.Stage = "a/b" },
		"stage with escape": func(r *Record) { r.Stage = "a\x1b[2J" },
		"host with newline": func(r *Record) { r.Host = "h\nfake line" },
		"path out":          func(r *Record) { r.Outputs[0].Path = "../x" },
		"path into git":     func(r *Record) { r.Outputs[0].Path = ".git/hooks" },
		"bad id":            func(r *Record) { r.Outputs[0].ContentID = "../../etc/passwd" },
		"negative size":     func(r *Record) { r.Outputs[0].Size = -1 },
		"huge size":         func(r *Record) { r.Outputs[0].Size = MaxOutputSize + 1 },
		"path twice":        func(r *Record) { r.Outputs[1].Path = "out" },
		"path inside other": func(r *Record) { r.Outputs[1].Path = "out/x" },
		"negative duration": func(r *Record) { r.Duration = -1 },
		"audit read out":    func(r *Record) { r.Audit.Undeclared[0].Path = "/etc/passwd" },
		"audit escape":      func(r *Record) { r.Audit.Undeclared[0].Path = "a\x1b[2J" },
		"audit kind":        func(r *Record) { r.Audit.Undeclared[0].Kind = "secret" },
		"audit no stage":    func(r *Record) { r.Audit.Undeclared[1].Stage = "" },
		"audit stage slash": func(r *Record) { r.Audit.Undeclared[1].Stage = "a/b" },
		"audit count":       func(r *Record) { r.Audit.Outside = -1 },
		"audit too many": func(r *Record) {
			r.Audit.Undeclared = make([]Undeclared, MaxUndeclared+1)
			for i := range r.Audit.Undeclared {
				r.Audit.Undeclared[i] = Undeclared{Path: "f", Kind: UndeclaredTracked}
			}
		},
		"cut off from a short signature": func(r *Record) {
			r.CutOff = &CutOff{Signature: "abc", Upstream: []string{"clean"}}
		},
		"cut off on no upstream": func(r *Record) { r.CutOff = &CutOff{Signature: sig} },
		"cut off on an escape": func(r *Record) {
			r.CutOff = &CutOff{Signature: sig, Upstream: []string{"a\x1b[2J"}}
		},
		"cut off on a path":    func(r *Record) { r.CutOff = &CutOff{Signature: sig, Upstream: []string{"../x"}} },
		"external name twice":  func(r *Record) { r.External[1].Name = "events" },
		"external name a path": func(r *Record) { r.External[0].Name = "../x" },
		"external another signature": func(r *Record) {
			r.External[0].URI = "s3://lake/dds/bb/" + strings.Repeat("b", 64) + "/0123456789abcdef/events/"
		},
		"external another attempt":  func(r *Record) { r.External[0].Attempt = "1123456789abcdef" },
		"external attempt a path":   func(r *Record) { r.External[0].Attempt = "../../../../x" },
		"external URI no scheme":    func(r *Record) { r.External[0].URI = "/aa/" + sig + "/0123456789abcdef/events/" },
		"external URI http":         func(r *Record) { r.External[0].URI = "http://h/aa/" + sig + "/0123456789abcdef/events/" },
		"external URI credential":   func(r *Record) { r.External[0].URI = "s3://k:s@lake/aa/" + sig + "/0123456789abcdef/events/" },
		"external URI dot-dot":      func(r *Record) { r.External[0].URI = "file:///srv/../aa/" + sig + "/0123456789abcdef/events/" },
		"external URI escape":       func(r *Record) { r.External[0].URI = "s3://l\x1b[2J/aa/" + sig + "/0123456789abcdef/events/" },
		"external format":           func(r *Record) { r.External[0].Format = "csv" },
		"external empty":            func(r *Record) { r.External[0].Count = 0 },
		"external negative bytes":   func(r *Record) { r.External[0].Bytes = -1 },
		"external digest":           func(r *Record) { r.External[0].Digest = "x" },
		"external pointer out":      func(r *Record) { r.External[1].Pointer = "../../other/_delta_log/1.json" },
		"external pointer absolute": func(r *Record) { r.External[1].Pointer = "/etc/passwd" },
	} {
		r := good()
		spoil(r)
		if err := CheckRecord(r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add([]byte(`{"v":1,"signature":"ab","stage":"clean","outputs":[{"path":"o","content_id":"c","size":3}],"duration_ns":5,"inputs":[{"kind":"cmd","name":"","value":"x"}],"host":"h","time":"2025-03-01T12:00:00Z"}`))
	f.Add([]byte(`{"v":1,"signature":"ab","stage":"t","audit":{"undeclared":[{"path":"src/u.py","kind":"tracked"}],"omitted":2,"outside":40}}`))
	f.Add([]byte(`{"v":2}`))
	f.Add([]byte(`{"v":1,"time":"yesterday"}`))
	f.Add([]byte(`{"v":1,"time":"2025-03-01T13:00:00.5+01:00","outputs":null,"inputs":[]}`))
	f.Add([]byte(``))
	f.Add([]byte(`{"v":1,"signature":"ab","stage":"train","outputs":[],"inputs":[],"host":"h","time":"2025-03-01T12:00:00Z","cut_off":{"signature":"cd","upstream":["clean"]}}`))
	f.Add([]byte(`{"v":1,"cut_off":null}`))
	f.Add([]byte(`{"v":1,"external":[{"name":"e","uri":"s3://b/aa/x/0123456789abcdef/e/","attempt":"0123456789abcdef","format":"delta","count":1,"bytes":2,"digest":"d","pointer":"_delta_log/1.json"}]}`))
	f.Add([]byte(`{"v":1,"cut_off":{"upstream":null}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := DecodeRecord(data)
		if err != nil {
			return
		}
		again, err := EncodeRecord(rec)
		if err != nil {
			t.Fatalf("a decoded record does not encode: %v", err)
		}
		back, err := DecodeRecord(again)
		if err != nil {
			t.Fatalf("record %s does not decode: %v", again, err)
		}
		if third, _ := EncodeRecord(back); !bytes.Equal(third, again) {
			t.Fatalf("record %s decodes and encodes again as %s", again, third)
		}
	})
}

func TestRecordCutOffOptional(t *testing.T) {
	old := []byte(`{"v":1,"signature":"ab","stage":"clean","outputs":[],"duration_ns":5,"inputs":[],"host":"h","time":"2025-03-01T12:00:00Z"}`)
	rec, err := DecodeRecord(old)
	if err != nil || rec.CutOff != nil {
		t.Fatalf("a record written before cut-off existed: %+v, %v", rec, err)
	}
	if again, _ := EncodeRecord(rec); bytes.Contains(again, []byte("cut_off")) {
		t.Errorf("a record not cut off encodes a cut_off field: %s", again)
	}
	rec.CutOff = &CutOff{Signature: strings.Repeat("c", 64), Upstream: []string{"clean"}}
	data, err := EncodeRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeRecord(data)
	if err != nil || back.CutOff == nil || back.CutOff.Signature != rec.CutOff.Signature || back.CutOff.Upstream[0] != "clean" {
		t.Errorf("a cut-off record reads back as %+v, %v", back, err)
	}
}
