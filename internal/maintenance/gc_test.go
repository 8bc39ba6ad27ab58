package maintenance

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/workspace"
)

// signatures gives the signature of every stage of rev.
func (r *testRepo) signatures(rev string) []string {
	r.t.Helper()
	var sigs []string
	for _, sv := range r.view(rev).Stages {
		sigs = append(sigs, sv.Signature)
	}
	slices.Sort(sigs)
	return sigs
}

// setK edits params.yaml in the working tree.
func (r *testRepo) setK(k string) { r.write("params.yaml", "k: "+k+"\n") }

// inTheFuture makes every object look older than the collection, so that
// recency keeps nothing.
var inTheFuture = time.Now().Add(time.Hour)

func TestGCKeeps(t *testing.T) {
	t.Parallel()
	// Each setup starts on main at k=1, computed, with a branch "other" at
	// k=2, computed, and returns the signatures gc must drop.
	tests := []struct {
		name  string
		setup func(r *testRepo) (drop []string)
		opts  GCOptions
		// skipped names the refs whose dds.yaml is invalid.
		skipped []string
	}{
		{
			name:  "every branch by default",
			setup: func(r *testRepo) []string { return nil },
		},
		{
			name:  "HEAD only with --keep current",
			setup: func(r *testRepo) []string { return r.signatures("other") },
			opts:  GCOptions{Keep: KeepCurrent},
		},
		{
			name: "nothing of a deleted branch",
			setup: func(r *testRepo) []string {
				drop := r.signatures("other")
				r.git("branch", "-q", "-D", "other")
				return drop
			},
		},
		{
			name: "the commit of an annotated tag",
			setup: func(r *testRepo) []string {
				r.git("tag", "-a", "-m", "release", "v2", "other")
				r.git("branch", "-q", "-D", "other")
				return nil
			},
		},
		{
			name: "the last commits of a branch with --keep-commits",
			setup: func(r *testRepo) []string {
				r.setK("3")
				r.commitAll("k=3")
				r.run()
				r.setK("4")
				r.commitAll("k=4")
				r.run()
				return append(r.signatures("main~2"), r.signatures("other")...)
			},
			opts: GCOptions{Keep: KeepCurrent, KeepCommits: 2},
		},
		{
			name: "a stash entry",
			setup: func(r *testRepo) []string {
				r.setK("5")
				r.run()
				r.git("stash", "-q")
				r.run() // puts main's outputs back: no note keeps k=5 now
				drop := r.signatures("other")
				r.git("branch", "-q", "-D", "other")
				return drop
			},
		},
		{
			name: "what a working tree holds, though no commit has it",
			setup: func(r *testRepo) []string {
				r.setK("9")
				r.run()
				r.setK("1") // the outputs of k=9 stay in place, not rerun
				return r.signatures("other")
			},
			opts: GCOptions{Keep: KeepCurrent},
		},
		{
			name: "nothing for a commit whose dds.yaml is invalid, with a warning",
			setup: func(r *testRepo) []string {
				r.git("switch", "-q", "other")
				r.write("dds.yaml", "stages:\n  gen:\n    cmd: true\n    outz: [x]\n")
				r.commitAll("broken")
				r.git("switch", "-q", "main")
				return r.signatures("other~1")
			},
			skipped: []string{"refs/heads/other"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newTestRepo(t, "1")
			r.run()
			r.git("switch", "-q", "-c", "other")
			r.setK("2")
			r.commitAll("k=2")
			r.run()
			r.git("switch", "-q", "main")
			r.run()
			drop := tt.setup(r)
			slices.Sort(drop)
			ctx := context.Background()
			before := r.records()
			objectsBefore := r.objects()

			dry := tt.opts
			dry.DryRun = true
			preview, err := gc(ctx, r.ws, dry, inTheFuture)
			if err != nil {
				t.Fatal(err)
			}
			if countRecords(r.records()) != countRecords(before) || len(r.objects()) != len(objectsBefore) {
				t.Fatal("gc --dry-run deleted something")
			}

			rep, err := gc(ctx, r.ws, tt.opts, inTheFuture)
			if err != nil {
				t.Fatal(err)
			}
			var dropped []string
			for _, d := range rep.DroppedRecords {
				dropped = append(dropped, d.Signature)
			}
			slices.Sort(dropped)
			if !slices.Equal(dropped, drop) {
				t.Errorf("gc dropped %d records %q, want %d %q", len(dropped), dropped, len(drop), drop)
			}
			if preview.RemovedObjects != rep.RemovedObjects || preview.FreedBytes != rep.FreedBytes ||
				len(preview.DroppedRecords) != len(rep.DroppedRecords) {
				t.Errorf("gc --dry-run said %d records and %d objects (%d bytes), gc removed %d and %d (%d bytes)",
					len(preview.DroppedRecords), preview.RemovedObjects, preview.FreedBytes,
					len(rep.DroppedRecords), rep.RemovedObjects, rep.FreedBytes)
			}
			if got := len(objectsBefore) - len(r.objects()); got != rep.RemovedObjects {
				t.Errorf("gc says it removed %d objects, the store lost %d", rep.RemovedObjects, got)
			}
			if len(drop) > 0 && rep.FreedBytes == 0 {
				t.Error("gc dropped records but freed no bytes")
			}
			var skipped []string
			for _, s := range rep.Skipped {
				skipped = append(skipped, s.Ref)
			}
			if !slices.Equal(skipped, tt.skipped) {
				t.Errorf("gc skipped %q, want %q", skipped, tt.skipped)
			}

			// Whatever is kept is whole: fsck finds nothing, and every
			// kept commit's outputs check out without a run.
			fsck, err := Fsck(ctx, r.ws, FsckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(fsck.Problems) > 0 {
				t.Fatalf("fsck after gc found %q", problemList(fsck.Problems))
			}
			if fsck.Unreferenced != 0 {
				t.Errorf("gc left %d objects no record needs", fsck.Unreferenced)
			}
			for stage, state := range r.states() {
				if state != workspace.Fresh && state != workspace.Cached {
					t.Errorf("after gc, stage %s of the working tree is %s", stage, state)
				}
			}
		})
	}
}

func countRecords(recs map[string][]*signature.Record) int {
	n := 0
	for _, rs := range recs {
		n += len(rs)
	}
	return n
}

func TestGCKeepsObjectsThatChangedAsItStarted(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t, "1")
	// The objects count as changed as gc started whatever the runs take
	// on a loaded machine: gc is handed the moment they began.
	began := time.Now().Add(-recentMargin)
	r.run()
	r.setK("2")
	r.run()
	r.setK("1")
	r.run()
	rep, err := gc(context.Background(), r.ws, GCOptions{Keep: KeepCurrent}, began)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.DroppedRecords) != 3 {
		t.Errorf("gc dropped %d records, want the 3 of k=2", len(rep.DroppedRecords))
	}
	if rep.RemovedObjects != 0 || rep.RecentObjects == 0 {
		t.Errorf("gc removed %d objects and kept %d recent ones; every object was written a moment ago",
			rep.RemovedObjects, rep.RecentObjects)
	}
}

// TestGCBesideARun has gc take the index while a run has stored an output
// whose content an older, unneeded object already held, but has not yet
// recorded it: gc removes that object, and the run must store the output
// again rather than record an object that is gone.
func TestGCBesideARun(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t, "1")
	r.run()
	// k=2 is computed, then forgotten: its objects stay with no record.
	r.setK("2")
	r.run()
	r.setK("1")
	r.run()
	if _, err := gc(context.Background(), r.ws, GCOptions{Keep: KeepCurrent}, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}

	// The next stage run writes k=2's gen output again, under another
	// signature (a new cmd), then waits for the test to hold the index.
	executed := filepath.Join(filepath.Dir(r.root), "executed")
	goOn := filepath.Join(filepath.Dir(r.root), "go-on")
	r.write("dds.yaml", strings.Replace(pipelineYAML, "sh src/gen.sh > out/gen.txt",
		"sh src/gen.sh > out/gen.txt && touch ../executed && until [ -e ../go-on ]; do sleep 0.01; done", 1))
	r.setK("2")
	r.commitAll("k=2, another cmd")
	letGo := func() {
		if err := os.WriteFile(goOn, nil, 0o644); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(letGo) // the command never outlives the test

	waiting := make(chan struct{}, 1)
	r.ws.IndexOptions.Notify = func(string) {
		select {
		case waiting <- struct{}{}:
		default:
		}
	}
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		_, err := r.ws.Run(ctx, r.view(namespace.WorktreeRev), workspace.Options{Jobs: 1, Stages: []string{"gen"}})
		done <- err
	}()
	for {
		if _, err := os.Stat(executed); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the run ended before its command: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	// Hold the index, then let the command finish: the run stores gen's
	// output, then waits for the index, and gc goes first.
	ix, err := index.Open(ctx, r.ws.Dir, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	letGo()
	select {
	case <-waiting:
	case err := <-done:
		ix.Close()
		t.Fatalf("the run did not wait for the index: %v", err)
	}
	rep := &GCReport{}
	keep, err := keptSignatures(ctx, r.ws, GCOptions{Keep: KeepCurrent}, rep)
	if err == nil {
		err = collect(ctx, r.ws, ix, keep, nil, inTheFuture, rep)
	}
	if err := errors.Join(err, ix.Close()); err != nil {
		t.Fatal(err)
	}
	if rep.RemovedObjects == 0 {
		t.Fatal("gc removed nothing: the test no longer races the run")
	}
	if err := <-done; err != nil {
		t.Fatalf("the run beside gc: %v", err)
	}
	fsck, err := Fsck(ctx, r.ws, FsckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fsck.Problems) > 0 {
		t.Fatalf("the run recorded objects gc had removed: %q", problemList(fsck.Problems))
	}
}

func TestGCRemovesIdleLockFiles(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t, "1")
	r.run()
	locks, err := filepath.Glob(filepath.Join(r.ws.Dir, "locks", "*.lock"))
	if err != nil || len(locks) < 2 {
		t.Fatalf("the run left %d lock files (%v); the test needs one held and one idle at least", len(locks), err)
	}
	// One is idle for long; one is held by a run executing it right now.
	old := time.Now().Add(-2 * staleTempAge)
	for _, l := range locks {
		if err := os.Chtimes(l, old, old); err != nil {
			t.Fatal(err)
		}
	}
	held := flock.New(locks[0])
	if ok, err := held.TryLock(); err != nil || !ok {
		t.Fatalf("locking %s: %v", locks[0], err)
	}
	defer held.Close()
	rep, err := GC(context.Background(), r.ws, GCOptions{Keep: KeepCurrent})
	if err != nil {
		t.Fatal(err)
	}
	if rep.TempRemoved != len(locks)-1 {
		t.Errorf("gc removed %d leftovers, want the %d idle lock files", rep.TempRemoved, len(locks)-1)
	}
	if _, err := os.Stat(locks[0]); err != nil {
		t.Errorf("gc removed the lock file a run holds: %v", err)
	}
}
