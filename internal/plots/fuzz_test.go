package plots

import (
	"errors"
	"strings"
	"testing"

	"github.com/git-dds/git-dds/internal/metrics"
)

// FuzzParse checks that Parse never panics on a plots file of any format,
// that every error is a *metrics.Error naming the file, that what it
// accepts is a rectangular table within the bounds, and that selecting
// its default columns never panics either.
func FuzzParse(f *testing.F) {
	for _, seed := range []struct{ ext, data string }{
		{".csv", "step,loss,acc\n0,1.5,0.1\n1,0.9,\n2,x,0.5\n"},
		{".tsv", "a\tb\n1\t\"2\"\n"},
		{".json", `[{"step": 1, "loss": 0.5}, {"step": 2, "acc": true, "l": null, "s": "x"}]`},
		{".json", `{"train": [{"x": 1e999, "y": -0}]}`},
		{".yaml", "- {step: 1, loss: .5}\n- &r {step: 2, loss: 1_000}\n- *r\n"},
		{".yml", "[]\n"},
	} {
		f.Add(seed.ext, []byte(seed.data))
	}
	f.Fuzz(func(t *testing.T, ext string, data []byte) {
		file := "out/p" + ext
		tab, err := Parse(file, data)
		if err != nil {
			var perr *metrics.Error
			if !errors.As(err, &perr) || perr.File != file || perr.Line < 0 {
				t.Fatalf("error %v (%T) is not a *metrics.Error naming %s", err, err, file)
			}
			return
		}
		if tab.Rows > MaxRows || len(tab.Columns) > MaxColumns || tab.Rows*len(tab.Columns) > MaxCells {
			t.Fatalf("%d rows of %d columns, over the bounds", tab.Rows, len(tab.Columns))
		}
		if len(tab.Values) != len(tab.Columns) {
			t.Fatalf("%d columns of values for %d names", len(tab.Values), len(tab.Columns))
		}
		for i, col := range tab.Values {
			if len(col) != tab.Rows {
				t.Fatalf("column %q has %d values for %d rows", tab.Columns[i], len(col), tab.Rows)
			}
		}
		s, err := tab.Select(file, "", nil)
		if err == nil && (len(s.Xs) != tab.Rows || len(s.Lines) == 0) {
			t.Fatalf("the default series has %d x values and %d lines", len(s.Xs), len(s.Lines))
		}
		if err != nil && !strings.HasPrefix(err.Error(), file+": ") {
			t.Fatalf("selection error %v does not name %s", err, file)
		}
	})
}
