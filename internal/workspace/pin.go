package workspace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/renameio/v2"

	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/pin"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/remote"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/ui"
)

// SourceOptions say how to reach a pinned source and how much to list.
type SourceOptions struct {
	// Endpoint and Region reach an S3-compatible server; empty, those of
	// the default dds remote when it is on s3://.
	Endpoint, Region string
	// MaxObjects bounds the listing; 0 is pin.DefaultMaxObjects.
	MaxObjects int
}

// source fills opts's defaults for url.
func (w *Workspace) source(url string, opts SourceOptions) remote.Source {
	src := remote.Source{URL: url, Endpoint: opts.Endpoint, Region: opts.Region}
	if src.Endpoint == "" && strings.HasPrefix(url, "s3://") {
		if c, err := remote.Select(w.Settings, ""); err == nil && strings.HasPrefix(c.URL, "s3://") {
			src.Endpoint = c.Endpoint
			if src.Region == "" {
				src.Region = c.Region
			}
		}
	}
	return src
}

// PinSource lists the source at url and gives its pin.
func (w *Workspace) PinSource(ctx context.Context, url string, opts SourceOptions) (*pin.Pin, error) {
	limit := opts.MaxObjects
	if limit <= 0 {
		limit = pin.DefaultMaxObjects
	}
	listed, err := remote.ListSource(ctx, w.source(url, opts), limit)
	if errors.Is(err, remote.ErrTooMany) {
		return nil, fmt.Errorf("%w; pin a narrower prefix, or raise the bound with git dds pin --max-objects N", err)
	}
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", remote.Redact(url), err)
	}
	objs := make([]pin.Object, len(listed))
	for i, o := range listed {
		objs[i] = pin.Object{Key: o.Key, Size: o.Size, ETag: o.ETag, Version: o.Version}
	}
	p, err := pin.NewSource(url, objs)
	if err != nil {
		return nil, fmt.Errorf("the listing of %s: %w", remote.Redact(url), err)
	}
	return p, nil
}

// ReadPin reads and checks the pin file at rel, a path in the working
// tree that must lead nowhere outside it.
func (w *Workspace) ReadPin(rel string, maxObjects int) (*pin.Pin, error) {
	abs, err := w.outputDest(rel)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(abs)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, pin.MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", rel, err)
	}
	return pin.Parse(rel, data, maxObjects)
}

// PinCheck is what git dds pin --check found for one pin file.
type PinCheck struct {
	File    string   `json:"file"`
	URL     string   `json:"url"`
	Kind    pin.Kind `json:"kind"`
	Matches bool     `json:"matches"`
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
	Changed []string `json:"changed"`
}

// PinFiles lists the pin files git tracks in the working tree.
func (w *Workspace) PinFiles(ctx context.Context) ([]string, error) {
	o, err := w.Repo.Worktree(ctx)
	if err != nil {
		return nil, err
	}
	return o.TrackedWithSuffix(pin.Suffix), nil
}

// pinFilesOf is PinFiles for a caller holding view: when view is the
// working tree's, its overlay has git's index read already, and the pin
// files are found there rather than by reading the index once more.
func (w *Workspace) pinFilesOf(ctx context.Context, view *namespace.View) ([]string, error) {
	if view != nil {
		if o, ok := view.Tree.(*gitref.Overlay); ok {
			return o.TrackedWithSuffix(pin.Suffix), nil
		}
	}
	return w.PinFiles(ctx)
}

// CheckPins lists the source of each source pin among files (every
// tracked pin file when none is given) and compares it with the pin: one
// listing per pin, the only requests git dds makes about pinned sources.
// A local file's pin is skipped.
func (w *Workspace) CheckPins(ctx context.Context, files []string, opts SourceOptions) ([]PinCheck, error) {
	if len(files) == 0 {
		var err error
		if files, err = w.PinFiles(ctx); err != nil {
			return nil, err
		}
	}
	out := []PinCheck{}
	for _, f := range files {
		want, err := w.ReadPin(f, opts.MaxObjects)
		if err != nil {
			return out, err
		}
		if want.Kind == pin.File {
			continue
		}
		got, err := w.PinSource(ctx, want.URL, opts)
		if err != nil {
			return out, fmt.Errorf("%s: %w", f, err)
		}
		d := pin.Compare(want, got)
		out = append(out, PinCheck{File: f, URL: want.URL, Kind: want.Kind, Matches: d.Empty(),
			Added: nonNil(d.Added), Removed: nonNil(d.Removed), Changed: nonNil(d.Changed)})
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WritePin saves p at rel in the working tree, atomically.
func (w *Workspace) WritePin(rel string, p *pin.Pin) error {
	abs, err := w.outputDest(rel)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return fmt.Errorf("creating the folder of %s: %w", rel, err)
	}
	if err := renameio.WriteFile(abs, pin.Format(p), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", rel, err)
	}
	return nil
}

// SavePin writes p at rel and stages it in git's index, ready to commit.
func (w *Workspace) SavePin(ctx context.Context, rel string, p *pin.Pin) error {
	if err := w.WritePin(rel, p); err != nil {
		return err
	}
	if _, err := w.Repo.Git(ctx, "add", "--", rel); err != nil {
		return fmt.Errorf("staging %s: %w", rel, err)
	}
	return nil
}

// PinnedFile is a local file a pin stands for.
type PinnedFile struct {
	Pin  string `json:"pin"`  // the pin file
	Path string `json:"path"` // the file, repository-relative
	ID   string `json:"id"`
	Size int64  `json:"size"`
}

// AddFile moves the file at rel into the store, as an output would go
// (hard link or copy per dds.link), writes rel.pin beside it and stages
// it with git add, and git-ignores the file: the pin goes into git, the
// bytes go to the store and, by git dds push, to the remote.
func (w *Workspace) AddFile(ctx context.Context, rel string) (*PinnedFile, error) {
	rel = path.Clean(filepath.ToSlash(rel))
	abs, err := w.outputDest(rel)
	if err != nil {
		return nil, err
	}
	info, err := os.Lstat(abs)
	switch {
	case err != nil:
		return nil, err
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a regular file; git dds add pins one file at a time", rel)
	}
	o, err := w.Repo.Worktree(ctx)
	if err != nil {
		return nil, err
	}
	if o.Tracked(rel) {
		return nil, fmt.Errorf("git tracks %s; untrack it first with git rm --cached %s, then git dds add %s", rel, rel, rel)
	}
	id, size, err := w.Store.IngestFile(ctx, abs, w.Link)
	if err != nil {
		return nil, fmt.Errorf("storing %s: %w", rel, err)
	}
	p, err := pin.NewFile(path.Base(rel), id, size)
	if err != nil {
		return nil, err
	}
	pf := &PinnedFile{Pin: rel + pin.Suffix, Path: rel, ID: id, Size: size}
	// The file is ignored before its pin is staged, so that no git add -A
	// in between takes the big file into git.
	if err := w.addExclude(ctx, rel); err != nil {
		return nil, err
	}
	if err := w.SavePin(ctx, pf.Pin, p); err != nil {
		return nil, err
	}
	out := signature.Output{Path: rel, ContentID: id, Size: size}
	return pf, w.notePlacedAll(ctx, []signature.Output{out})
}

// addExclude git-ignores rel beside the outputs of the working tree's
// dds.yaml and the pinned files.
func (w *Workspace) addExclude(ctx context.Context, rel string) error {
	var outs []string
	if data, err := os.ReadFile(filepath.Join(w.Repo.Root, pipeline.FileName)); err == nil {
		if p, err := pipeline.Parse(pipeline.FileName, data); err == nil {
			outs = p.Outs()
		}
	}
	return w.SyncExclude(ctx, append(outs, rel))
}

// placeAfterTidy places the pinned files t found. A pin that was refused
// is said as a warning, unless warn is false: the caller returns the
// refusal as its error.
func (w *Workspace) placeAfterTidy(ctx context.Context, t *Tidied, force, warn bool) (*PlacedPins, error) {
	if warn {
		for _, err := range t.refused {
			fmt.Fprintf(w.Stderr, "git dds: warning: %v; the file it pins is not placed\n", err)
		}
	}
	return w.placePins(ctx, t.pinned, force)
}

func pinnedPaths(files []PinnedFile) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Path
	}
	return out
}

// PinnedFiles reads the local files' pins git tracks in the working tree.
// A pin that is refused does not stop the others: refused says why, with
// the file and line.
func (w *Workspace) PinnedFiles(ctx context.Context) (files []PinnedFile, refused []error, err error) {
	return w.pinnedFilesOf(ctx, nil)
}

// pinnedFilesOf is PinnedFiles, finding the pin files in view's overlay
// when view is the working tree's (see pinFilesOf).
func (w *Workspace) pinnedFilesOf(ctx context.Context, view *namespace.View) (files []PinnedFile, refused []error, err error) {
	pins, err := w.pinFilesOf(ctx, view)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range pins {
		p, err := w.ReadPin(f, 0)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted, not yet committed
		}
		if err != nil {
			refused = append(refused, err)
			continue
		}
		if p.Kind != pin.File {
			continue
		}
		file := path.Join(path.Dir(f), p.Path)
		if _, err := w.outputDest(file); err != nil {
			refused = append(refused, fmt.Errorf("%s: %w", f, err))
			continue
		}
		files = append(files, PinnedFile{Pin: f, Path: file, ID: p.ID, Size: p.Size})
	}
	return files, refused, nil
}

// PlacedPins says what placing the pinned files did.
type PlacedPins struct {
	Placed  []string `json:"placed"`  // written from the store
	Fresh   []string `json:"fresh"`   // already right
	Missing []string `json:"missing"` // not in the store: git dds fetch brings them
	Edited  []string `json:"edited"`  // a user's bytes, left alone
}

// placePins writes each pinned file from the store where the working
// tree lacks it or holds what git dds placed for another pin; a file
// edited by hand is left (force replaces it).
func (w *Workspace) placePins(ctx context.Context, files []PinnedFile, force bool) (*PlacedPins, error) {
	res := &PlacedPins{Placed: []string{}, Fresh: []string{}, Missing: []string{}, Edited: []string{}}
	if len(files) == 0 {
		return res, nil
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	var notes map[string]index.Placed
	err := w.WithIndexRead(ctx, func(ix *index.Index) error {
		var err error
		notes, err = w.loadPlaced(ix, paths)
		return err
	})
	if err != nil {
		return nil, err
	}
	var todo, refresh []signature.Output
	var gone []string
	for _, f := range files {
		want := signature.Output{Path: f.Path, ContentID: f.ID, Size: f.Size}
		note, known := notes[f.Path]
		cond, stale, err := w.condition(ctx, f.Path, want, note, known)
		if err != nil {
			return nil, err
		}
		switch {
		case cond == outputMatches:
			res.Fresh = append(res.Fresh, f.Path)
			if stale || !known {
				refresh = append(refresh, want)
			}
		case cond == outputEdited && !force:
			res.Edited = append(res.Edited, f.Path)
		case !w.Store.Has(f.ID):
			res.Missing = append(res.Missing, f.Path)
			if cond == outputOther {
				// The bytes of another pin, which git dds placed: like a
				// stale stage's outputs, they must not pass for these.
				abs, err := w.outputDest(f.Path)
				if err != nil {
					return nil, err
				}
				if err := os.Remove(abs); err != nil {
					return nil, fmt.Errorf("removing %s, placed for another pin: %w", f.Path, err)
				}
				gone = append(gone, f.Path)
			}
		default:
			todo = append(todo, want)
			res.Placed = append(res.Placed, f.Path)
		}
	}
	if err := w.place(ctx, todo); err != nil {
		return nil, err
	}
	if len(todo)+len(refresh)+len(gone) == 0 {
		return res, nil
	}
	return res, w.WithIndex(ctx, func(ix *index.Index) error {
		if err := w.writeNotes(ix, slices.Concat(todo, refresh)); err != nil {
			return err
		}
		return w.forget(ix, gone)
	})
}

// PinObjects gives the content ids and sizes of the pinned files.
func PinObjects(files []PinnedFile) map[string]int64 {
	out := make(map[string]int64, len(files))
	for _, f := range files {
		out[f.ID] = f.Size
	}
	return out
}

// PushPins uploads the pinned files' objects the remote lacks.
func (w *Workspace) PushPins(ctx context.Context, r *remote.Remote, files []PinnedFile) (*remote.Transfer, error) {
	var ids []string
	for id := range PinObjects(files) {
		if w.Store.Has(id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return r.PushObjects(ctx, w.Local(), ids)
}

// FetchPins downloads the pinned files' objects the store lacks, and
// names the files whose objects the remote lacks too.
func (w *Workspace) FetchPins(ctx context.Context, r *remote.Remote, files []PinnedFile) (*remote.Transfer, []string, error) {
	t, missing, err := r.FetchObjects(ctx, w.Local(), PinObjects(files))
	absent := map[string]bool{}
	for _, id := range missing {
		absent[id] = true
	}
	var paths []string
	for _, f := range files {
		if absent[f.ID] {
			paths = append(paths, f.Path)
		}
	}
	return t, paths, err
}

// PinnedObjectsAt gives the content ids of the local files pinned in
// commit's tree, for gc to keep. A pin that is refused names nothing and
// is said in refused; it never stops the others.
func (w *Workspace) PinnedObjectsAt(ctx context.Context, commit string) (ids []string, refused []error, err error) {
	files, err := w.Repo.FilesWithSuffix(ctx, commit, pin.Suffix)
	if err != nil || len(files) == 0 {
		return nil, nil, err
	}
	tree, err := w.Repo.CommitTree(commit)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range files {
		if f.Size > pin.MaxFileBytes {
			refused = append(refused, fmt.Errorf("%s in %s: %d bytes, more than a pin file holds: %w", f.Path, ui.ShortID(commit), f.Size, pin.ErrInvalid))
			continue
		}
		data, err := tree.ReadFile(f.Path)
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s in %s: %w", f.Path, commit, err)
		}
		p, err := pin.Parse(f.Path, data, 0)
		if err != nil {
			refused = append(refused, fmt.Errorf("in %s: %w", ui.ShortID(commit), err))
			continue
		}
		if p.Kind == pin.File {
			ids = append(ids, p.ID)
		}
	}
	return ids, refused, nil
}

// PushPinsAt uploads the objects of the local files pinned in commits'
// trees that the store holds and the remote may lack: what the pre-push
// hook sends for the pushed commits, whichever is checked out.
func (w *Workspace) PushPinsAt(ctx context.Context, r *remote.Remote, commits []string) (*remote.Transfer, error) {
	seen := map[string]bool{}
	var ids []string
	for _, c := range commits {
		got, refused, err := w.PinnedObjectsAt(ctx, c)
		if err != nil {
			return nil, err
		}
		for _, err := range refused {
			fmt.Fprintf(w.Stderr, "git dds: warning: %v; the file it pins is not transferred\n", err)
		}
		for _, id := range got {
			if !seen[id] && w.Store.Has(id) {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	if len(ids) == 0 {
		return &remote.Transfer{}, nil
	}
	return r.PushObjects(ctx, w.Local(), ids)
}
