package remote

import (
	"strings"
	"testing"

	"github.com/git-dds/git-dds/internal/store"
)

// FuzzParseContentKeyEntry: whatever bytes a remote holds as a content key
// entry, parsing them never panics, and what is accepted is a signature
// that the entry held, with a newline at most after it.
func FuzzParseContentKeyEntry(f *testing.F) {
	f.Add([]byte(sig(1) + "\n"))
	f.Add([]byte(sig(1)))
	f.Add([]byte(strings.ToUpper(sig(1))))
	f.Add([]byte("../records/" + sig(1)))
	f.Add([]byte(sig(1) + "\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parseContentKeyEntry(data)
		if err != nil {
			return
		}
		if !store.ValidID(got) || (string(data) != got && string(data) != got+"\n") {
			t.Fatalf("accepted %q from %q", got, data)
		}
	})
}
