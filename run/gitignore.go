package run

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/renameio/v2"

	"github.com/git-dds/git-dds/store"
)

const (
	ignoreBegin = "# >>> git dds outputs: managed by git dds from dds.yaml, edits are replaced >>>"
	ignoreEnd   = "# <<< git dds outputs <<<"
)

// SyncGitignore keeps a marked block in the root .gitignore listing every
// output, so that outputs never show up as untracked files. The rest of the
// file is the user's and is kept byte for byte.
func SyncGitignore(root string, outs []string) error {
	path := filepath.Join(root, ".gitignore")
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading .gitignore: %w", err)
	}
	updated := withIgnoreBlock(string(old), outs)
	if updated == string(old) {
		return nil
	}
	if err := renameio.WriteFile(path, []byte(updated), 0o644); err != nil {
		return fmt.Errorf("updating .gitignore: %w", err)
	}
	return nil
}

// withIgnoreBlock returns content with the managed block replaced (or
// appended) by one listing outs, anchored at the root.
func withIgnoreBlock(content string, outs []string) string {
	var block strings.Builder
	block.WriteString(ignoreBegin + "\n")
	// Materialization builds next to the destination under this name; a
	// crash must not leave it showing as an untracked file.
	block.WriteString(store.WorkTreeTempGlob + "\n")
	for _, o := range outs {
		block.WriteString("/" + escapeIgnore(o) + "\n")
	}
	block.WriteString(ignoreEnd + "\n")

	begin := strings.Index(content, ignoreBegin)
	if begin >= 0 {
		if end := strings.Index(content[begin:], ignoreEnd); end >= 0 {
			tail := content[begin+end+len(ignoreEnd):]
			tail = strings.TrimPrefix(tail, "\n")
			return content[:begin] + block.String() + tail
		}
	}
	if len(outs) == 0 {
		return content
	}
	if content != "" && !strings.HasSuffix(content, "\n") {
		content += "\n"
	}
	return content + block.String()
}

// escapeIgnore quotes the characters gitignore patterns give meaning to, so
// an output path matches itself only.
func escapeIgnore(p string) string {
	var b strings.Builder
	for _, r := range p {
		switch r {
		case '*', '?', '[', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	s := b.String()
	if strings.HasSuffix(s, " ") {
		s = s[:len(s)-1] + "\\ "
	}
	return s
}
