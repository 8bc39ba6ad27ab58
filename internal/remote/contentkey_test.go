package remote

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-dds/git-dds/internal/store"
)

// FuzzParseContentKeyEntry: whatever bytes a remote holds as a content key
// entry, parsing them never panics, and what is accepted is a signature
// that the entry held, with a newline at most after it.
func FuzzParseContentKeyEntry(f *testing.F) {
	f.Add([]byte(sig(1) + "\n"))
	f.Add([]byte(sig(1)))
	f.Add([]byte(strings.ToUpper(sig(1))))
	f.Add([]byte("../records/" + sig(1)))
	f.Add([]byte(sig(1) + "\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parseContentKeyEntry(data)
		if err != nil {
			return
		}
		if !store.ValidID(got) || (string(data) != got && string(data) != got+"\n") {
			t.Fatalf("accepted %q from %q", got, data)
		}
	})
}

// TestHoldsOutputs: a hint asks the remote for the objects of a record's
// outputs, the folder's manifest included, and one gone says no.
func TestHoldsOutputs(t *testing.T) {
	ctx := context.Background()
	for i := range 2 {
		r, root, _, b, rec := pushedOne(t)
		if ok, err := r.HoldsOutputs(ctx, b.local, rec); err != nil || !ok {
			t.Fatalf("HoldsOutputs = %v, %v; want true", ok, err)
		}
		o := rec.Outputs[i]
		id := o.ContentID
		if err := os.Remove(filepath.Join(root, "objects", id[:2], id[2:4], id)); err != nil {
			t.Fatal(err)
		}
		if ok, err := r.HoldsOutputs(ctx, b.local, rec); err != nil || ok {
			t.Fatalf("with the object of %s gone, HoldsOutputs = %v, %v; want false", o.Path, ok, err)
		}
	}
}
