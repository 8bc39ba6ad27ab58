package sigindex

import (
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
		return &Record{Signature: sig, Stage: "s", Host: "h", Outputs: []Output{{Path: "out", ContentID: id, Size: 1}, {Path: "out2", ContentID: id}}}
	}
	if err := CheckRecord(good()); err != nil {
		t.Fatalf("a good record: %v", err)
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
	} {
		r := good()
		spoil(r)
		if err := CheckRecord(r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
