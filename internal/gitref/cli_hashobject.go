package gitref

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// hashWithFilters hashes files the way git add would, attributes and
// filters applied, through one git hash-object process.
func (r *Repo) hashWithFilters(ctx context.Context, paths []string) ([]plumbing.Hash, error) {
	var stdin bytes.Buffer
	for _, p := range paths {
		stdin.WriteString(quoteStdinPath(p))
		stdin.WriteByte('\n')
	}
	out, err := r.runGit(ctx, stdin.Bytes(), "hash-object", "--stdin-paths")
	if err != nil {
		return nil, fmt.Errorf("hashing %d files with their git attributes: %w", len(paths), err)
	}
	fields := strings.Fields(string(out))
	if len(fields) != len(paths) {
		return nil, fmt.Errorf("git hash-object returned %d ids for %d files", len(fields), len(paths))
	}
	ids := make([]plumbing.Hash, len(paths))
	for i, f := range fields {
		if !isObjectID(f) {
			return nil, fmt.Errorf("git hash-object printed %q for %s, not an object id", truncate(f, 80), paths[i])
		}
		ids[i] = plumbing.NewHash(f)
	}
	return ids, nil
}

// quoteStdinPath writes a path for git's --stdin-paths, which reads one
// path per line, drops a trailing carriage return, and unquotes a line that
// starts with a double quote, C style.
func quoteStdinPath(p string) string {
	if !strings.ContainsAny(p, "\n\r") && !strings.HasPrefix(p, `"`) {
		return p
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\%03o`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
