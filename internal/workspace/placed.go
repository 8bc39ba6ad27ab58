package workspace

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/git-dds/git-dds/internal/blake3"
	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/store"
)

// outputCondition is how a working-tree output compares with a record.
type outputCondition int

const (
	outputMissing outputCondition = iota
	outputMatches                 // holds exactly the recorded content
	outputOther                   // holds other content that git dds placed: safe to replace
	outputEdited                  // holds content git dds never placed: a user's edit
)

// fingerprint summarizes the stat data of a file, or of every file under a
// folder, cheaply enough to run on every status.
func fingerprint(abs string) (string, error) {
	info, err := os.Lstat(abs)
	if err != nil {
		return "", err
	}
	if !info.IsDir() {
		return statLine("", info), nil
	}
	h := blake3.New()
	err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(abs, p)
		fmt.Fprintln(h, statLine(rel, fi))
		return nil
	})
	if err != nil {
		return "", err
	}
	return "d:" + hex.EncodeToString(h.Sum(nil)), nil
}

func statLine(rel string, fi fs.FileInfo) string {
	var ino uint64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		ino = st.Ino
	}
	return fmt.Sprintf("%s %o %d %d %d", rel, fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), ino)
}

// loadPlaced reads what git dds last placed at each path.
func (w *Workspace) loadPlaced(ix *index.Index, paths []string) (map[string]index.Placed, error) {
	out := make(map[string]index.Placed, len(paths))
	for _, p := range paths {
		// An earlier version wrote its notes under the legacy key.
		note, ok, err := ix.PlacedAt(p, w.worktreeKey(), w.legacyWorktreeKey())
		if err != nil {
			return nil, err
		}
		if ok {
			out[p] = note
		}
	}
	return out, nil
}

// notePlaced records that path now holds contentID as git dds wrote it.
func (w *Workspace) notePlaced(b *index.Batch, path, contentID string, dir bool) error {
	fp, err := fingerprint(filepath.Join(w.Repo.Root, filepath.FromSlash(path)))
	if err != nil {
		return fmt.Errorf("reading back %s: %w", path, err)
	}
	if legacy := w.legacyWorktreeKey(); legacy != w.worktreeKey() {
		// Superseded: left, it would keep its object from git dds gc.
		if err := b.DeletePlaced(legacy, path); err != nil {
			return err
		}
	}
	return b.PutPlaced(w.worktreeKey(), path, index.Placed{ContentID: contentID, Dir: dir, Fingerprint: fp})
}

// condition compares the working-tree output at path with want. stale is
// set when the stat data no longer matched the note and the content had to
// be hashed, but the file still holds what git dds placed: the note is
// worth refreshing so that the next look needs no hashing (git refreshes
// its index the same way).
func (w *Workspace) condition(ctx context.Context, path string, want signature.Output, last index.Placed, known bool) (cond outputCondition, stale bool, err error) {
	abs := filepath.Join(w.Repo.Root, filepath.FromSlash(path))
	fp, err := fingerprint(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return outputMissing, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("reading %s: %w", path, err)
	}
	content := ""
	if known && last.Fingerprint == fp {
		content = last.ContentID
	} else {
		id, _, _, err := w.Store.HashPath(ctx, abs)
		if errors.Is(err, store.ErrSymlink) {
			// A symbolic link in place of the output, or inside a folder
			// output, is not what git dds placed, and not a content to
			// store: the user's edit, which checkout --force replaces.
			return outputEdited, false, nil
		}
		if err != nil {
			return 0, false, fmt.Errorf("hashing %s: %w", path, err)
		}
		content = id
		stale = true
	}
	switch {
	case content == want.ContentID:
		return outputMatches, stale, nil
	case known && content == last.ContentID:
		return outputOther, stale, nil
	case w.Store.Has(content):
		// No note says git dds put it here (the note is lost, or under
		// another worktree's key), but the store holds these very bytes:
		// replacing them loses nothing, so they are no hand edit.
		return outputOther, false, nil
	default:
		return outputEdited, false, nil
	}
}

// placedNotes collects, across stages running side by side, the outputs
// placed from the store, to be remembered in one batch.
type placedNotes struct {
	mu   sync.Mutex
	outs []signature.Output
}

func (n *placedNotes) add(outs ...signature.Output) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.outs = append(n.outs, outs...)
}

func (n *placedNotes) take() []signature.Output {
	n.mu.Lock()
	defer n.mu.Unlock()
	outs := n.outs
	n.outs = nil
	return outs
}

// ForgetPlaced drops every note of what git dds placed in this working
// tree, for a working tree about to be removed (an experiment's): left,
// its notes would keep their objects from git dds gc.
func (w *Workspace) ForgetPlaced(ctx context.Context) error {
	return w.WithIndex(ctx, func(ix *index.Index) error {
		var paths []string
		err := ix.PlacedIn(w.worktreeKey(), func(path string, _ index.Placed) error {
			paths = append(paths, path)
			return nil
		})
		if err != nil {
			return err
		}
		return w.forget(ix, paths)
	})
}
