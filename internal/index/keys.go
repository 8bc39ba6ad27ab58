package index

import (
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/git-dds/git-dds/internal/blake3"
	"github.com/git-dds/git-dds/internal/signature"
)

// What other packages keep in the index beside the records, each under a
// raw key whose layout only this file knows:
//
//	wt/<worktree>/<path>          → Placed, as JSON
//	ns/<repository>/<ref>         → a saved branch namespace, as its package encodes it
//	remote/<remote>/r/<signature> → nothing: the remote holds that record
//	remote/<remote>/o/<object>    → nothing: the remote holds that object
//	ck/<content key>              → the signature of a computation with that content key
const (
	placedPrefix     = "wt/"
	namespacePrefix  = "ns/"
	remotePrefix     = "remote/"
	contentKeyPrefix = "ck/"
)

// Placed is what git dds last put at an output path of a working tree, with
// stat data, the way git's index remembers a file: a matching fingerprint
// means the content is still what was written, without rehashing.
type Placed struct {
	ContentID   string `json:"content_id"`
	Dir         bool   `json:"dir,omitempty"`
	Fingerprint string `json:"fingerprint"`
}

func placedKey(worktree, path string) string {
	return placedPrefix + worktree + "/" + path
}

// decodePlaced reads a note; one that does not decode is a zero Placed,
// which names no content: a note is a cache.
func decodePlaced(val []byte) Placed {
	var p Placed
	if json.Unmarshal(val, &p) != nil {
		return Placed{}
	}
	return p
}

// PlacedAt gives the note of path under the first of worktrees that has
// one stored (a worktree known under several keys lists the current one
// first). ok is false when there is none, or when the note found does not
// decode.
func (ix *Index) PlacedAt(path string, worktrees ...string) (note Placed, ok bool, err error) {
	for _, wt := range worktrees {
		raw, stored, err := ix.getRaw(placedKey(wt, path))
		if err != nil {
			return Placed{}, false, err
		}
		if stored {
			err := json.Unmarshal(raw, &note)
			return note, err == nil, nil
		}
	}
	return Placed{}, false, nil
}

// PlacedIn calls fn with every note of worktree, in path order. A note that
// does not decode comes as a zero Placed.
func (ix *Index) PlacedIn(worktree string, fn func(path string, note Placed) error) error {
	prefix := placedKey(worktree, "")
	return ix.scanRaw(prefix, func(key string, val []byte) error {
		return fn(strings.TrimPrefix(key, prefix), decodePlaced(val))
	})
}

// AllPlaced calls fn with the note of every path of every working tree. A
// note that does not decode comes as a zero Placed.
func (ix *Index) AllPlaced(fn func(path string, note Placed) error) error {
	return ix.scanRaw(placedPrefix, func(key string, val []byte) error {
		path, ok := placedPath(key)
		if !ok {
			return nil
		}
		return fn(path, decodePlaced(val))
	})
}

// placedPath gives the output path of a note's key.
func placedPath(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, placedPrefix)
	if !ok {
		return "", false
	}
	_, path, ok := strings.Cut(rest, "/")
	return path, ok && path != ""
}

// PutPlaced stores the note of path in worktree.
func (b *Batch) PutPlaced(worktree, path string, note Placed) error {
	raw, err := json.Marshal(note)
	if err != nil {
		return err
	}
	return b.putRaw(placedKey(worktree, path), raw)
}

// DeletePlaced drops the note of path in worktree; a missing note is no
// error.
func (b *Batch) DeletePlaced(worktree, path string) error {
	return b.deleteRaw(placedKey(worktree, path))
}

// namespaceKey scopes a ref's namespace to its repository, named by its
// common git folder: clones that share one store (git config dds.dir) each
// have their own refs/heads/main.
func namespaceKey(commonDir, ref string) string {
	sum := blake3.Sum256([]byte(commonDir))
	return namespacePrefix + hex.EncodeToString(sum[:8]) + "/" + ref
}

// Namespace gives the namespace saved for ref of the repository whose
// common git folder is commonDir, as PutNamespace stored it.
func (ix *Index) Namespace(commonDir, ref string) ([]byte, bool, error) {
	return ix.getRaw(namespaceKey(commonDir, ref))
}

// ForEachNamespace calls fn with every saved namespace, of every
// repository sharing the store.
func (ix *Index) ForEachNamespace(fn func(val []byte) error) error {
	return ix.scanRaw(namespacePrefix, func(_ string, val []byte) error { return fn(val) })
}

// PutNamespace saves the namespace of ref of the repository whose common
// git folder is commonDir.
func (b *Batch) PutNamespace(commonDir, ref string, val []byte) error {
	return b.putRaw(namespaceKey(commonDir, ref), val)
}

// RemoteKey names one thing this clone remembers a remote holding: a record
// or an object. Nothing in a remote is ever rewritten under the same key
// with other content, so what was seen once stays true until someone
// deletes it there.
type RemoteKey string

// RemoteRecord is the key of the record of sig in the remote named remote
// (an id of the remote's location).
func RemoteRecord(remote, sig string) RemoteKey {
	return RemoteKey(remotePrefix + remote + "/r/" + sig)
}

// RemoteObject is the key of the object id in the remote named remote.
func RemoteObject(remote, id string) RemoteKey {
	return RemoteKey(remotePrefix + remote + "/o/" + id)
}

// RemoteContentKeyOf is the key saying that the remote named remote has
// the entry under the content key (signature.ContentKey) of the
// computation of sig, or that this computation has none (no upstream
// stage). An entry can be rewritten to name another computation with the
// same content key: remembering it says only that the remote names one.
func RemoteContentKeyOf(remote, sig string) RemoteKey {
	return RemoteKey(remotePrefix + remote + "/k/" + sig)
}

// RemoteHolds reports whether the index remembers the remote holding k.
func (ix *Index) RemoteHolds(k RemoteKey) (bool, error) {
	_, ok, err := ix.getRaw(string(k))
	return ok, err
}

// RemoteKeys calls fn with every key remembered of the remote named remote.
func (ix *Index) RemoteKeys(remote string, fn func(k RemoteKey) error) error {
	return ix.scanRaw(remotePrefix+remote+"/", func(key string, _ []byte) error { return fn(RemoteKey(key)) })
}

// NoteRemoteHolds remembers the remote holding k.
func (b *Batch) NoteRemoteHolds(k RemoteKey) error {
	return b.putRaw(string(k), nil)
}

// ForgetRemoteHolds drops what the index remembers of k; a key not
// remembered is no error.
func (b *Batch) ForgetRemoteHolds(k RemoteKey) error {
	return b.deleteRaw(string(k))
}

// SignatureOfContent gives the signature last recorded under a content key
// (signature.ContentKey). ok is false when there is none, or when what is
// stored is not a signature: the entry is a lookup aid, and the caller
// checks the record it names.
func (ix *Index) SignatureOfContent(key string) (sig string, ok bool, err error) {
	raw, stored, err := ix.getRaw(contentKeyPrefix + key)
	if err != nil || !stored {
		return "", false, err
	}
	sig = string(raw)
	return sig, len(sig) == 64 && strings.Trim(sig, "0123456789abcdef") == "", nil
}

// ContentKey gives the content key of a computation with inputs, from the
// records of its upstream signatures; ok is false when it has no upstream
// stage or one of their records is not in the index.
func (ix *Index) ContentKey(inputs []signature.Input) (key string, ok bool, err error) {
	var lookupErr error
	key, ok, err = signature.ContentKey(inputs, func(_, sig string) ([]signature.Output, bool) {
		rec, found, err := ix.Get(sig)
		if err != nil {
			lookupErr = err
			return nil, false
		}
		if !found || len(rec.External) > 0 {
			// An upstream that wrote to the lake: its content ids do
			// not describe what it wrote, so nothing is cut off on them.
			return nil, false
		}
		return rec.Outputs, true
	})
	if lookupErr != nil {
		return "", false, lookupErr
	}
	return key, ok, err
}

// ForEachContentKey calls fn with every content key and the signature
// stored under it, in key order.
func (ix *Index) ForEachContentKey(fn func(key, sig string) error) error {
	return ix.scanRaw(contentKeyPrefix, func(key string, val []byte) error {
		return fn(strings.TrimPrefix(key, contentKeyPrefix), string(val))
	})
}

// PutContentKey stores sig under a content key, replacing the signature
// stored there before: every computation under one key wrote the same
// outputs, and the newest is the one the next git dds gc keeps longest.
func (b *Batch) PutContentKey(key, sig string) error {
	return b.putRaw(contentKeyPrefix+key, []byte(sig))
}

// DeleteContentKey drops a content key; a missing key is no error.
func (b *Batch) DeleteContentKey(key string) error {
	return b.deleteRaw(contentKeyPrefix + key)
}
