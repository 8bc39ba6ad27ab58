package experiment

import (
	"bytes"
	"io"
	"sync"
)

// prefixWriter starts every line with an experiment's name, so that the
// output of experiments running side by side stays readable. Lines are
// written whole, one at a time across the experiments sharing mu.
type prefixWriter struct {
	mu      *sync.Mutex
	w       io.Writer
	prefix  string
	pending []byte
}

func lineWriter(w io.Writer, mu *sync.Mutex, prefix string) *prefixWriter {
	if w == nil {
		w = io.Discard
	}
	return &prefixWriter{mu: mu, w: w, prefix: prefix}
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending = append(p.pending, b...)
	for {
		i := bytes.IndexByte(p.pending, '\n')
		if i < 0 {
			break
		}
		if _, err := io.WriteString(p.w, p.prefix+string(p.pending[:i+1])); err != nil {
			return 0, err
		}
		p.pending = p.pending[i+1:]
	}
	return len(b), nil
}

// Flush writes a last line that had no newline.
func (p *prefixWriter) Flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pending) > 0 {
		_, _ = io.WriteString(p.w, p.prefix+string(p.pending)+"\n")
		p.pending = nil
	}
}
