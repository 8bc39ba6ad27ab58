package store

import (
	"strings"
	"testing"
)

func TestParseLinkMode(t *testing.T) {
	tests := []struct {
		in      string
		want    LinkMode
		wantErr bool
	}{
		{in: "", want: Copy},
		{in: "copy", want: Copy},
		{in: "hardlink", want: Hardlink},
		{in: "Copy", wantErr: true},
		{in: "symlink", wantErr: true},
		{in: "reflink", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseLinkMode(tt.in)
		if tt.wantErr {
			if err == nil || !strings.Contains(err.Error(), "copy or hardlink") {
				t.Errorf("ParseLinkMode(%q) error = %v, want one naming the accepted values", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseLinkMode(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if tt.in != "" && got.String() != tt.in {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), tt.in)
		}
	}
}
