// Package human writes sizes and durations the way people read them, in
// one unit system for every message, summary and progress bar.
package human

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
