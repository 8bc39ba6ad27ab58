//go:build !linux

package workspace

// marked finds no process where /proc is not there to read: a late writer
// then goes unseen at run time, and restores check sizes only.
func marked(string) []int { return nil }
