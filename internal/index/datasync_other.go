//go:build !linux

package index

import "os"

// dataSync makes f's bytes durable (fsync where there is no fdatasync).
func dataSync(f *os.File) error { return f.Sync() }
