package remote

import (
	"io"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// meter is a progress bar of bytes moved, drawn on a terminal only: a nil
// meter (no terminal, --json, a pipe) counts nothing and draws nothing.
type meter struct {
	progress *mpb.Progress
	bar      *mpb.Bar
}

func newMeter(w io.Writer, verb string, total int64) *meter {
	if w == nil || total <= 0 {
		return nil
	}
	p := mpb.New(mpb.WithOutput(w), mpb.WithWidth(32))
	bar := p.AddBar(total,
		mpb.PrependDecorators(decor.Name("git dds: "+verb+" "), decor.CountersKibiByte("% .1f / % .1f")),
		mpb.AppendDecorators(decor.AverageSpeed(decor.SizeB1024(0), "% .1f"), decor.Name(" "), decor.Percentage()),
	)
	return &meter{progress: p, bar: bar}
}

// reader counts what is read through it.
func (m *meter) reader(r io.Reader) io.Reader {
	if m == nil {
		return r
	}
	proxy, err := m.bar.ProxyReader(r)
	if err != nil {
		return r
	}
	return proxy
}

// finish completes the bar, or leaves it where a failure stopped it.
func (m *meter) finish(ok bool) {
	if m == nil {
		return
	}
	if ok {
		m.bar.SetTotal(-1, true)
	} else {
		m.bar.Abort(false)
	}
	m.progress.Wait()
}
