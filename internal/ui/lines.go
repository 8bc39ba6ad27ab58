package ui

import (
	"bytes"
	"io"
	"sync"
)

// PrefixWriter starts every line written to it with a prefix (a stage's
// or an experiment's name), so that the output of commands running side
// by side stays readable. Lines are written whole; writers that share a
// mutex write one line at a time between them.
type PrefixWriter struct {
	mu      *sync.Mutex
	w       io.Writer
	prefix  string
	pending []byte
}

// NewPrefixWriter writes to w (nothing when nil), under mu, or a mutex of
// its own when mu is nil.
func NewPrefixWriter(w io.Writer, mu *sync.Mutex, prefix string) *PrefixWriter {
	if w == nil {
		w = io.Discard
	}
	if mu == nil {
		mu = new(sync.Mutex)
	}
	return &PrefixWriter{mu: mu, w: w, prefix: prefix}
}

func (p *PrefixWriter) Write(b []byte) (int, error) {
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
func (p *PrefixWriter) Flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pending) > 0 {
		_, _ = io.WriteString(p.w, p.prefix+string(p.pending)+"\n")
		p.pending = nil
	}
}
