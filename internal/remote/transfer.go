package remote

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/git-dds/git-dds/internal/blake3"
	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/parallel"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/store"
	"github.com/git-dds/git-dds/internal/ui"
)

// Transfer says what a push or a fetch did, by signature.
type Transfer struct {
	// Moved lists the signatures whose artifacts were transferred now.
	Moved []string
	// Already lists those already at the destination.
	Already []string
	// Missing lists, for a fetch, the signatures the remote does not have.
	Missing []string
	// Objects and Bytes count what went over the wire.
	Objects int
	Bytes   int64
}

// cacheBatch bounds the keys written to the index in one transaction,
// which holds about 600 KiB.
const cacheBatch = 2000

// Remembers reports whether the index remembers the remote holding the
// record of sig.
func (r *Remote) Remembers(ix *index.Index, sig string) (bool, error) {
	ok, err := ix.RemoteHolds(r.cacheRecordKey(sig))
	if !ok || err != nil {
		return false, err
	}
	// And the entry under its content key, which a push gives a record
	// the remote holds without one.
	return ix.RemoteHolds(r.cacheContentKeyOf(sig))
}

// Present reports which of sigs have a record in the remote. What the
// index remembers is not asked again; what is found is remembered.
func (r *Remote) Present(ctx context.Context, local Local, sigs []string) (map[string]bool, error) {
	present, err := r.remembered(ctx, local, sigs, r.cacheRecordKey)
	if err != nil {
		return nil, err
	}
	var ask []string
	for _, sig := range sigs {
		if !present[sig] {
			ask = append(ask, sig)
		}
	}
	ask = slices.Compact(slices.Sorted(slices.Values(ask)))
	found := make([]bool, len(ask))
	err = r.each(ctx, len(ask), func(ctx context.Context, i int) error {
		ok, err := r.backend.Exists(ctx, recordKey(ask[i]))
		found[i] = ok
		return r.fail("looking up the record of "+ask[i], err)
	})
	if err != nil {
		return nil, err
	}
	var seen []index.RemoteKey
	for i, sig := range ask {
		if found[i] {
			present[sig] = true
			seen = append(seen, r.cacheRecordKey(sig))
		}
	}
	return present, r.remember(ctx, local, seen)
}

// remembered tells which of names the index remembers the remote holding,
// key giving each name's index key, in one visit to the index (none for no
// names).
func (r *Remote) remembered(ctx context.Context, local Local, names []string, key func(string) index.RemoteKey) (map[string]bool, error) {
	known := make(map[string]bool, len(names))
	if len(names) == 0 {
		return known, nil
	}
	err := local.WithIndex(ctx, func(ix *index.Index) error {
		for _, name := range names {
			ok, err := ix.RemoteHolds(key(name))
			if err != nil {
				return err
			}
			known[name] = ok
		}
		return nil
	})
	return known, err
}

// remember notes index keys saying what the remote holds. It is a cache:
// losing it costs a look-up next time, never a wrong answer.
func (r *Remote) remember(ctx context.Context, local Local, keys []index.RemoteKey) error {
	return inBatches(ctx, local, keys, (*index.Batch).NoteRemoteHolds)
}

// forget drops what the index remembers of the remote holding sigs, which
// a look found gone: deleted there behind this clone's back.
func (r *Remote) forget(ctx context.Context, local Local, sigs []string) error {
	if len(sigs) == 0 {
		return nil
	}
	if err := r.forgetMarks(local); err != nil {
		return err
	}
	keys := make([]index.RemoteKey, len(sigs))
	for i, sig := range sigs {
		keys[i] = r.cacheRecordKey(sig)
	}
	return inBatches(ctx, local, keys, (*index.Batch).ForgetRemoteHolds)
}

// storedSet is what a fetch knows the store holds: outputs whole, the
// manifests of folders it read, and files it found or received.
type storedSet struct {
	whole     map[string]bool
	manifests map[string]*store.Manifest
	files     map[string]bool
}

// holdsOutputs reports whether the store holds every output whole, as
// Store.HoldsOutput says (a record fetched is kept only then), told from
// what the set knows where it can: a folder whose manifest was read is
// whole when the set holds each of its files. An output it knows nothing
// of is looked up.
func (s storedSet) holdsOutputs(st *store.Store, outs []signature.Output) bool {
	for _, o := range outs {
		if s.whole[o.ContentID] {
			continue
		}
		m := s.manifests[o.ContentID]
		if m == nil {
			if !st.HoldsOutput(o.ContentID, o.Dir) {
				return false
			}
			continue
		}
		for _, e := range m.Entries {
			if !e.IsDir() && !s.files[e.ID] {
				return false
			}
		}
	}
	return true
}

// inBatches applies op to every key in index transactions small enough
// for badger (about 600 KiB each).
func inBatches(ctx context.Context, local Local, keys []index.RemoteKey, op func(b *index.Batch, key index.RemoteKey) error) error {
	for len(keys) > 0 {
		n := min(len(keys), cacheBatch)
		chunk := keys[:n]
		keys = keys[n:]
		err := local.WithIndex(ctx, func(ix *index.Index) error {
			return ix.Batch(func(b *index.Batch) error {
				for _, k := range chunk {
					if err := op(b, k); err != nil {
						return err
					}
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// PushOptions shape a push.
type PushOptions struct {
	// Progress, when not nil, shows a bar.
	Progress io.Writer
	// Again sends every object and record, whatever the remote and the
	// index say it holds: how a copy damaged or deleted there is mended.
	Again bool
}

// Push uploads the artifacts of recs that the remote lacks, from the local
// store: every object first, then each record whose objects all arrived.
// An interrupted push leaves whole objects and no record without its
// objects; the next push sends only the rest.
func (r *Remote) Push(ctx context.Context, local Local, recs []*signature.Record, opts PushOptions) (*Transfer, error) {
	sigs := make([]string, len(recs))
	for i, rec := range recs {
		sigs[i] = rec.Signature
	}
	present := map[string]bool{}
	if !opts.Again {
		var err error
		if present, err = r.Present(ctx, local, sigs); err != nil {
			return nil, err
		}
	}
	t := &Transfer{}
	var todo, already []*signature.Record
	for _, rec := range recs {
		if present[rec.Signature] {
			t.Already = append(t.Already, rec.Signature)
			already = append(already, rec)
		} else {
			todo = append(todo, rec)
			present[rec.Signature] = true // a signature twice in recs goes once
		}
	}
	// A record the remote holds without an entry under its content key
	// (pushed by a clone that lacked its upstreams' records, or before
	// content keys were kept) gets one: other clones can cut off against
	// it.
	if err := r.pushContentKeys(ctx, local, already); err != nil {
		return t, err
	}
	if len(todo) == 0 {
		return t, nil
	}

	// The objects of each record, folders' files included.
	needs := make(map[string][]string, len(todo))
	var ids []string
	for _, rec := range todo {
		for _, o := range rec.Outputs {
			objs, err := outputObjects(local.Store, o)
			if err != nil {
				return t, fmt.Errorf("stage %s (signature %s): %w", rec.Stage, ui.ShortID(rec.Signature), err)
			}
			needs[rec.Signature] = append(needs[rec.Signature], objs...)
			ids = append(ids, objs...)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	size := make(map[string]int64, len(ids))
	for _, id := range ids {
		info, err := os.Stat(local.Store.Path(id))
		if err != nil {
			return t, fmt.Errorf("object %s: %w", id, err)
		}
		size[id] = info.Size()
	}
	missing := ids
	if !opts.Again {
		var err error
		if missing, err = r.missingObjects(ctx, local, ids, size); err != nil {
			return t, err
		}
	}
	sizes := make([]int64, len(missing))
	var total int64
	for i, id := range missing {
		sizes[i] = size[id]
		total += sizes[i]
	}
	bar := ui.NewMeter(opts.Progress, ui.Direction{Doing: "uploading", Done: "uploaded", Where: "to " + r.Name}, total)
	// Every upload is tried, whatever failed before it, until too many
	// have failed to hope for the rest; what was not confirmed uploaded
	// counts as failed.
	uploadErrs := make([]error, len(missing))
	uploaded := make([]bool, len(missing))
	var failures atomic.Int32
	cancelled := r.each(ctx, len(missing), func(ctx context.Context, i int) error {
		if failures.Load() >= maxFailedUploads {
			return nil
		}
		if err := r.upload(ctx, local.Store, missing[i], sizes[i], bar); err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			uploadErrs[i] = err
			failures.Add(1)
			return nil
		}
		uploaded[i] = true
		return nil
	})
	confirmed := make(map[string]bool, len(ids))
	for _, id := range ids {
		confirmed[id] = true // present before: not to send
	}
	var notUp []string
	var firstErr error
	for i, id := range missing {
		if uploaded[i] {
			t.Objects++
			t.Bytes += sizes[i]
			continue
		}
		confirmed[id] = false
		notUp = append(notUp, id)
		if firstErr == nil {
			firstErr = uploadErrs[i]
		}
	}
	bar.Finish(len(notUp) == 0 && cancelled == nil)
	var objErr error
	switch {
	case cancelled != nil:
		objErr = cancelled
	case len(notUp) > 0:
		objErr = fmt.Errorf("%d of %d objects were not uploaded to remote %s (%d failed, the others were not tried after that); the records naming them were not uploaded; run git dds push again once the remote takes them: %w",
			len(notUp), len(missing), r.Where(), int(failures.Load()), firstErr)
	}

	// A record goes up only once every object it names is confirmed in
	// the remote: uploaded now, or found there before.
	var ready []*signature.Record
	for _, rec := range todo {
		if !slices.ContainsFunc(needs[rec.Signature], func(id string) bool { return !confirmed[id] }) {
			ready = append(ready, rec)
		}
	}
	if cancelled != nil {
		ready = nil // interrupted: the user asked to stop
	}
	keys, err := contentKeys(ctx, local, ready)
	if err != nil {
		return t, errors.Join(objErr, err)
	}
	// A content key's entry goes up after its record: an entry names a
	// record the remote holds.
	recErr := r.each(ctx, len(ready), func(ctx context.Context, i int) error {
		rec := ready[i]
		data, err := signature.EncodeRecord(rec)
		if err != nil {
			return err
		}
		if err := r.fail("uploading the record of "+rec.Signature, r.backend.Write(ctx, recordKey(rec.Signature), bytes.NewReader(data), int64(len(data)))); err != nil {
			return err
		}
		key, ok := keys[rec.Signature]
		if !ok {
			return nil
		}
		entry := []byte(rec.Signature + "\n")
		return r.fail("uploading the content key of "+rec.Signature, r.backend.Write(ctx, contentKeyKey(key), bytes.NewReader(entry), int64(len(entry))))
	})
	if recErr != nil {
		return t, errors.Join(objErr, recErr)
	}
	var seen []index.RemoteKey
	for _, rec := range ready {
		t.Moved = append(t.Moved, rec.Signature)
		seen = append(seen, r.cacheRecordKey(rec.Signature))
		if _, ok := keys[rec.Signature]; ok || !hasUpstream(rec) {
			seen = append(seen, r.cacheContentKeyOf(rec.Signature))
		}
		for _, id := range needs[rec.Signature] {
			seen = append(seen, r.cacheObjectKey(id))
		}
	}
	if err := r.remember(ctx, local, seen); err != nil {
		return t, errors.Join(objErr, err)
	}
	return t, objErr
}

// outputObjects lists the objects an output needs: its own and, for a
// folder, its files'.
func outputObjects(st *store.Store, o signature.Output) ([]string, error) {
	if !o.Dir {
		return []string{o.ContentID}, nil
	}
	m, err := st.ReadManifest(o.ContentID)
	if err != nil {
		return nil, fmt.Errorf("reading the manifest of %s: %w", o.Path, err)
	}
	ids := []string{o.ContentID}
	for _, e := range m.Entries {
		if !e.IsDir() {
			ids = append(ids, e.ID)
		}
	}
	return ids, nil
}

// lookBeforeUpload is the size from which an object is looked up in the
// remote before it is sent: below it, sending costs about what asking
// does, and objects are named by content, so sending one again is no harm.
const lookBeforeUpload = 1 << 20

// missingObjects gives the ids the remote may not hold: those it was
// never seen holding, less the large ones a look finds there.
func (r *Remote) missingObjects(ctx context.Context, local Local, ids []string, size map[string]int64) ([]string, error) {
	known, err := r.remembered(ctx, local, ids, r.cacheObjectKey)
	if err != nil {
		return nil, err
	}
	var ask, send []string
	for _, id := range ids {
		switch {
		case known[id]:
		case size[id] < lookBeforeUpload:
			send = append(send, id)
		default:
			ask = append(ask, id)
		}
	}
	there := make([]bool, len(ask))
	err = r.each(ctx, len(ask), func(ctx context.Context, i int) error {
		ok, err := r.backend.Exists(ctx, objectKey(ask[i]))
		there[i] = ok
		return r.fail("looking up object "+ask[i], err)
	})
	if err != nil {
		return nil, err
	}
	missing, seen := send, []index.RemoteKey(nil)
	for i, id := range ask {
		if there[i] {
			seen = append(seen, r.cacheObjectKey(id))
		} else {
			missing = append(missing, id)
		}
	}
	return missing, r.remember(ctx, local, seen)
}

// maxFailedUploads is how many failed uploads end a push's attempts: past
// that the remote is down or full, and the rest would only wait out their
// retries one after the other.
const maxFailedUploads = 16

// upload sends object id from the local store. Its bytes are hashed on
// the way: a local object damaged on disk fails the upload, which is
// aborted, rather than reach the remote under an id it does not have.
func (r *Remote) upload(ctx context.Context, st *store.Store, id string, size int64, bar *ui.Meter) error {
	f, err := st.Open(id)
	if err != nil {
		return err
	}
	defer f.Close()
	src := &hashChecked{r: f, h: blake3.New(), id: id}
	return r.fail("uploading object "+id, r.backend.Write(ctx, objectKey(id), bar.Reader(src), size))
}

// hashChecked hashes what it reads and, at the end, fails unless the bytes
// hash to id: the reader of an upload sees an error instead of the end,
// and the backend aborts the write.
type hashChecked struct {
	r  io.Reader
	h  *blake3.Hasher
	id string
}

func (c *hashChecked) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF {
		if got := hex.EncodeToString(c.h.Sum(nil)); got != c.id {
			return n, fmt.Errorf("local object %s holds content with id %s, damaged on disk: not uploaded; run git dds fsck: %w", c.id, got, store.ErrCorrupt)
		}
	}
	return n, err
}

// Want is a computation to fetch: its signature, as this clone computed
// it, and the output paths of the stage with that signature. A record
// from the remote is used only when it is the record of that signature
// and names exactly those outputs: a record is the remote's word, and the
// remote is not trusted with where files go.
type Want struct {
	Signature string
	Outs      []string
}

// Fetch downloads the artifacts of wants that the remote has and the local
// store lacks, checks every record against its want and every object
// against its id and size, and records each computation in the local index
// once all its objects are stored.
func (r *Remote) Fetch(ctx context.Context, local Local, wants []Want, progress io.Writer) (_ *Transfer, _ []*signature.Record, fetchErr error) {
	outsOf := make(map[string][]string, len(wants))
	for _, w := range wants {
		if _, ok := outsOf[w.Signature]; !ok {
			outsOf[w.Signature] = w.Outs
		}
	}
	sigs := slices.Sorted(maps.Keys(outsOf))
	recs := make([]*signature.Record, len(sigs))
	// A refused record spoils only its own computation: the others are
	// fetched, and the refusals reported at the end.
	refused := make([]error, len(sigs))
	err := r.each(ctx, len(sigs), func(ctx context.Context, i int) error {
		rec, err := r.record(ctx, sigs[i], outsOf[sigs[i]])
		switch {
		case errors.Is(err, ErrNotExist):
			return nil
		case errors.Is(err, ErrCorrupt):
			refused[i] = err
			return nil
		}
		recs[i] = rec
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	t := &Transfer{}
	var found []*signature.Record
	for i, rec := range recs {
		switch {
		case refused[i] != nil:
		case rec == nil:
			t.Missing = append(t.Missing, sigs[i])
		default:
			found = append(found, rec)
		}
	}
	defer func() {
		if err := errors.Join(refused...); err != nil {
			fetchErr = errors.Join(err, fetchErr)
		}
	}()
	if err := r.forget(ctx, local, t.Missing); err != nil {
		return nil, nil, err
	}

	// Outputs' own objects first: a folder's manifest says what else to get.
	var outs []signature.Output
	var total int64
	moving := map[string]bool{} // the signatures with something to download
	// stored tells what this fetch knows the store holds, found there or
	// received and committed, so that what arrived whole is told without
	// looking up every file of a folder once more.
	stored := storedSet{whole: map[string]bool{}, manifests: map[string]*store.Manifest{}, files: map[string]bool{}}
	for _, rec := range found {
		for _, o := range rec.Outputs {
			if !local.Store.HoldsOutput(o.ContentID, o.Dir) {
				outs = append(outs, o)
				total = addSizes(total, o.Size)
				moving[rec.Signature] = true
			} else {
				stored.whole[o.ContentID] = true
			}
		}
	}
	bar := ui.NewMeter(progress, ui.Direction{Doing: "downloading", Done: "downloaded", Where: "from " + r.Name}, total)
	var mu sync.Mutex
	count := func(n int64) {
		mu.Lock()
		t.Objects++
		t.Bytes += n
		mu.Unlock()
	}
	got := make([]bool, len(outs))
	err = r.each(ctx, len(outs), func(ctx context.Context, i int) error {
		o := outs[i]
		if local.Store.Has(o.ContentID) {
			got[i] = true
			return nil // a folder's manifest, whose files are what is missing
		}
		limit := exactly(o.Size)
		if o.Dir {
			limit = atMost(store.MaxManifestSize) // the manifest; its files come next
		}
		n, err := r.download(ctx, local.Store, o.ContentID, limit, bar)
		count(n)
		got[i] = err == nil
		return err
	})
	for i, o := range outs {
		if got[i] && !o.Dir {
			stored.whole[o.ContentID] = true
		}
	}
	fileSize := map[string]int64{}
	if err == nil {
		for _, o := range outs {
			if !o.Dir {
				continue
			}
			m, merr := local.Store.ReadManifest(o.ContentID)
			if merr != nil {
				err = fmt.Errorf("%w: manifest %s of output %s, from remote %s (key %s): %w; mend it with git dds push --force from a clone that computed it", ErrCorrupt, o.ContentID, o.Path, r.Where(), objectKey(o.ContentID), merr)
				break
			}
			stored.manifests[o.ContentID] = &m
			var sum int64
			for _, e := range m.Entries {
				sum += e.Size // bounded by DecodeManifest
				if e.IsDir() {
					continue
				}
				if local.Store.Has(e.ID) {
					stored.files[e.ID] = true
				} else {
					fileSize[e.ID] = e.Size
				}
			}
			if sum != o.Size {
				err = fmt.Errorf("%w: output %s in remote %s has size %d, but the files of its manifest %s add up to %d; mend it with git dds push --force from a clone that computed it",
					ErrCorrupt, o.Path, r.Where(), o.Size, o.ContentID, sum)
				break
			}
		}
	}
	if err == nil {
		// A folder's files go in batches, each worker filling one and
		// flushing it whole: thousands of small files would otherwise
		// wait for a flush of the file and its folders each.
		files := slices.Sorted(maps.Keys(fileSize))
		per := receiveBatchSize(len(files), r.Jobs)
		batches := (len(files) + per - 1) / per
		committed := make([]bool, batches)
		err = r.each(ctx, batches, func(ctx context.Context, i int) error {
			batch := local.Store.NewBatch()
			defer batch.Abort()
			for _, id := range files[i*per : min(len(files), (i+1)*per)] {
				n, err := r.download(ctx, batch, id, exactly(fileSize[id]), bar)
				count(n)
				if err != nil {
					return err
				}
			}
			if err := batch.Commit(ctx); err != nil {
				return err
			}
			committed[i] = true
			return nil
		})
		for i, ok := range committed {
			if ok {
				for _, id := range files[i*per : min(len(files), (i+1)*per)] {
					stored.files[id] = true
				}
			}
		}
	}
	bar.Finish(err == nil)

	// Whatever arrived whole is recorded, even when something else failed.
	var whole []*signature.Record
	var seen []index.RemoteKey
	for _, rec := range found {
		if stored.holdsOutputs(local.Store, rec.Outputs) {
			whole = append(whole, rec)
			seen = append(seen, r.cacheRecordKey(rec.Signature))
		}
	}
	if len(whole) > 0 {
		werr := local.WithIndex(ctx, func(ix *index.Index) error {
			return ix.Batch(func(b *index.Batch) error {
				for _, rec := range whole {
					if err := b.Put(rec); err != nil {
						return err
					}
				}
				return nil
			})
		})
		if werr == nil {
			werr = r.remember(ctx, local, seen)
		}
		err = errors.Join(err, werr)
	}
	for _, rec := range whole {
		if moving[rec.Signature] {
			t.Moved = append(t.Moved, rec.Signature)
		} else {
			t.Already = append(t.Already, rec.Signature)
		}
	}
	return t, whole, err
}

// record reads and checks the record of sig. outs, when not nil, are the
// output paths the stage of sig declares, which the record must name
// exactly; without them (a collection, which only reads what records
// name) the record is checked on its own.
func (r *Remote) record(ctx context.Context, sig string, outs []string) (*signature.Record, error) {
	key := recordKey(sig)
	rc, err := r.backend.Open(ctx, key)
	if errors.Is(err, ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, r.fail("reading the record of "+sig, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxRecordSize+1))
	if err != nil {
		return nil, r.fail("reading the record of "+sig, err)
	}
	rec, err := checkRecord(data, sig, outs)
	if err != nil {
		return nil, fmt.Errorf("%w: the record of %s in remote %s (key %s) cannot be used: %v; nothing was stored; mend it with git dds push --force from a clone that computed it",
			ErrCorrupt, sig, r.Where(), key, err)
	}
	return rec, nil
}

// checkRecord decodes the bytes of a record fetched as the record of sig
// and checks them: their size, the signature, what the record says on its
// own (signature.CheckRecord), and, when outs is not nil, that its outputs
// are exactly outs.
func checkRecord(data []byte, sig string, outs []string) (*signature.Record, error) {
	if len(data) > maxRecordSize {
		return nil, fmt.Errorf("it is over %d bytes", maxRecordSize)
	}
	rec, err := signature.DecodeRecord(data)
	if err != nil {
		return nil, err
	}
	if rec.Signature != sig {
		return nil, fmt.Errorf("it is the record of signature %.80q", rec.Signature)
	}
	if err := signature.CheckRecord(rec); err != nil {
		return nil, err
	}
	if err := signature.CheckForeignInputs(rec.Inputs); err != nil {
		return nil, err
	}
	if outs == nil {
		return rec, nil
	}
	declared := make(map[string]bool, len(outs))
	for _, o := range outs {
		declared[o] = true
	}
	for _, o := range rec.Outputs {
		if !declared[o.Path] {
			return nil, fmt.Errorf("it names output %s, which the stage does not declare (it declares %s)", o.Path, strings.Join(outs, ", "))
		}
		delete(declared, o.Path)
	}
	for _, o := range outs {
		if declared[o] {
			return nil, fmt.Errorf("it lacks output %s, which the stage declares", o)
		}
	}
	return rec, nil
}

// maxRecordSize bounds a record read from a remote: one lists a stage's
// inputs and outputs, kilobytes, not a file to hold in memory.
const maxRecordSize = 16 << 20

// addSizes adds two sizes, saturating rather than overflowing: the total
// of many outputs only sizes a progress bar.
func addSizes(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// receiver takes in objects checked against their ids: the store, or a
// batch of it.
type receiver interface {
	Receive(ctx context.Context, id string, r io.Reader, sizeHint int64) (int64, error)
}

// receiveBatchSize is how many of n files of a folder one batch of a
// fetch holds, with jobs downloads at once: a few batches per worker, so
// that every worker has some and one finishing late holds up little, but
// no more of them than that, since each batch is made durable in one go
// and that flush, not the files, is what a batch costs. A bound keeps
// what a kill throws away, the batch under way, small.
func receiveBatchSize(n, jobs int) int {
	const perWorker, most = 4, 1024
	per := (n + max(jobs, 1)*perWorker - 1) / (max(jobs, 1) * perWorker)
	return min(max(per, 1), most)
}

// sizeLimit is what a download may bring: exactly the size a record or
// manifest states for a file, at most a bound for a manifest.
type sizeLimit struct {
	size  int64
	exact bool
}

func exactly(n int64) sizeLimit { return sizeLimit{n, true} }
func atMost(n int64) sizeLimit  { return sizeLimit{n, false} }

// errWrongSize marks an object whose bytes are not the size stated for it.
var errWrongSize = errors.New("the object is not the size its record states")

// sizeChecked reads at most limit.size bytes from r, failing on one more,
// and, for an exact limit, fails an end before them: a remote cannot make
// a reader hold more than it was told to expect.
type sizeChecked struct {
	r     io.Reader
	n     int64
	limit sizeLimit
}

func (s *sizeChecked) Read(p []byte) (int, error) {
	if room := s.limit.size - s.n + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	if s.n > s.limit.size {
		return n, fmt.Errorf("%w: it is over %d bytes", errWrongSize, s.limit.size)
	}
	if err == io.EOF && s.limit.exact && s.n != s.limit.size {
		return n, fmt.Errorf("%w: it ends after %d bytes, not %d", errWrongSize, s.n, s.limit.size)
	}
	return n, err
}

// download stores object id from the remote, checked against its id and
// its size limit.
func (r *Remote) download(ctx context.Context, st receiver, id string, limit sizeLimit, bar *ui.Meter) (int64, error) {
	rc, err := r.backend.Open(ctx, objectKey(id))
	if err != nil {
		if errors.Is(err, ErrNotExist) {
			return 0, fmt.Errorf("%w: remote %s has a record naming object %s but not the object; mend it with git dds push --force from a clone that has it", ErrCorrupt, r.Where(), id)
		}
		return 0, r.fail("downloading object "+id, err)
	}
	defer rc.Close()
	hint := limit.size
	if !limit.exact {
		hint = 0
	}
	n, err := st.Receive(ctx, id, bar.Reader(&sizeChecked{r: rc, limit: limit}), hint)
	if errors.Is(err, store.ErrCorrupt) || errors.Is(err, errWrongSize) {
		return 0, fmt.Errorf("%w: object %s in remote %s (key %s) was changed or damaged there (%v); nothing was stored; mend it with git dds push --force from a clone that has it",
			ErrCorrupt, id, r.Where(), objectKey(id), err)
	}
	if err != nil {
		return 0, r.fail("downloading object "+id, err)
	}
	return n, nil
}

// each calls fn for 0..n-1, r.Jobs at a time, and stops at the first
// error.
func (r *Remote) each(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	return parallel.ForEach(ctx, n, r.Jobs, fn)
}
