package ui

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/vbauerster/mpb/v8"
)

// Away from a terminal a transfer prints one line once it ends, in the
// units of the bar, and never a redrawn bar.
func TestMeterLogsOneLine(t *testing.T) {
	var log bytes.Buffer
	m := NewMeter(&log, Direction{"uploading", "uploaded", "to origin"}, 3<<20)
	if _, err := io.Copy(io.Discard, m.Reader(bytes.NewReader(make([]byte, 3<<20)))); err != nil {
		t.Fatal(err)
	}
	m.Finish(true)
	want := regexp.MustCompile(`^git dds: uploaded 3\.0 MiB to origin in [0-9.]+(ms|s) \([0-9.]+ [KMG]?i?B/s\)\n$`)
	if !want.MatchString(log.String()) {
		t.Errorf("the log says %q, want one line matching %s", log.String(), want)
	}
}

// A terminal's bar shows the time left, and sizes in binary units.
func TestBarShowsETA(t *testing.T) {
	var out bytes.Buffer
	m := newBar(&out, Direction{"downloading", "downloaded", "from origin"}, 2<<20, mpb.WithAutoRefresh(), mpb.WithWidth(200)) // a terminal of 200 columns
	if _, err := io.Copy(io.Discard, m.Reader(bytes.NewReader(make([]byte, 1<<20)))); err != nil {
		t.Fatal(err)
	}
	m.Finish(false)
	s := out.String()
	for _, want := range []string{"git dds: downloading", "MiB", "ETA"} {
		if !strings.Contains(s, want) {
			t.Errorf("the bar %q lacks %q", s, want)
		}
	}
}
