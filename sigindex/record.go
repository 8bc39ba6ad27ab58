// Package sigindex computes stage signatures and keeps the badger index of
// computations: one record per signature, lineage rows per stage.
package sigindex

import "time"

// Input is one item that went into a signature, kept with the record so that
// a later signature can say what changed since.
type Input struct {
	Kind  string `json:"kind"`  // cmd, wdir, out, dep, stage, param, env: see the Kind constants
	Name  string `json:"name"`  // path, "file:key", variable or stage name; "" for cmd/wdir
	Value string `json:"value"` // object id, canonical JSON, quoted value or upstream signature
}

// Output is one declared output of a computation as it sits in the store.
type Output struct {
	Path      string `json:"path"`
	ContentID string `json:"content_id"` // BLAKE3 of the bytes, or of the manifest for a folder
	Size      int64  `json:"size"`       // bytes; for a folder the sum of its files
	Dir       bool   `json:"dir,omitempty"`
}

// Record is one computation: what a signature produced.
type Record struct {
	Signature string        `json:"signature"`
	Stage     string        `json:"stage"`
	Outputs   []Output      `json:"outputs"`
	Duration  time.Duration `json:"duration_ns"`
	Inputs    []Input       `json:"inputs"`
	Commit    string        `json:"commit,omitempty"` // HEAD when first computed
	Host      string        `json:"host"`
	Time      time.Time     `json:"time"`
}
