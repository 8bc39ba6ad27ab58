package pin

import (
	"errors"
	"strings"
	"testing"
)

func TestSourceRoundTrip(t *testing.T) {
	p, err := NewSource("s3://raw/events/", []Object{
		{Key: "b c.csv", Size: 7, ETag: `"abc"`},
		{Key: "a.csv", Size: 3, ETag: `"def"`, Version: "v1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != Listing || p.Objects[0].Key != "a.csv" || p.Bytes() != 10 {
		t.Fatalf("got %+v", p)
	}
	back, err := Parse("raw.pin", Format(p), 0)
	if err != nil {
		t.Fatal(err)
	}
	if string(Format(back)) != string(Format(p)) {
		t.Fatalf("round trip changed the pin:\n%s\n%s", Format(p), Format(back))
	}
	if d := Compare(p, back); !d.Empty() {
		t.Fatalf("a pin differs from itself: %+v", d)
	}
}

func TestTables(t *testing.T) {
	p, err := NewSource("file:///lake/t/", []Object{
		{Key: "_delta_log/00000000000000000000.json", Size: 1},
		{Key: "_delta_log/00000000000000000002.json", Size: 2},
		{Key: "_delta_log/00000000000000000001.json", Size: 3},
		{Key: "part-0.parquet", Size: 100},
	})
	if err != nil || p.Kind != Delta || p.Pointer != "_delta_log/00000000000000000002.json" || len(p.Objects) != 1 {
		t.Fatalf("delta: %+v %v", p, err)
	}
	p, err = NewSource("file:///lake/i/", []Object{
		{Key: "metadata/00001-aaa.metadata.json", Size: 1},
		{Key: "metadata/00012-bbb.metadata.json", Size: 2},
		{Key: "metadata/snap-1.avro", Size: 2},
		{Key: "data/x.parquet", Size: 100},
	})
	if err != nil || p.Kind != Iceberg || p.Pointer != "metadata/00012-bbb.metadata.json" {
		t.Fatalf("iceberg: %+v %v", p, err)
	}
	if _, err := Parse("t.pin", Format(p), 0); err != nil {
		t.Fatal(err)
	}
}

func TestFileRoundTrip(t *testing.T) {
	id := strings.Repeat("ab", 32)
	p, err := NewFile("big.bin", id, 12)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("big.bin.pin", Format(p), 0)
	if err != nil || back.Path != p.Path || back.ID != p.ID || back.Size != p.Size || back.Kind != File {
		t.Fatalf("got %+v, %v", back, err)
	}
}

// Every hostile pin is refused with its file and line.
func TestParseRefuses(t *testing.T) {
	id := strings.Repeat("ab", 32)
	good := "pin 1\nkind file\npath big.bin\nid " + id + "\nsize 12\n"
	cases := map[string]struct{ text, where string }{
		"bad id":         {strings.Replace(good, id, "xyz", 1), "f.pin:4:"},
		"huge size":      {strings.Replace(good, "size 12", "size 99999999999999999", 1), "f.pin:5:"},
		"path outside":   {strings.Replace(good, "big.bin", "../../etc/passwd", 1), "f.pin:3:"},
		"absolute path":  {strings.Replace(good, "big.bin", "/etc/passwd", 1), "f.pin:3:"},
		"into .git":      {strings.Replace(good, "big.bin", "x/.git/hooks/pre-commit", 1), "f.pin:3:"},
		"unknown field":  {good + "color red\n", "f.pin:6:"},
		"twice":          {good + "size 13\n", "f.pin:6:"},
		"newer":          {"pin 2\n", "f.pin:1:"},
		"not a pin":      {"hello\n", "f.pin:1:"},
		"empty":          {"", "f.pin:1:"},
		"credential":     {"pin 1\nkind listing\nurl s3://AKIA:secret@b/p/\n", "f.pin:3:"},
		"query":          {"pin 1\nkind listing\nurl s3://b/p/?X-Amz-Signature=1\n", "f.pin:3:"},
		"missing digest": {"pin 1\nkind listing\nurl s3://b/p/\nobjects 0\nbytes 0\n", "f.pin:5:"},
		"edited":         {"pin 1\nkind listing\nurl s3://b/p/\nobjects 1\nbytes 1\ndigest " + id + "\nobject 1 - - a\n", "f.pin:6:"},
		"wrong count":    {"pin 1\nkind listing\nurl s3://b/p/\nobjects 2\nbytes 1\ndigest " + id + "\nobject 1 - - a\n", "f.pin:4:"},
		"control":        {"pin 1\nkind file\npath a\x1bb\n", "f.pin:3:"},
		"field of other": {good + "url s3://b/p/\n", "f.pin:6:"},
		"object in file": {good + "object 1 - - a\n", "f.pin:6:"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("f.pin", []byte(c.text), 0)
			if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), c.where) {
				t.Fatalf("got %v, want an error at %s", err, c.where)
			}
			if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "X-Amz") {
				t.Fatalf("the error repeats a credential: %v", err)
			}
		})
	}
}

func TestParseBoundsObjects(t *testing.T) {
	var objs []Object
	for _, k := range []string{"a", "b", "c"} {
		objs = append(objs, Object{Key: k, Size: 1})
	}
	p, _ := NewSource("s3://b/p/", objs)
	if _, err := Parse("f.pin", Format(p), 2); err == nil || !strings.Contains(err.Error(), "more than 2") {
		t.Fatalf("got %v", err)
	}
}

func TestCompare(t *testing.T) {
	a, _ := NewSource("s3://b/p/", []Object{{Key: "x", Size: 1}, {Key: "y", Size: 2}})
	b, _ := NewSource("s3://b/p/", []Object{{Key: "x", Size: 1, ETag: "e"}, {Key: "z", Size: 2}})
	d := Compare(a, b)
	if strings.Join(d.Changed, ",") != "x" || strings.Join(d.Removed, ",") != "y" || strings.Join(d.Added, ",") != "z" {
		t.Fatalf("got %+v", d)
	}
}

// FuzzParse: any input is refused with ErrInvalid or read into a pin that
// formats back to a text that reads the same.
func FuzzParse(f *testing.F) {
	id := strings.Repeat("ab", 32)
	f.Add([]byte("pin 1\nkind file\npath big.bin\nid " + id + "\nsize 12\n"))
	p, _ := NewSource("s3://b/p/", []Object{{Key: "a b", Size: 1, ETag: `"e"`, Version: "v"}})
	f.Add(Format(p))
	d, _ := NewSource("s3://b/t/", []Object{{Key: "_delta_log/00000000000000000003.json", Size: 1}})
	f.Add(Format(d))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("f.pin", data, 100)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("a refusal without ErrInvalid: %v", err)
			}
			return
		}
		again, err := Parse("f.pin", Format(p), 100)
		if err != nil {
			t.Fatalf("the pin's own text is refused: %v\n%s", err, Format(p))
		}
		if string(Format(again)) != string(Format(p)) {
			t.Fatalf("not stable:\n%s\n%s", Format(p), Format(again))
		}
	})
}
