// Package maintenance keeps the store and the index whole: fsck checks
// every object and record and repairs what it finds, gc drops what no kept
// commit needs. Both decide and delete while holding the index, so that
// they are safe beside any other git dds.
package maintenance

import (
	"sort"

	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/store"
)

// RecordRef names one computation.
type RecordRef struct {
	Stage     string `json:"stage"`
	Signature string `json:"signature"`
}

func refOf(rec *signature.Record) RecordRef {
	return RecordRef{Stage: rec.Stage, Signature: rec.Signature}
}

func sortRefs(refs []RecordRef) {
	sort.Slice(refs, func(i, j int) bool {
		if refs[i].Stage != refs[j].Stage {
			return refs[i].Stage < refs[j].Stage
		}
		return refs[i].Signature < refs[j].Signature
	})
}

// neededObjects collects the objects that outputs need: each output's own
// object and, for a folder, every file its manifest lists. A manifest that
// cannot be read names no files; fsck reports it.
type neededObjects struct {
	store *store.Store
	ids   map[string]bool
	// manifests caches the files of each folder manifest already read:
	// branches often share a folder output.
	manifests map[string][]string
}

func newNeededObjects(st *store.Store) *neededObjects {
	return &neededObjects{store: st, ids: map[string]bool{}, manifests: map[string][]string{}}
}

func (n *neededObjects) add(id string, dir bool) {
	n.ids[id] = true
	if !dir {
		return
	}
	files, seen := n.manifests[id]
	if !seen {
		if m, err := n.store.ReadManifest(id); err == nil {
			for _, e := range m.Entries {
				if !e.IsDir() {
					files = append(files, e.ID)
				}
			}
		}
		n.manifests[id] = files
	}
	for _, f := range files {
		n.ids[f] = true
	}
}
