package workspace

import (
	"fmt"
	"time"

	"github.com/git-dds/git-dds/internal/human"
)

// HumanBytes writes a size the way people read it, in binary units
// (4.2 MiB): the units of the transfer bars.
func HumanBytes(n int64) string { return human.Bytes(n) }

// HumanSeconds writes a duration rounded to what matters at its scale.
func HumanSeconds(s float64) string {
	return HumanDuration(time.Duration(s * float64(time.Second)))
}

// HumanDuration rounds d to what matters at its scale.
func HumanDuration(d time.Duration) string { return human.Duration(d) }

// Count writes "1 output" or "3 outputs".
func Count(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
