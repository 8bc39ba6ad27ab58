package workspace

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/store"
)

// A folder output whose manifest is in the store but not one of its files
// is not held: a record of it cannot be served, in any link mode. Status
// alone takes the manifest's word for its files.
func TestFolderWithAFileLostIsNotHeld(t *testing.T) {
	ctx := context.Background()
	top := t.TempDir()
	git := filepath.Join(top, "repo", ".git")
	st, err := store.Open(filepath.Join(git, "dds"))
	if err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(top, "folder")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"a": "one\n", "b": "two\n"} {
		if err := os.WriteFile(filepath.Join(folder, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	id, size, dir, err := st.Ingest(ctx, folder, store.Copy)
	if err != nil || !dir {
		t.Fatalf("ingesting a folder: %v, dir %v", err, dir)
	}
	rec := &signature.Record{Stage: "s", Time: time.Now(), Outputs: []signature.Output{{Path: "out", ContentID: id, Size: size, Dir: true}}}
	w := &Workspace{Repo: &gitref.Repo{Root: filepath.Dir(git), GitDir: git, CommonDir: git}, Store: st, Link: store.Copy, Stderr: io.Discard}
	if !w.hasObjects(ctx, rec) {
		t.Fatal("a whole folder is not held")
	}
	m, err := st.ReadManifest(id)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(st.Path(m.Entries[0].ID)); err != nil {
		t.Fatal(err)
	}
	if w.hasObjects(ctx, rec) {
		t.Error("a folder with a file lost is held")
	}
	if present, _ := w.checkObjects(ctx, rec, false); !present {
		t.Error("status's cheap path reads the folder's files")
	}
}
