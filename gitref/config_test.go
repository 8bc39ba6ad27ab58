package gitref

import "testing"

func TestParseBool(t *testing.T) {
	for v, want := range map[string]bool{"true": true, "Yes": true, "on": true, "1": true, "false": false, "no": false, "OFF": false, "0": false, "": false} {
		if got, ok := ParseBool(v); !ok || got != want {
			t.Errorf("ParseBool(%q) = %v, %v; want %v", v, got, ok, want)
		}
	}
	for _, v := range []string{"2", "maybe", "tru"} {
		if _, ok := ParseBool(v); ok {
			t.Errorf("ParseBool(%q) took it for a boolean", v)
		}
	}
}
