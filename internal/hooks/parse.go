package hooks

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// PushedRef is one line of pre-push input: a ref the push will update.
type PushedRef struct {
	// LocalRef is the source of the push as git names it (a full ref name,
	// HEAD, or an object name), "(delete)" when the push deletes RemoteRef.
	LocalRef string
	// LocalSHA is the object RemoteRef will point to; all zeros on delete.
	LocalSHA  string
	RemoteRef string
	// RemoteSHA is what RemoteRef points to now; all zeros when the push
	// creates it.
	RemoteSHA string
	// Delete is true when the push deletes RemoteRef.
	Delete bool
}

// Rewrite is one line of post-rewrite input: a commit and its rewrite.
type Rewrite struct {
	OldSHA string
	NewSHA string
	// Extra is the command-dependent extra info; git writes none today.
	Extra string
}

// ParsePrePush reads pre-push standard input: lines of
// "<local ref> SP <local sha> SP <remote ref> SP <remote sha> LF". Object
// ids are SHA-1 or SHA-256, lowercase hex. A line that does not have that
// form is an error naming it.
func ParsePrePush(r io.Reader) ([]PushedRef, error) {
	var refs []PushedRef
	err := eachLine(r, "pre-push", func(line string) error {
		fields := strings.Split(line, " ")
		if len(fields) != 4 {
			return fmt.Errorf("has %d space-separated fields, want 4: <local ref> <local sha> <remote ref> <remote sha>", len(fields))
		}
		ref := PushedRef{LocalRef: fields[0], LocalSHA: fields[1], RemoteRef: fields[2], RemoteSHA: fields[3]}
		if ref.LocalRef == "" || ref.RemoteRef == "" {
			return fmt.Errorf("has an empty ref name")
		}
		if err := checkObjectIDs(ref.LocalSHA, ref.RemoteSHA); err != nil {
			return err
		}
		ref.Delete = isZeroID(ref.LocalSHA)
		refs = append(refs, ref)
		return nil
	})
	return refs, err
}

// ParsePostRewrite reads post-rewrite standard input: lines of
// "<old sha> SP <new sha> [SP <extra info>] LF". A line that does not have
// that form is an error naming it.
func ParsePostRewrite(r io.Reader) ([]Rewrite, error) {
	var rewrites []Rewrite
	err := eachLine(r, "post-rewrite", func(line string) error {
		fields := strings.SplitN(line, " ", 3)
		if len(fields) < 2 {
			return fmt.Errorf("has %d space-separated fields, want <old sha> <new sha> [<extra info>]", len(fields))
		}
		rw := Rewrite{OldSHA: fields[0], NewSHA: fields[1]}
		if len(fields) == 3 {
			if fields[2] == "" {
				return fmt.Errorf("ends with a space but has no extra info")
			}
			rw.Extra = fields[2]
		}
		if err := checkObjectIDs(rw.OldSHA, rw.NewSHA); err != nil {
			return err
		}
		rewrites = append(rewrites, rw)
		return nil
	})
	return rewrites, err
}

// eachLine calls parse on every line of r, without its LF, and names the
// hook and the line in an error. Unlike bufio.ScanLines it keeps a CR,
// which git never writes, so that such a line is an error. The last line
// may lack its LF.
func eachLine(r io.Reader, hook string, parse func(line string) error) error {
	lines := bufio.NewScanner(r)
	lines.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			return i + 1, data[:i], nil
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	})
	n := 0
	for lines.Scan() {
		n++
		if err := parse(lines.Text()); err != nil {
			return fmt.Errorf("reading %s input: line %d %q %w", hook, n, lines.Text(), err)
		}
	}
	if err := lines.Err(); err != nil {
		return fmt.Errorf("reading %s input after line %d: %w", hook, n, err)
	}
	return nil
}

// checkObjectIDs accepts two object ids of one repository: lowercase hex,
// 40 digits (SHA-1) or 64 (SHA-256), both the same length.
func checkObjectIDs(a, b string) error {
	for _, id := range []string{a, b} {
		if (len(id) != 40 && len(id) != 64) || strings.Trim(id, "0123456789abcdef") != "" {
			return fmt.Errorf("has %q where an object id (40 or 64 lowercase hex digits) belongs", id)
		}
	}
	if len(a) != len(b) {
		return fmt.Errorf("mixes object ids of %d and %d hex digits", len(a), len(b))
	}
	return nil
}

func isZeroID(id string) bool {
	return strings.Trim(id, "0") == ""
}
