package cli

import (
	"testing"
	"time"
)

func TestParseLockTimeout(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "60000", want: time.Minute},
		{in: "300", want: 300 * time.Millisecond},
		{in: "0", want: -1},
		{in: "-5", wantErr: true},
		{in: "soon", wantErr: true},
		{in: "1.5", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseLockTimeout(tt.in)
		if (err != nil) != tt.wantErr || !tt.wantErr && got != tt.want {
			t.Errorf("parseLockTimeout(%q) = %v, %v; want %v (error: %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzParseLockTimeout(f *testing.F) {
	for _, seed := range []string{"0", "60000", "-1", "x", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseLockTimeout(in)
		if err == nil && got == 0 {
			t.Fatalf("parseLockTimeout(%q) = 0, which the index reads as its default", in)
		}
	})
}
