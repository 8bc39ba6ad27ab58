package ui

import "testing"

func TestShortIDs(t *testing.T) {
	long := "0123456789abcdef0123456789abcdef01234567"
	for _, c := range []struct{ got, want string }{
		{ShortID(long), "0123456789ab"},
		{ShortCommit(long), "0123456"},
		{ShortID("abc"), "abc"},
		{ShortCommit(""), ""},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
