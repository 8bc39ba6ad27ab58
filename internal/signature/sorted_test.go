package signature

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortedUnique compares sortedUnique, which hands back a slice that is
// sorted and unique already, with sorting and compacting a copy, over
// every slice of up to four strings from a small alphabet.
func TestSortedUnique(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"", "a", "a/b", "b", "b0"}
	for range 5000 {
		s := make([]string, rng.IntN(5))
		for i := range s {
			s[i] = alphabet[rng.IntN(len(alphabet))]
		}
		before := slices.Clone(s)
		want := slices.Compact(slices.Sorted(slices.Values(slices.Clone(s))))
		if got := sortedUnique(s); !slices.Equal(got, want) {
			t.Fatalf("sortedUnique(%q) = %q, want %q", before, got, want)
		}
		if !slices.Equal(s, before) {
			t.Fatalf("sortedUnique changed its argument %q to %q", before, s)
		}
	}
}
