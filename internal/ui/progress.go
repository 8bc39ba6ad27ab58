package ui

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// Meter shows the bytes a transfer moves. On a terminal it draws a bar,
// with the rate and the time left; anywhere else (a CI log, a pipe) it
// prints one line once the transfer ends, since a bar redrawn there is
// noise. A nil Meter (no writer, nothing to move) shows nothing.
type Meter struct {
	progress *mpb.Progress
	bar      *mpb.Bar

	// A line instead of a bar: where to print it, and what to say.
	log     io.Writer
	dir     Direction
	total   int64
	moved   atomic.Int64
	started time.Time
}

// Direction words a transfer for people: "uploading", "uploaded" and
// "to origin".
type Direction struct{ Doing, Done, Where string }

// NewMeter shows a transfer of total bytes on w: a bar on a terminal, a
// line at the end elsewhere, nothing for a nil w or nothing to move.
func NewMeter(w io.Writer, dir Direction, total int64) *Meter {
	if w == nil || total <= 0 {
		return nil
	}
	if !IsTerminal(w) {
		return &Meter{log: w, dir: dir, total: total, started: time.Now()}
	}
	return newBar(w, dir, total)
}

func newBar(w io.Writer, dir Direction, total int64, opts ...mpb.ContainerOption) *Meter {
	p := mpb.New(append([]mpb.ContainerOption{mpb.WithOutput(w), mpb.WithWidth(32)}, opts...)...)
	bar := p.AddBar(total,
		mpb.PrependDecorators(decor.Name("git dds: "+dir.Doing+" "), decor.CountersKibiByte("% .1f / % .1f")),
		mpb.AppendDecorators(
			decor.AverageSpeed(decor.SizeB1024(0), "% .1f"), decor.Name(" "), decor.Percentage(),
			decor.Name(" ETA "), decor.OnComplete(decor.AverageETA(decor.ET_STYLE_GO), "done"),
		),
	)
	return &Meter{progress: p, bar: bar}
}

// IsTerminal reports whether w is a terminal, where a bar redrawn in place
// can be read.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// Reader counts what is read through it.
func (m *Meter) Reader(r io.Reader) io.Reader {
	if m == nil {
		return r
	}
	if m.bar == nil {
		return &counted{r: r, n: &m.moved}
	}
	proxy, err := m.bar.ProxyReader(r)
	if err != nil {
		return r
	}
	return proxy
}

// Finish completes the bar, or leaves it where a failure stopped it; a
// meter without a bar says in one line what moved.
func (m *Meter) Finish(ok bool) {
	if m == nil {
		return
	}
	if m.bar == nil {
		moved := m.moved.Load()
		took := time.Since(m.started)
		if ok {
			fmt.Fprintf(m.log, "git dds: %s %s %s in %s (%s/s)\n", m.dir.Done, Bytes(moved), m.dir.Where,
				Duration(took), Bytes(int64(float64(moved)/max(took.Seconds(), 0.001))))
		} else {
			fmt.Fprintf(m.log, "git dds: %s %s of %s %s, then stopped, in %s\n", m.dir.Done, Bytes(moved), Bytes(m.total), m.dir.Where, Duration(took))
		}
		return
	}
	if ok {
		m.bar.SetTotal(-1, true)
	} else {
		m.bar.Abort(false)
	}
	m.progress.Wait()
}

type counted struct {
	r io.Reader
	n *atomic.Int64
}

func (c *counted) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
