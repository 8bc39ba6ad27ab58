// Package workspace owns one working tree and what git dds does to it: it
// executes stale stages in DAG order, reuses recorded ones, places outputs
// from the store (checkout, sync after a hook), reports each stage's state
// (status), previews a merge, and moves computations to and from a remote.
package workspace

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/git-dds/git-dds/internal/blake3"
	"github.com/git-dds/git-dds/internal/config"
	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/remote"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/store"
)

// Workspace is one working tree with its store and index.
type Workspace struct {
	Repo *gitref.Repo
	// Dir holds the store, the index and the locks (Settings.StoreDir).
	Dir string
	// Settings are the repository's dds.* settings.
	Settings *config.Settings
	Store    *store.Store
	Link     store.LinkMode
	// IndexOptions tells how long to wait for another git dds.
	IndexOptions index.Options
	// Stderr receives stage output, progress and warnings.
	Stderr io.Writer
	// Progress, when set, shows the transfers a run makes with its remote:
	// a bar on a terminal, a line anywhere else.
	Progress io.Writer
	// Env looks up environment variables that enter signatures.
	Env signature.Env
	// Remote, when set, is asked for a signature before run executes it,
	// and holds the lease while it does: one computation per signature
	// across everyone sharing it.
	Remote *remote.Remote

	// remoteDown is set once the remote failed during a run, which then
	// goes on without it.
	remoteDown atomic.Bool
	// reclaimed is set once this process removed the temporary files of
	// dead processes from the store.
	reclaimed atomic.Bool

	// indexMu serializes this process's goroutines on the index: badger
	// admits one opener, and our file lock would make them wait anyway.
	indexMu sync.Mutex
	// sharedIndexMu, when set, replaces indexMu: the workspaces of one
	// process's linked worktrees (ForWorktree) share one index, and
	// waiting on each other there rather than on the index's file lock
	// spares them the message meant for another process.
	sharedIndexMu *sync.Mutex
	// early, when set, delivers the index HoldIndexRead (read-only) or
	// HoldIndexJournal is opening, once; held keeps it for the reads,
	// and the journal's writes, that follow.
	early chan openedIndex
	held  openedIndex
}

type openedIndex struct {
	ix  *index.Index
	err error
}

// NewWorkspace opens the store of repo, whose settings are settings. It
// links outputs as settings.Link says; the caller refuses a bad value.
func NewWorkspace(repo *gitref.Repo, settings *config.Settings, stderr io.Writer) (*Workspace, error) {
	// A credential in the committed .ddsconfig is refused by every
	// command, not only those that consult a remote.
	if err := remote.CheckTeam(settings); err != nil {
		return nil, err
	}
	dir := settings.StoreDir(repo)
	st, err := store.Open(dir)
	if err != nil {
		return nil, err
	}
	return &Workspace{
		Repo:     repo,
		Dir:      dir,
		Settings: settings,
		Store:    st,
		Link:     settings.Link.Value,
		Stderr:   stderr,
		Env:      os.LookupEnv,
	}, nil
}

// OpenRemote opens the remote req asks for, chosen by the one
// default-remote policy (remote.Choose); nil when req goes without one.
// Commands and hooks open every remote through it.
func (w *Workspace) OpenRemote(ctx context.Context, req remote.Request) (*remote.Remote, error) {
	return remote.OpenWanted(ctx, w.Settings, req)
}

// WantedRemote is the remote OpenRemote would open for req, not opened
// (see remote.Wanted); ok is false when req goes without one.
func (w *Workspace) WantedRemote(req remote.Request) (c remote.Config, ok bool, err error) {
	return remote.Wanted(w.Settings, req)
}

// UseDefaultRemote sets w.Remote to the default remote, for the commands
// and hooks that consult one (remote.Consulted); the returned func closes
// it and unsets w.Remote. There is none when offline, with no remote
// configured, or with several and dds.remote naming none of them.
func (w *Workspace) UseDefaultRemote(ctx context.Context, offline bool) (func(), error) {
	if offline {
		return func() {}, nil
	}
	r, err := w.OpenRemote(ctx, remote.Request{Purpose: remote.Consulted})
	if err != nil || r == nil {
		return func() {}, err
	}
	w.Remote = r
	return func() {
		w.Remote = nil
		r.Close()
	}, nil
}

// WithIndex opens the index for the duration of fn only, so that no other
// git dds waits on us longer than a metadata operation.
func (w *Workspace) WithIndex(ctx context.Context, fn func(ix *index.Index) error) error {
	return w.withIndex(ctx, false, fn)
}

// WithIndexJournal is WithIndex for an fn that writes little, as a hook
// does (the notes of what it placed, a branch's namespace): its batches go
// to the index's journal, one append and one sync each, rather than to a
// writable opening of badger (see index.Options.Journal).
func (w *Workspace) WithIndexJournal(ctx context.Context, fn func(ix *index.Index) error) error {
	return w.openIndex(ctx, index.Options{Journal: true}, fn)
}

// WithIndexRead is WithIndex for an fn that only reads: the index opens
// read-only, a fifth of the cost of a writable opening.
func (w *Workspace) WithIndexRead(ctx context.Context, fn func(ix *index.Index) error) error {
	return w.withIndex(ctx, true, fn)
}

func (w *Workspace) withIndex(ctx context.Context, readOnly bool, fn func(ix *index.Index) error) error {
	return w.openIndex(ctx, index.Options{ReadOnly: readOnly}, fn)
}

// openIndex opens the index as mode says (its ReadOnly and Journal), with
// the workspace's other options, for the duration of fn.
func (w *Workspace) openIndex(ctx context.Context, mode index.Options, fn func(ix *index.Index) error) error {
	readOnly := mode.ReadOnly
	w.indexLock().Lock()
	defer w.indexLock().Unlock()
	// The first writer of the process removes what ended processes left
	// in the store's tmp; a writer to the journal once its writes went
	// through, so that a store mounted read-only fails on the write, with
	// its own error, and not on the cleaning.
	reclaim := func() {
		if !readOnly && !w.reclaimed.Swap(true) {
			w.reclaimDeadTemps()
		}
	}
	if w.early != nil {
		// A held opening serves readers, and the journal's writers when
		// it takes writes (HoldIndexJournal); it is held for what
		// follows: not closed. A writer of badger needs its own.
		if ix := w.heldIndex(); ix != nil && (readOnly || mode.Journal && ix.Writable()) {
			if err := fn(ix); err != nil {
				return err
			}
			reclaim()
			return nil
		}
		w.releaseHeld()
	}
	opts := w.IndexOptions
	opts.ReadOnly, opts.Journal = readOnly, mode.Journal
	ix, err := index.Open(ctx, w.Dir, opts)
	if err != nil {
		return err
	}
	if !mode.Journal {
		reclaim()
	}
	if err := fn(ix); err != nil {
		ix.Close()
		return err
	}
	reclaim()
	return ix.Close()
}

// HoldIndexRead starts opening the index read-only in the background, for
// a command or hook that reads it several times and has work of its own to
// do first (status evaluates the working tree meanwhile, tens of
// milliseconds in a large repository). Every WithIndexRead then uses that
// one opening; the first WithIndex closes it, as does the returned release,
// which must be called once the caller is done reading. Other git dds wait
// for the index meanwhile: hold it across no execution and no transfer.
func (w *Workspace) HoldIndexRead(ctx context.Context) (release func()) {
	return w.holdIndex(ctx, index.Options{ReadOnly: true})
}

// HoldIndexJournal is HoldIndexRead for a hook that may then write a
// little: the held opening also serves WithIndexJournal, whose writes go
// to the index's journal without a second opening. It opens the index
// (creating it if there is none yet), so a store that cannot be written
// fails it, as the writes would.
func (w *Workspace) HoldIndexJournal(ctx context.Context) (release func()) {
	return w.holdIndex(ctx, index.Options{Journal: true})
}

func (w *Workspace) holdIndex(ctx context.Context, mode index.Options) (release func()) {
	w.indexLock().Lock()
	defer w.indexLock().Unlock()
	w.releaseHeld()
	early := make(chan openedIndex, 1)
	w.early = early
	opts := w.IndexOptions
	opts.ReadOnly, opts.Journal = mode.ReadOnly, mode.Journal
	go func() {
		ix, err := index.Open(ctx, w.Dir, opts)
		early <- openedIndex{ix, err}
	}()
	return func() {
		w.indexLock().Lock()
		defer w.indexLock().Unlock()
		if w.early == early {
			w.releaseHeld()
		}
	}
}

// heldIndex waits for the held index to open, and gives nil if it could
// not: the caller then opens one of its own, and reports what is wrong.
// Callers hold indexMu.
func (w *Workspace) heldIndex() *index.Index {
	if opened, ok := <-w.early; ok {
		w.held = opened
		close(w.early)
	}
	if w.held.err != nil {
		w.early, w.held = nil, openedIndex{}
		return nil
	}
	return w.held.ix
}

// releaseHeld closes the held index, if any. Callers hold indexMu.
func (w *Workspace) releaseHeld() {
	if w.early == nil {
		return
	}
	if ix := w.heldIndex(); ix != nil {
		ix.Close()
	}
	w.early, w.held = nil, openedIndex{}
}

// worktreeKey scopes index rows to this working tree: linked worktrees share
// one index but each has its own materialized outputs. It names the
// worktree's git folder relative to the store, which a repository moved or
// copied whole (mv, cp -a) keeps, as git worktree move does: an absolute
// path would lose every note in the new place, and each output there would
// then look edited by hand.
func (w *Workspace) worktreeKey() string {
	id := w.Repo.GitDir
	if rel, err := filepath.Rel(w.Dir, w.Repo.GitDir); err == nil {
		id = "rel:" + filepath.ToSlash(rel)
	}
	sum := blake3.Sum256([]byte(id))
	return hex.EncodeToString(sum[:8])
}

// legacyWorktreeKey is the key earlier versions used, from the absolute
// path of the git folder: notes written under it are still read.
func (w *Workspace) legacyWorktreeKey() string {
	sum := blake3.Sum256([]byte(w.Repo.GitDir))
	return hex.EncodeToString(sum[:8])
}

// reclaimDeadTemps removes from the store what processes that ended (a
// kill, a crash, a power loss) left being stored. Their temporary files
// are never read, so failing here fails nothing: the next command tries
// again.
func (w *Workspace) reclaimDeadTemps() {
	if _, err := w.Store.RemoveDeadTemps(); err != nil {
		fmt.Fprintf(w.Stderr, "git dds: warning: %v\n", err)
	}
}

// removeDeadWorkTreeTemps removes, beside the output at abs, the temporary
// names that processes which ended left while building it.
func (w *Workspace) removeDeadWorkTreeTemps(abs string) {
	temps, _ := filepath.Glob(filepath.Join(filepath.Dir(abs), "."+globEscape(filepath.Base(abs))+".dds-tmp-*"))
	for _, tmp := range temps {
		if w.Store.WorkTreeTempDead(tmp) {
			_ = os.RemoveAll(tmp)
		}
	}
}

// globEscape quotes the characters filepath.Match gives a meaning to.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ForWorktree is the workspace of another working tree of the same
// repository (a linked worktree git dds made), sharing w's store, index,
// settings and remote: what one computes, the other reuses. Its stage
// output goes to stderr.
func (w *Workspace) ForWorktree(repo *gitref.Repo, stderr io.Writer) *Workspace {
	return &Workspace{
		Repo:         repo,
		Dir:          w.Dir,
		Settings:     w.Settings,
		Store:        w.Store,
		Link:         w.Link,
		IndexOptions: w.IndexOptions,
		Stderr:       stderr,
		Env:          w.Env,
		Remote:       w.Remote,

		sharedIndexMu: w.indexLock(),
	}
}

// indexLock is the mutex that serializes this process's goroutines on the
// index. Workspaces sharing it never hold the index open between calls
// (HoldIndexRead), which would keep the others waiting.
func (w *Workspace) indexLock() *sync.Mutex {
	if w.sharedIndexMu != nil {
		return w.sharedIndexMu
	}
	return &w.indexMu
}
