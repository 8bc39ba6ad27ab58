package run

import (
	"fmt"
	"time"
)

// HumanBytes writes a size the way people read it: 4.2 MB.
func HumanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// HumanSeconds writes a duration rounded to what matters at its scale.
func HumanSeconds(s float64) string {
	return HumanDuration(time.Duration(s * float64(time.Second)))
}

// HumanDuration rounds d to what matters at its scale.
func HumanDuration(d time.Duration) string {
	switch {
	case d > time.Minute:
		return d.Round(time.Second).String()
	case d > time.Second:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Millisecond).String()
	}
}

// Count writes "1 output" or "3 outputs".
func Count(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
