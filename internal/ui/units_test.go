package ui

import "testing"

// Sizes are written in binary units, as the transfer bars draw them: a
// summary and the bar before it must agree.
func TestBytesIEC(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{1000 * 1000, "976.6 KiB"},
		{1 << 20, "1.0 MiB"},
		{500 << 20, "500.0 MiB"},
		{5 << 30, "5.0 GiB"},
		{3 << 40, "3.0 TiB"},
		{1<<63 - 1, "8.0 EiB"},
	} {
		if got := Bytes(c.n); got != c.want {
			t.Errorf("Bytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
