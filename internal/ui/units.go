// Package ui is how git dds speaks to people: sizes, durations and counts
// in one unit system, abbreviated ids, transfer bars and the summaries
// that follow them. Commands and library packages alike word their
// messages with it, so that every line agrees with the others.
//
// It sits at the bottom of the module: it imports no other package of it.
package ui

import (
	"fmt"
	"time"
)

// Bytes writes a size in binary units (4.2 MiB), the units the transfer
// bars draw, so that a summary agrees with the bar before it.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Duration rounds d to what matters at its scale.
func Duration(d time.Duration) string {
	switch {
	case d > time.Minute:
		return d.Round(time.Second).String()
	case d > time.Second:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Millisecond).String()
	}
}

// Seconds writes a duration given in seconds, as Duration does.
func Seconds(s float64) string {
	return Duration(time.Duration(s * float64(time.Second)))
}

// Count writes "1 output" or "3 outputs".
func Count(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
