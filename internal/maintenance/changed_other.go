//go:build !linux

package maintenance

import (
	"io/fs"
	"time"
)

// changedAt is the last time the file's content changed.
func changedAt(fi fs.FileInfo) time.Time { return fi.ModTime() }
