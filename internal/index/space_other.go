//go:build !linux

package index

import "os"

// reserve does nothing where fallocate is not known: badger reports what
// it can.
func reserve(*os.File, int64) error { return nil }

// allocate does nothing where fallocate is not known.
func allocate(*os.File) error { return nil }
