// Command fillindex adds synthetic records to a repository's index, so
// that a benchmark can time status against an index of many signatures
// (as years of branches and commits leave it) and compare it with the
// same repository's small index.
//
//	go run ./bench/fillindex -dds DIR/.git/dds [-records 1000000] [-stages 1000] [-seed 1]
//
// Each record is a computation of one of -stages made-up stages, under a
// signature no real stage has, with one output and a few inputs, shaped
// like the records git dds run writes.
package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/signature"
)

func main() {
	dds := flag.String("dds", "", "the repository's git dds folder (.git/dds)")
	records := flag.Int("records", 1_000_000, "records to add")
	stages := flag.Int("stages", 1000, "made-up stages the records belong to")
	seed := flag.Uint64("seed", 1, "seed of the signatures")
	flag.Parse()
	if *dds == "" || *records < 1 || *stages < 1 {
		fmt.Fprintln(os.Stderr, "fillindex: give -dds, and -records and -stages of 1 or more")
		os.Exit(2)
	}
	if err := fill(context.Background(), *dds, *records, *stages, *seed); err != nil {
		fmt.Fprintf(os.Stderr, "fillindex: %v\n", err)
		os.Exit(1)
	}
}

func fill(ctx context.Context, dds string, records, stages int, seed uint64) error {
	ix, err := index.Open(ctx, dds, index.Options{})
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	random := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return hex.EncodeToString(b)
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	// A batch holds about 600 KiB; a record here, with its lineage key and
	// badger's overhead, takes under 3 KiB.
	const perBatch = 200
	for done := 0; done < records; {
		n := min(perBatch, records-done)
		err := ix.Batch(func(b *index.Batch) error {
			for i := range n {
				k := done + i
				stage := fmt.Sprintf("filler%04d", k%stages)
				rec := &signature.Record{
					Signature: random(32),
					Stage:     stage,
					Outputs:   []signature.Output{{Path: "filler/" + stage + ".txt", ContentID: random(32), Size: int64(k)}},
					Duration:  time.Duration(k%5000) * time.Millisecond,
					Inputs: []signature.Input{
						{Kind: signature.KindCmd, Value: "make " + stage},
						{Kind: signature.KindOut, Name: "filler/" + stage + ".txt"},
					},
					Commit: random(20),
					Host:   "bench",
					Time:   at.Add(time.Duration(k) * time.Second),
				}
				if err := b.Put(rec); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return closeAfter(ix, err)
		}
		done += n
	}
	return ix.Close()
}

func closeAfter(ix *index.Index, err error) error {
	if cerr := ix.Close(); cerr != nil {
		return fmt.Errorf("%w (and closing: %v)", err, cerr)
	}
	return err
}
