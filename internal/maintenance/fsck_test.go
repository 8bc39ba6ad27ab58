package maintenance

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/git-dds/git-dds/internal/store"
	"github.com/git-dds/git-dds/internal/workspace"
)

func TestFsckFindsAndRepairs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		damage func(r *testRepo)
		// problems are the kinds found, each with the stage it affects
		// ("" for none), in report order.
		problems []string
		// recomputed are the stages the run after the repair executes.
		recomputed []string
	}{
		{
			name:   "a whole store",
			damage: func(*testRepo) {},
		},
		{
			// split copies gen's output into its folder: one object, two
			// records.
			name:       "a corrupt object shared by a file and a folder output",
			damage:     func(r *testRepo) { r.damage(r.output("gen").ContentID) },
			problems:   []string{CorruptObject + " gen", CorruptObject + " split"},
			recomputed: []string{"gen", "split"},
		},
		{
			name: "a file of a folder output gone",
			damage: func(r *testRepo) {
				b := r.ws.Store.Path(r.fileEntryNamed(r.output("split").ContentID, "b").ID)
				if err := os.Remove(b); err != nil {
					r.t.Fatal(err)
				}
			},
			problems:   []string{MissingObject + " split"},
			recomputed: []string{"split"},
		},
		{
			name: "a folder output's manifest gone",
			damage: func(r *testRepo) {
				if err := os.Remove(r.ws.Store.Path(r.output("split").ContentID)); err != nil {
					r.t.Fatal(err)
				}
			},
			problems:   []string{MissingObject + " split"},
			recomputed: []string{"split"},
		},
		{
			name: "a corrupt object no record needs",
			damage: func(r *testRepo) {
				stray := filepath.Join(r.t.TempDir(), "stray")
				if err := os.WriteFile(stray, []byte("stray\n"), 0o644); err != nil {
					r.t.Fatal(err)
				}
				id, _, err := r.ws.Store.IngestFile(context.Background(), stray, store.Copy)
				if err != nil {
					r.t.Fatal(err)
				}
				r.damage(id)
			},
			problems: []string{CorruptObject + " "},
		},
		{
			name: "a truncated index",
			damage: func(r *testRepo) {
				tables, _ := filepath.Glob(filepath.Join(r.ws.Dir, "index", "*.sst"))
				if len(tables) == 0 {
					r.t.Fatal("the index has no table to damage")
				}
				for _, table := range tables {
					if err := os.Truncate(table, 100); err != nil {
						r.t.Fatal(err)
					}
				}
			},
			problems:   []string{DamagedIndex + " "},
			recomputed: []string{"gen", "join", "split"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newTestRepo(t, "1")
			r.run()
			tt.damage(r)
			ctx := context.Background()

			rep, err := Fsck(ctx, r.ws, FsckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := problemList(rep.Problems); !slices.Equal(got, tt.problems) {
				t.Fatalf("fsck found %q, want %q", got, tt.problems)
			}
			if rep.Repaired != nil {
				t.Fatal("fsck without --repair repaired")
			}

			rep, err = Fsck(ctx, r.ws, FsckOptions{Repair: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := problemList(rep.Problems); !slices.Equal(got, tt.problems) {
				t.Fatalf("fsck --repair found %q, want %q", got, tt.problems)
			}
			var dropped []string
			for _, d := range rep.Repaired.Dropped {
				dropped = append(dropped, d.Stage)
			}
			if rep.Repaired.IndexMovedTo == "" && !slices.Equal(dropped, tt.recomputed) {
				t.Errorf("fsck --repair dropped the records of %q, want %q", dropped, tt.recomputed)
			}
			for _, id := range rep.Repaired.Quarantined {
				if r.ws.Store.Has(id) {
					t.Errorf("quarantined object %s is still in the store", id)
				}
				if _, err := os.Stat(filepath.Join(rep.Repaired.QuarantineDir, id)); err != nil {
					t.Errorf("quarantined object %s is not in the quarantine: %v", id, err)
				}
			}

			rep, err = Fsck(ctx, r.ws, FsckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Problems) > 0 {
				t.Fatalf("fsck after the repair found %q", problemList(rep.Problems))
			}
			var executed []string
			for _, s := range r.run().Stages {
				if s.Action == workspace.Executed {
					executed = append(executed, s.Name)
				}
			}
			slices.Sort(executed)
			if !slices.Equal(executed, tt.recomputed) {
				t.Errorf("the run after the repair executed %q, want %q", executed, tt.recomputed)
			}
			for stage, state := range r.states() {
				if state != workspace.Fresh {
					t.Errorf("after the repair and a run, stage %s is %s", stage, state)
				}
			}
		})
	}
}

func problemList(problems []Problem) []string {
	var out []string
	for _, p := range problems {
		out = append(out, p.Kind+" "+p.Stage)
	}
	return out
}

// fileEntryNamed gives the file at path in a folder output's manifest.
func (r *testRepo) fileEntryNamed(manifestID, path string) store.Entry {
	r.t.Helper()
	for _, e := range r.manifest(manifestID).Entries {
		if e.Path == path {
			return e
		}
	}
	r.t.Fatalf("manifest %s has no %s", manifestID, path)
	return store.Entry{}
}

func TestFsckRepairRemovesStaleTemporaryFiles(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t, "1")
	r.run()
	old := time.Now().Add(-2 * staleTempAge)
	leftovers := map[string]time.Time{
		filepath.Join(r.ws.Dir, "tmp", "object-left-by-a-kill"):         old,
		filepath.Join(r.root, "out", ".gen.txt.dds-tmp-left-by-a-kill"): old,
		filepath.Join(r.root, "out", ".parts.dds-tmp-being-written"):    time.Now(),
	}
	for path, mtime := range leftovers {
		if err := os.WriteFile(path, []byte("partial"), 0o444); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Fsck(context.Background(), r.ws, FsckOptions{Repair: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Repaired.TempRemoved != 2 {
		t.Errorf("fsck --repair removed %d temporary files, want the 2 old ones", rep.Repaired.TempRemoved)
	}
	for path, mtime := range leftovers {
		_, err := os.Stat(path)
		if gone := err != nil; gone != mtime.Equal(old) {
			t.Errorf("%s: removed %v, want it removed only when old", path, gone)
		}
	}
}
