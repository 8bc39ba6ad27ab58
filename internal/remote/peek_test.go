package remote

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/git-dds/git-dds/internal/index"
)

func TestPeekBringsOnlyTheNamedSmallFiles(t *testing.T) {
	ctx := context.Background()
	r, _, _, b, rec := pushedOne(t)
	outs := []string{"out.txt", "parts"}

	got, peeked, err := r.Peek(ctx, b.local, sig(1), outs, []string{"out.txt", "parts"}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Signature != sig(1) || len(peeked) != 1 || peeked[0].Path != "out.txt" {
		t.Fatalf("peek: %+v, %+v; want the record and out.txt alone (parts is a folder)", got, peeked)
	}
	if !b.local.Store.Has(rec.Outputs[0].ContentID) || b.local.Store.Has(rec.Outputs[1].ContentID) {
		t.Error("the store should hold out.txt's object and not the folder's manifest")
	}
	err = b.local.WithIndex(ctx, func(ix *index.Index) error {
		if _, ok, err := ix.Get(sig(1)); err != nil || ok {
			t.Errorf("the computation is recorded (%v, %v): its folder is not here", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	if _, peeked, err := r.Peek(ctx, newClone(t).local, sig(1), outs, []string{"out.txt"}, 2); err != nil || len(peeked) != 0 {
		t.Errorf("peek under a size bound smaller than the file: %+v, %v; want nothing brought", peeked, err)
	}
	if got, _, err := r.Peek(ctx, b.local, sig(2), outs, []string{"out.txt"}, 1<<20); err != nil || got != nil {
		t.Errorf("peek of a signature the remote lacks: %+v, %v; want no record and no error", got, err)
	}
	if _, _, err := r.Peek(ctx, b.local, sig(1), []string{"out.txt"}, []string{"out.txt"}, 1<<20); !errors.Is(err, ErrCorrupt) {
		t.Errorf("peek of a record naming an output the stage does not declare: %v, want ErrCorrupt", err)
	}
}

func TestPeekRefusesATamperedObject(t *testing.T) {
	ctx := context.Background()
	r, root, _, b, rec := pushedOne(t)
	obj := filepath.Join(root, filepath.FromSlash(objectKey(rec.Outputs[0].ContentID)))
	if err := os.Chmod(obj, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(obj, []byte("hellO"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := r.Peek(ctx, b.local, sig(1), []string{"out.txt", "parts"}, []string{"out.txt"}, 1<<20)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("peek of a tampered object: %v, want ErrCorrupt", err)
	}
	if b.local.Store.Has(rec.Outputs[0].ContentID) {
		t.Error("the tampered object reached the store")
	}
}
