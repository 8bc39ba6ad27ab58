package maintenance

import (
	"strings"
	"testing"
)

func TestPlacedPath(t *testing.T) {
	tests := []struct {
		key, want string
		ok        bool
	}{
		{"wt/0123abcd/out/model.bin", "out/model.bin", true},
		{"wt/0123abcd/out", "out", true},
		{"wt/0123abcd/", "", false},
		{"wt/0123abcd", "", false},
		{"ns/refs/heads/main", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := placedPath(tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("placedPath(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzPlacedPath(f *testing.F) {
	f.Add("wt/0123abcd/out/model.bin")
	f.Add("wt//")
	f.Add("ns/x")
	f.Fuzz(func(t *testing.T, key string) {
		path, ok := placedPath(key)
		if ok && (path == "" || !strings.HasSuffix(key, "/"+path)) {
			t.Fatalf("placedPath(%q) = %q", key, path)
		}
	})
}
