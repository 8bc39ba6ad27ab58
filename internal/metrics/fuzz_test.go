package metrics

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzParse checks that Parse never panics on a metrics file of any
// format, that every error is an *Error naming the file, and that what it
// accepts stays within the bounds and marshals as JSON (as --json prints it).
func FuzzParse(f *testing.F) {
	for _, seed := range []struct{ ext, data string }{
		{".json", `{"auc": 0.91, "loss": {"train": 0.2}, "s": [1, true, null, "x"]}`},
		{".json", `{"a": 1e999, "b": -0}`},
		{".yaml", "auc: 0.91\nloss: {train: .2}\nn: .nan\ni: 1_000\nx: &x [1]\ny: *x\n"},
		{".yml", "<<: {a: 1}\n"},
		{".csv", "auc,loss\n0.9,0.1\n0.91,0.2\n"},
		{".tsv", "a\tb\n1\t\"2\"\n"},
	} {
		f.Add(seed.ext, []byte(seed.data))
	}
	f.Fuzz(func(t *testing.T, ext string, data []byte) {
		file := "out/m" + ext
		m, err := Parse(file, data)
		if err != nil {
			var merr *Error
			if !errors.As(err, &merr) || merr.File != file || merr.Line < 0 {
				t.Fatalf("error %v (%T) is not an *Error naming %s", err, err, file)
			}
			return
		}
		if len(m) > MaxValues {
			t.Fatalf("%d values, over %d", len(m), MaxValues)
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("the metrics do not marshal: %v", err)
		}
	})
}
