package ui

import "testing"

// A command and a hook that moved the same artifacts say so in the same
// words; the command adds the objects.
func TestTransferred(t *testing.T) {
	if got, want := Transferred("uploaded", 1, "to origin", 3<<20), "uploaded 1 artifact to origin (3.0 MiB)"; got != want {
		t.Errorf("Transferred = %q, want %q", got, want)
	}
	if got, want := TransferredObjects("downloaded", 2, "from origin", 10, 0), "downloaded 2 artifacts from origin (10 B in 0 objects)"; got != want {
		t.Errorf("TransferredObjects = %q, want %q", got, want)
	}
}
