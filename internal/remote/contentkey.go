package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/signature"
)

// A content key (signature.ContentKey) has an entry in the remote beside
// the record of a computation pushed with it, so that a clone that never
// saw that computation can cut off against it: contentkeys/<content key>
// holds the computation's signature. The entry is only a lookup aid: what
// it names is checked as any record, and its content key recomputed here,
// before it is used.
const contentKeyPrefix = "contentkeys/"

func contentKeyKey(key string) string { return contentKeyPrefix + key }

// maxContentKeyEntry bounds an entry read from a remote: a signature and
// a newline.
const maxContentKeyEntry = 65

// contentKeys gives the content key of each record whose upstream records
// the index holds; a record without one is left out.
func contentKeys(ctx context.Context, local Local, recs []*signature.Record) (map[string]string, error) {
	keys := map[string]string{}
	err := local.WithIndex(ctx, func(ix *index.Index) error {
		for _, rec := range recs {
			key, ok, err := ix.ContentKey(rec.Inputs)
			if err != nil {
				return err
			}
			if ok {
				keys[rec.Signature] = key
			}
		}
		return nil
	})
	return keys, err
}

// pushContentKeys writes, for each of recs, which the remote holds, the
// entry under its content key, unless the index remembers it there. An
// entry is tiny, and rewriting one that names an equivalent computation
// does no harm. A record whose upstream records the index lacks is left
// for a later push.
func (r *Remote) pushContentKeys(ctx context.Context, local Local, recs []*signature.Record) error {
	sigs := make([]string, len(recs))
	for i, rec := range recs {
		sigs[i] = rec.Signature
	}
	known, err := r.remembered(ctx, local, sigs, r.cacheContentKeyOf)
	if err != nil {
		return err
	}
	var todo []*signature.Record
	var seen []index.RemoteKey
	for _, rec := range recs {
		switch {
		case known[rec.Signature]:
		case !hasUpstream(rec):
			seen = append(seen, r.cacheContentKeyOf(rec.Signature))
		default:
			todo = append(todo, rec)
		}
	}
	keys, err := contentKeys(ctx, local, todo)
	if err != nil {
		return err
	}
	todo = slices.DeleteFunc(todo, func(rec *signature.Record) bool { _, ok := keys[rec.Signature]; return !ok })
	err = r.each(ctx, len(todo), func(ctx context.Context, i int) error {
		sig := todo[i].Signature
		entry := []byte(sig + "\n")
		return r.fail("uploading the content key of "+sig, r.backend.Write(ctx, contentKeyKey(keys[sig]), bytes.NewReader(entry), int64(len(entry))))
	})
	if err != nil {
		return err
	}
	for _, rec := range todo {
		seen = append(seen, r.cacheContentKeyOf(rec.Signature))
	}
	return r.remember(ctx, local, seen)
}

// hasUpstream reports whether rec read another stage's outputs: only then
// has it a content key.
func hasUpstream(rec *signature.Record) bool {
	return slices.ContainsFunc(rec.Inputs, func(in signature.Input) bool { return in.Kind == signature.KindStage })
}

// ContentKeyed gives the signature the remote names under a content key,
// for a stage declaring outs: "" when it names none. What the remote says
// is hostile input: the entry must be a signature, its record must pass
// the checks of a fetched record, and the content key of that record,
// computed here from its upstream records (in the index, or else read
// from the remote and checked likewise), must be key. An entry that fails
// them wraps ErrCorrupt, and is not used.
func (r *Remote) ContentKeyed(ctx context.Context, local Local, key string, outs []string) (string, error) {
	where := contentKeyKey(key)
	rc, err := r.backend.Open(ctx, where)
	if errors.Is(err, ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", r.fail("reading content key "+key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxContentKeyEntry+1))
	if err != nil {
		return "", r.fail("reading content key "+key, err)
	}
	refuse := func(why string) error {
		return fmt.Errorf("%w: the content key entry %s in remote %s cannot be used: %s; the stage is computed instead; git dds push --force from a clone that computed it writes it again",
			ErrCorrupt, where, r.Where(), why)
	}
	sig, err := parseContentKeyEntry(data)
	if err != nil {
		return "", refuse(err.Error())
	}
	rec, err := r.record(ctx, sig, outs)
	if errors.Is(err, ErrNotExist) {
		return "", nil // its record went (git dds gc --remote): a miss
	}
	if err != nil {
		return "", err
	}
	upstream := map[string][]signature.Output{}
	for _, in := range rec.Inputs {
		if _, done := upstream[in.Value]; in.Kind != signature.KindStage || done {
			continue
		}
		var up *signature.Record
		if err := local.WithIndex(ctx, func(ix *index.Index) error {
			var err error
			up, _, err = ix.Get(in.Value)
			return err
		}); err != nil {
			return "", err
		}
		if up == nil {
			up, err = r.record(ctx, in.Value, nil)
			if errors.Is(err, ErrNotExist) {
				return "", nil // its content key cannot be known: a miss
			}
			if err != nil {
				return "", err
			}
		}
		if len(up.External) > 0 {
			return "", nil // an upstream on the lake: never cut off on it
		}
		upstream[in.Value] = up.Outputs
	}
	got, ok, err := signature.ContentKey(rec.Inputs, func(_, sig string) ([]signature.Output, bool) {
		outs, found := upstream[sig]
		return outs, found
	})
	if err != nil {
		return "", refuse(err.Error())
	}
	if !ok || got != key {
		return "", refuse(fmt.Sprintf("it names the computation %s, whose content key is not %s", sig, key))
	}
	return sig, nil
}

// parseContentKeyEntry gives the signature a content key entry holds: 64
// lowercase hex digits, and a newline at most.
func parseContentKeyEntry(data []byte) (string, error) {
	sig := string(bytes.TrimSuffix(data, []byte("\n")))
	if len(data) > maxContentKeyEntry || len(sig) != 64 || strings.Trim(sig, "0123456789abcdef") != "" {
		return "", fmt.Errorf("it holds %.80q, not a signature (64 lowercase hex digits)", data)
	}
	return sig, nil
}

// dropContentKeys deletes the content key entries that name no kept
// record: those of the records a collection dropped, and any that do not
// hold a signature. An entry a push writes while this runs may go too:
// that costs a cut-off, never a wrong output.
func (r *Remote) dropContentKeys(ctx context.Context, kept map[string]bool) error {
	var keys []string
	err := r.backend.List(ctx, contentKeyPrefix, func(key string, _ int64, _ time.Time) error {
		if strings.HasPrefix(key, contentKeyPrefix) {
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return r.fail("listing content keys", err)
	}
	return r.each(ctx, len(keys), func(ctx context.Context, i int) error {
		rc, err := r.backend.Open(ctx, keys[i])
		if errors.Is(err, ErrNotExist) {
			return nil
		}
		if err != nil {
			return r.fail("reading "+keys[i], err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, maxContentKeyEntry+1))
		rc.Close()
		if err != nil {
			return r.fail("reading "+keys[i], err)
		}
		if sig, err := parseContentKeyEntry(data); err == nil && kept[sig] {
			return nil
		}
		return r.fail("deleting "+keys[i], r.backend.Delete(ctx, keys[i]))
	})
}

// HoldsOutputs reports whether the remote holds the object of each output
// of rec (a folder's manifest for a folder), so that a hint saying run
// cuts a stage off against rec is not made of a record whose objects went.
// What the index remembers the remote holding is not asked again.
func (r *Remote) HoldsOutputs(ctx context.Context, local Local, rec *signature.Record) (bool, error) {
	ids := make([]string, 0, len(rec.Outputs))
	for _, o := range rec.Outputs {
		ids = append(ids, o.ContentID)
	}
	known, err := r.remembered(ctx, local, ids, r.cacheObjectKey)
	if err != nil {
		return false, err
	}
	for _, id := range ids {
		if known[id] {
			continue
		}
		ok, err := r.backend.Exists(ctx, objectKey(id))
		if err != nil {
			return false, r.fail("looking up object "+id, err)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}
