package maintenance

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/store"
	"github.com/git-dds/git-dds/internal/workspace"
)

// Problem kinds, as fsck --json names them.
const (
	CorruptObject = "corrupt-object" // its bytes no longer hash to its id, or cannot be read
	MissingObject = "missing-object" // a record needs it and the store does not hold it
	BadManifest   = "bad-manifest"   // a folder output's manifest does not decode
	BadRecord     = "bad-record"     // a record fails the checks of signature.CheckRecord: not written by git dds
	DamagedIndex  = "damaged-index"  // the index cannot be read
)

// Problem is one thing fsck found wrong, with the computation it affects
// when there is one.
type Problem struct {
	Kind      string `json:"kind"`
	Stage     string `json:"stage,omitempty"`
	Signature string `json:"signature,omitempty"`
	Output    string `json:"output,omitempty"` // the output path, with the file inside a folder output
	Object    string `json:"object,omitempty"`
	Message   string `json:"message"`
}

// FsckOptions select what fsck does besides checking.
type FsckOptions struct {
	// Repair moves corrupt objects to the quarantine, drops the records
	// that need a corrupt or missing object, removes stale temporary files,
	// and moves a damaged index aside for an empty one.
	Repair bool
	// External also lists every external output recorded, in the lake,
	// and compares its digest with the record's.
	External bool
}

// FsckReport is what fsck checked and found, and what it repaired.
type FsckReport struct {
	Objects int   `json:"objects"` // objects rehashed
	Bytes   int64 `json:"bytes"`
	Records int   `json:"records"`
	// External counts the external outputs listed, with --external.
	External int `json:"external,omitempty"`
	// Unreferenced counts objects no record needs: git dds gc removes
	// them unless a working tree holds them.
	Unreferenced int       `json:"unreferenced"`
	Problems     []Problem `json:"problems"`
	Repaired     *Repair   `json:"repaired,omitempty"`
}

// Repair is what fsck --repair did.
type Repair struct {
	// Quarantined lists the corrupt objects moved to QuarantineDir.
	Quarantined   []string `json:"quarantined"`
	QuarantineDir string   `json:"quarantine_dir"`
	// Dropped lists the records removed because an object they need is
	// corrupt or missing: the next git dds run recomputes exactly those.
	Dropped []RecordRef `json:"dropped"`
	// TempRemoved counts temporary files left by interrupted ingests in
	// the store, and by interrupted restores beside the outputs.
	TempRemoved int `json:"temp_removed"`
	// IndexMovedTo is where a damaged index went; an empty one replaced it.
	IndexMovedTo string `json:"index_moved_to,omitempty"`
}

// staleTempAge is how old a temporary file of the store must be before a
// repair or a gc removes it: younger ones may belong to an ingest running
// in another process. Removing one anyway would fail that ingest, never
// damage the store.
const staleTempAge = time.Hour

// Fsck rehashes every object of the store, checks that every record's
// objects are there and whole (for a folder output, its manifest and every
// file it lists), and with opts.Repair puts right what it found. Problems
// are reported, not returned as errors; the error is for what kept fsck
// from checking.
func Fsck(ctx context.Context, ws *workspace.Workspace, opts FsckOptions) (*FsckReport, error) {
	rep := &FsckReport{Problems: []Problem{}}
	// Rehashing reads every byte: it runs outside the index, so that other
	// git dds go on meanwhile. Objects are never rewritten in place, so
	// what is corrupt now stays corrupt.
	objects, err := verifyObjects(ctx, ws.Store, rep)
	if err != nil {
		return nil, err
	}
	if opts.Repair {
		rep.Repaired = &Repair{Quarantined: []string{}, Dropped: []RecordRef{}, QuarantineDir: quarantineDir(ws)}
	}

	// A check only reads: it works on a read-only store, and on a full
	// disk. A repair writes.
	withIndex := ws.WithIndexRead
	if opts.Repair {
		withIndex = ws.WithIndex
	}
	err = withIndex(ctx, func(ix *index.Index) error {
		check := newRecordCheck(ws.Store, objects)
		if err := ix.ForEach(check.record); err != nil {
			return err
		}
		rep.Records = check.records
		rep.Problems = append(rep.Problems, check.problems...)
		rep.Problems = append(rep.Problems, objects.unreferencedProblems(check.referenced)...)
		rep.Unreferenced = objects.unreferenced(check.referenced)
		if !opts.Repair {
			return nil
		}
		if err := quarantineAll(ws, objects, rep.Repaired); err != nil {
			return err
		}
		return dropRecords(ix, check.broken, rep.Repaired)
	})
	if errors.Is(err, index.ErrCorruptIndex) {
		err = damagedIndex(ctx, ws, err, objects, rep, opts)
	}
	if err != nil {
		return nil, err
	}
	if opts.Repair {
		if rep.Repaired.TempRemoved, err = removeStaleTemps(ctx, ws); err != nil {
			return nil, err
		}
	}
	if opts.External {
		if err := fsckExternal(ctx, ws, rep, opts.Repair); err != nil {
			return nil, fmt.Errorf("checking the lake: %w", err)
		}
	}
	sortProblems(rep.Problems)
	return rep, nil
}

// removeStaleTemps removes the temporary files interrupted runs left in
// the store and beside the outputs of the working tree, and the lock files
// of signatures nobody executed for as long.
func removeStaleTemps(ctx context.Context, ws *workspace.Workspace) (int, error) {
	inStore, err := ws.Store.RemoveStaleTemp(staleTempAge)
	if err != nil {
		return inStore, err
	}
	dead, err := ws.Store.RemoveDeadTemps()
	inStore += dead
	if err != nil {
		return inStore, err
	}
	inWorktree, err := removeStaleWorktreeTemps(ctx, ws, staleTempAge)
	if err != nil {
		return inStore + inWorktree, err
	}
	locks, err := ws.RemoveIdleLocks(staleTempAge)
	return inStore + inWorktree + locks, err
}

// damagedIndex reports an index that cannot be read and, when repairing,
// moves it aside for an empty one: its records are lost, the objects stay,
// and the next run recomputes what it can no longer prove.
func damagedIndex(ctx context.Context, ws *workspace.Workspace, cause error, objects *verified, rep *FsckReport, opts FsckOptions) error {
	// Whatever was read of the records before the damage showed counts
	// no more: the index goes as a whole.
	rep.Records = 0
	// Badger's own words can span lines; a problem is reported on one.
	rep.Problems = []Problem{{Kind: DamagedIndex, Message: strings.Join(strings.Fields(cause.Error()), " ")}}
	rep.Problems = append(rep.Problems, objects.unreferencedProblems(nil)...)
	rep.Unreferenced = objects.unreferenced(nil)
	if !opts.Repair {
		return nil
	}
	moved, err := index.MoveAside(ctx, ws.Dir, ws.IndexOptions)
	if err != nil {
		return err
	}
	rep.Repaired.IndexMovedTo = moved
	rep.Repaired.Dropped = []RecordRef{}
	rep.Repaired.Quarantined = []string{}
	if err := quarantineAll(ws, objects, rep.Repaired); err != nil {
		return err
	}
	// Opening creates the empty index, and proves it works.
	return ws.WithIndex(ctx, func(*index.Index) error { return nil })
}

func quarantineDir(ws *workspace.Workspace) string {
	return ws.Store.QuarantineDir()
}

func quarantineAll(ws *workspace.Workspace, objects *verified, repaired *Repair) error {
	for _, id := range objects.corruptIDs() {
		if err := ws.Store.Quarantine(id); err != nil {
			return err
		}
		repaired.Quarantined = append(repaired.Quarantined, id)
	}
	return nil
}

// dropRecords deletes the records of broken, a few hundred per batch.
func dropRecords(ix *index.Index, broken map[string]RecordRef, repaired *Repair) error {
	refs := make([]RecordRef, 0, len(broken))
	for _, r := range broken {
		refs = append(refs, r)
	}
	sortRefs(refs)
	if err := deleteRecords(ix, refs); err != nil {
		return err
	}
	repaired.Dropped = append(repaired.Dropped, refs...)
	return nil
}

// deleteRecords removes refs from the index in batches small enough for
// one transaction.
func deleteRecords(ix *index.Index, refs []RecordRef) error {
	const perBatch = 500
	for chunk := range slices.Chunk(refs, perBatch) {
		err := ix.Batch(func(b *index.Batch) error {
			for _, r := range chunk {
				if err := b.Delete(r.Signature); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// verified is what rehashing the store found.
type verified struct {
	present map[string]bool   // every object walked
	corrupt map[string]string // id → why
}

// verifyObjects rehashes every object, a few at once.
func verifyObjects(ctx context.Context, st *store.Store, rep *FsckReport) (*verified, error) {
	type object struct {
		id   string
		size int64
	}
	v := &verified{present: map[string]bool{}, corrupt: map[string]string{}}
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	work := make(chan object)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for o := range work {
				err := st.Verify(ctx, o.id)
				mu.Lock()
				switch {
				case errors.Is(err, store.ErrNotFound):
					// Collected by a gc since the listing.
				case errors.Is(err, store.ErrCorrupt), errors.Is(err, syscall.EIO):
					v.corrupt[o.id] = err.Error()
					fallthrough
				case err == nil:
					v.present[o.id] = true
					rep.Objects++
					rep.Bytes += o.size
				default:
					if firstErr == nil {
						firstErr = err
					}
				}
				mu.Unlock()
			}
		})
	}
	walkErr := st.Walk(func(id string, size int64) error {
		select {
		case work <- object{id, size}:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(work)
	wg.Wait()
	if walkErr != nil {
		return nil, fmt.Errorf("checking the store: %w", walkErr)
	}
	if firstErr != nil {
		return nil, fmt.Errorf("checking the store: %w", firstErr)
	}
	return v, nil
}

func (v *verified) corruptIDs() []string {
	ids := make([]string, 0, len(v.corrupt))
	for id := range v.corrupt {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// unreferencedProblems reports the corrupt objects no record needs: they
// harm nothing yet, but a run that produced the same bytes again would
// keep the corrupt copy.
func (v *verified) unreferencedProblems(referenced map[string]bool) []Problem {
	var problems []Problem
	for _, id := range v.corruptIDs() {
		if !referenced[id] {
			problems = append(problems, Problem{Kind: CorruptObject, Object: id,
				Message: v.corrupt[id] + "; no record needs it"})
		}
	}
	return problems
}

func (v *verified) unreferenced(referenced map[string]bool) int {
	n := 0
	for id := range v.present {
		if !referenced[id] && v.corrupt[id] == "" {
			n++
		}
	}
	return n
}

// recordCheck checks records one by one against the verified store.
type recordCheck struct {
	store      *store.Store
	objects    *verified
	records    int
	problems   []Problem
	referenced map[string]bool
	// broken are the records that need a corrupt or missing object.
	broken map[string]RecordRef
}

func newRecordCheck(st *store.Store, objects *verified) *recordCheck {
	return &recordCheck{store: st, objects: objects, referenced: map[string]bool{}, broken: map[string]RecordRef{}}
}

func (c *recordCheck) record(rec *signature.Record) error {
	c.records++
	// A record that names a path outside the repository, or an ill-formed
	// object, came from outside git dds (an index edited, a shared store's
	// index copied in): nothing it says is followed.
	if err := signature.CheckRecord(rec); err != nil {
		c.report(rec, Problem{Kind: BadRecord, Message: err.Error()})
		return nil
	}
	for _, out := range rec.Outputs {
		if !c.object(rec, out.Path, out.ContentID) || !out.Dir {
			continue
		}
		m, err := c.store.ReadManifest(out.ContentID)
		if err != nil {
			c.report(rec, Problem{Kind: BadManifest, Output: out.Path, Object: out.ContentID,
				Message: fmt.Sprintf("%s: %v", out.Path, err)})
			continue
		}
		for _, e := range m.Entries {
			if !e.IsDir() {
				c.object(rec, out.Path+"/"+e.Path, e.ID)
			}
		}
	}
	return nil
}

// object checks one object rec needs at path, and tells whether it is
// whole.
func (c *recordCheck) object(rec *signature.Record, path, id string) bool {
	c.referenced[id] = true
	if why, bad := c.objects.corrupt[id]; bad {
		c.report(rec, Problem{Kind: CorruptObject, Output: path, Object: id, Message: path + ": " + why})
		return false
	}
	// Has, not the walk: an object stored since the walk is there too.
	if !c.store.Has(id) {
		c.report(rec, Problem{Kind: MissingObject, Output: path, Object: id,
			Message: fmt.Sprintf("%s: object %s is not in the store", path, id)})
		return false
	}
	return true
}

func (c *recordCheck) report(rec *signature.Record, p Problem) {
	p.Stage, p.Signature = rec.Stage, rec.Signature
	c.problems = append(c.problems, p)
	c.broken[rec.Signature] = refOf(rec)
}

// sortProblems puts a damaged index first, then problems by stage, output
// and object.
func sortProblems(problems []Problem) {
	slices.SortStableFunc(problems, func(a, b Problem) int {
		if (a.Kind == DamagedIndex) != (b.Kind == DamagedIndex) {
			if a.Kind == DamagedIndex {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Stage+"\x00"+a.Signature+"\x00"+a.Output+"\x00"+a.Object,
			b.Stage+"\x00"+b.Signature+"\x00"+b.Output+"\x00"+b.Object)
	})
}
