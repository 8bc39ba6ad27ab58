//go:build !linux && !darwin

package gitref

import "io/fs"

// fileStatData reports no stat data where this package does not know the
// platform's stat layout: every file is then hashed, which is slower but
// gives the same ids.
func fileStatData(fs.FileInfo) (statData, bool) {
	return statData{}, false
}
