package gitref

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// pipelineFile is the one untracked file Overlay.ReadFile reads: a new
// pipeline is read before it is ever committed.
const pipelineFile = "dds.yaml"

// emptyBlobHex is the id of the empty blob.
const emptyBlobHex = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"

// Overlay is the working tree as the next commit would record it if every
// tracked file were committed as it is on disk (git commit -a): Lookup
// gives the blob and tree ids that commit would have. Untracked files are
// not part of it, deleted tracked files are absent.
//
// An Overlay reads the index once, when made, and stats or hashes a file
// only when a look-up needs it, once: it answers from what it saw first,
// so take a new one after files change. It is safe for concurrent use.
type Overlay struct {
	repo     *Repo
	ctx      context.Context
	index    *indexSnapshot
	settings worktreeSettings

	mu sync.Mutex
	// files says what each index entry resolved to, by the entry's slot:
	// a byte per file, since nearly every file of a status is as the
	// index records it; a file that differs keeps its state in differing.
	// A whole fileState per slot made the overlay of a large index one of
	// the largest things a status held.
	files     []fileKind
	differing map[int]fileState
	trees     map[string]treeState
	// changedDirs holds every folder above a file that differs from its
	// index entry: only the others may take their id from the index's
	// cache tree.
	changedDirs map[string]bool
	// realDirs remembers whether a folder is a real directory on disk all
	// the way from the root: git treats files under a folder that became
	// a symlink as deleted, and so must we, or we would read outside.
	realDirs map[string]bool
	// filteredDirs remembers whether a .gitattributes on disk in a folder
	// or above it may filter the files in it.
	filteredDirs map[string]bool
	// staleFiles counts the files hashed only because their stat data
	// differs from the index's, their content being what the index holds
	// (after a cp -a, a touch, a restore by another tool), and staleBytes
	// their size: every later overlay hashes them again until git's index
	// is refreshed (RefreshGitIndex).
	staleFiles int
	staleBytes int64
	// watch is what core.fsmonitor's hook said, nil without one.
	watch *watchState
}

// fileState is a tracked file as the next commit would record it.
type fileState struct {
	present bool
	mode    filemode.FileMode
	id      plumbing.Hash
}

// fileKind is what became of one index entry in an overlay.
type fileKind uint8

const (
	fileUnresolved fileKind = iota // not looked at yet
	fileAsIndexed                  // present, with the index's mode and id
	fileAbsent                     // deleted, or not a file git would commit
	fileDiffering                  // present, with the state Overlay.differing holds
	filePending                    // being looked at by a sweep, which sets what it is
)

// file gives what the file of slot resolved to. Callers hold o.mu.
func (o *Overlay) file(slot int) fileState {
	switch o.files[slot] {
	case fileAsIndexed:
		e := &o.index.entries[slot]
		return fileState{present: true, mode: e.mode, id: e.id}
	case fileDiffering:
		return o.differing[slot]
	}
	return fileState{}
}

// setFile records what the file of slot resolved to. Callers hold o.mu.
func (o *Overlay) setFile(slot int, f fileState) {
	e := &o.index.entries[slot]
	delete(o.differing, slot)
	switch {
	case !f.present:
		o.files[slot] = fileAbsent
	case f.mode == e.mode && f.id == e.id:
		o.files[slot] = fileAsIndexed
	default:
		o.files[slot] = fileDiffering
		o.differing[slot] = f
	}
}

// resolved reports whether the file of slot was looked at, or is being
// looked at by a sweep. Callers hold o.mu.
func (o *Overlay) resolved(slot int) bool { return o.files[slot] != fileUnresolved }

// treeState is a tracked folder as the next commit would record it; a
// folder left with no files is absent, as git records no empty trees.
type treeState struct {
	present bool
	id      plumbing.Hash
}

// Worktree reads the index and returns the overlay of the working tree.
// ctx bounds the git processes later look-ups may start.
func (r *Repo) Worktree(ctx context.Context) (*Overlay, error) {
	snap, err := r.readIndex(ctx)
	if err != nil {
		return nil, err
	}
	settings := r.readWorktreeSettings(snap)
	o := newOverlay(ctx, r, snap, settings)
	if r.UseFSMonitor {
		o.watch = r.startWatch(ctx, snap, settings)
	}
	return o, nil
}

// Refresh returns an overlay that looks at the files again, for checking
// that nothing moved while a command ran. It decodes the index again only
// if the index file changed: in a large repository that is most of the
// cost of a new overlay.
func (o *Overlay) Refresh(ctx context.Context) (*Overlay, error) {
	info, err := os.Stat(o.repo.indexPath)
	if err != nil || o.index.stamp == "" || indexStamp(info) != o.index.stamp {
		return o.repo.Worktree(ctx)
	}
	return newOverlay(ctx, o.repo, o.index, o.settings), nil
}

// newOverlay starts an overlay with nothing looked at yet.
func newOverlay(ctx context.Context, r *Repo, snap *indexSnapshot, settings worktreeSettings) *Overlay {
	return &Overlay{
		repo:         r,
		ctx:          ctx,
		index:        snap,
		settings:     settings,
		files:        make([]fileKind, snap.len()),
		differing:    make(map[int]fileState),
		trees:        make(map[string]treeState),
		changedDirs:  make(map[string]bool),
		realDirs:     map[string]bool{"": true},
		filteredDirs: make(map[string]bool),
	}
}

// Prefetch looks at every tracked file at or under paths in one parallel
// sweep, so that the Lookups that follow answer from memory. Many small
// dep folders would otherwise each be examined on their own, one file at a
// time.
func (o *Overlay) Prefetch(paths []string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	// The runs of slots first, merged where paths overlap (a folder many
	// stages read, a file under a folder read too), so that the list of
	// slots is made once, at its size, each slot in it once: grown file
	// by file, it was allocated about twice over.
	runs := make([][2]int, 0, len(paths))
	for _, path := range paths {
		p, err := cleanPath(path)
		if err != nil {
			continue // Lookup reports it
		}
		if e, isFile := o.index.entry(p); isFile {
			runs = append(runs, [2]int{int(e.slot), int(e.slot) + 1})
		} else if lo, hi := o.index.under(p); lo < hi {
			runs = append(runs, [2]int{lo, hi})
		}
	}
	slices.SortFunc(runs, func(a, b [2]int) int { return cmp.Compare(a[0], b[0]) })
	merged, total := runs[:0], 0
	for _, r := range runs {
		if n := len(merged); n > 0 && r[0] <= merged[n-1][1] {
			merged[n-1][1] = max(merged[n-1][1], r[1])
			continue
		}
		merged = append(merged, r)
	}
	for _, r := range merged {
		total += r[1] - r[0]
	}
	slots := make([]int, 0, total)
	for _, r := range merged {
		for slot := r[0]; slot < r[1]; slot++ {
			if !o.resolved(slot) {
				slots = append(slots, slot)
			}
		}
	}
	return o.resolveFiles(slots)
}

// Lookup returns the blob id of a tracked file (the commit id of a
// submodule, which a path inside the submodule also gives) or the tree id
// of a folder with tracked files, as the next commit would record them.
func (o *Overlay) Lookup(path string) (Entry, bool, error) {
	p, err := cleanPath(path)
	if err != nil {
		return Entry{}, false, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if e, isFile := o.index.entry(p); isFile {
		if err := o.resolveFiles([]int{int(e.slot)}); err != nil {
			return Entry{}, false, err
		}
		f := o.file(int(e.slot))
		if !f.present {
			return Entry{}, false, nil
		}
		return Entry{ID: f.id.String()}, true, nil
	}
	if sub, inside := o.enclosingSubmodule(p); inside {
		if err := o.resolveFiles([]int{int(sub.slot)}); err != nil {
			return Entry{}, false, err
		}
		if o.submoduleLacks(o.index.path(int(sub.slot)), p) {
			return Entry{}, false, nil
		}
		return Entry{ID: o.file(int(sub.slot)).id.String()}, true, nil
	}
	if !o.index.isDir(p) {
		return Entry{}, false, nil
	}
	if _, done := o.trees[p]; !done {
		if err := o.resolveFiles(o.filesUnder(p, nil)); err != nil {
			return Entry{}, false, err
		}
	}
	t := o.tree(p)
	if !t.present {
		return Entry{}, false, nil
	}
	return Entry{ID: t.id.String(), Dir: true}, true, nil
}

// Tracked reports whether the index holds path as a file or holds files
// under it, whatever is on disk.
func (o *Overlay) Tracked(path string) bool {
	p, err := cleanPath(path)
	if err != nil {
		return false
	}
	_, isFile := o.index.entry(p)
	return isFile || o.index.isDir(p)
}

// TrackedDir reports whether the index holds files under path.
func (o *Overlay) TrackedDir(path string) bool {
	p, err := cleanPath(path)
	if err != nil {
		return false
	}
	return o.index.isDir(p)
}

// ReadFile returns the content on disk of a tracked file (of a symlink: its
// target, as git stores it), or of the pipeline file, tracked or not. A
// file a sparse checkout leaves off disk reads from the index's blob.
func (o *Overlay) ReadFile(path string) ([]byte, error) {
	p, err := cleanPath(path)
	if err != nil {
		return nil, err
	}
	e, isFile := o.index.entry(p)
	isDir := o.index.isDir(p)
	switch {
	case isDir:
		return nil, fmt.Errorf("reading %s: it is a folder, not a file", displayPath(p))
	case isFile && e.mode == filemode.Submodule:
		return nil, fmt.Errorf("reading %s: it is a submodule, not a file", p)
	case !isFile && p != pipelineFile:
		return nil, fmt.Errorf("reading %s: git does not track it; git add it first: %w", p, fs.ErrNotExist)
	case isFile && e.skipWorktree:
		// A sparse checkout leaves it off disk; the commit keeps the
		// index's content.
		o.repo.objects.Lock()
		defer o.repo.objects.Unlock()
		data, err := o.repo.readBlob(e.id)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		return data, nil
	}
	// The root is a folder: a file there is read without the lock, which
	// a sweep of the deps holds while it runs.
	inside := true
	if dir := parentDir(p); dir != "" {
		o.mu.Lock()
		inside = o.isRealDir(dir)
		o.mu.Unlock()
	}
	if !inside {
		return nil, fmt.Errorf("reading %s: a folder above it is not a directory on disk: %w", p, fs.ErrNotExist)
	}
	abs := o.abs(p)
	info, err := os.Lstat(abs)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(abs)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		return []byte(target), nil
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return data, nil
}

// abs is the path on disk of a clean repository path.
func (o *Overlay) abs(p string) string {
	if p == "" {
		return o.repo.Root
	}
	return o.repo.Root + string(filepath.Separator) + filepath.FromSlash(p)
}

// filesUnder appends the slots of the tracked files under dir that no
// look-up resolved yet.
func (o *Overlay) filesUnder(dir string, acc []int) []int {
	lo, hi := o.index.under(dir)
	for slot := lo; slot < hi; slot++ {
		if !o.resolved(slot) {
			acc = append(acc, slot)
		}
	}
	return acc
}

// tree computes the tree id of dir from its files, which must be resolved,
// exactly as git write-tree would. A folder whose files all match the index
// takes the id the index's cache tree holds for it, if any: the id git
// write-tree would write, without building and hashing the trees below.
func (o *Overlay) tree(dir string) treeState {
	if t, ok := o.trees[dir]; ok {
		return t
	}
	if id, ok := o.index.cacheTree[dir]; ok && !o.changedDirs[dir] {
		t := treeState{present: true, id: id}
		o.trees[dir] = t
		return t
	}
	var items []treeItem
	prefix := len(dir)
	if dir != "" {
		prefix++ // the slash
	}
	lo, hi := o.index.under(dir)
	for slot := lo; slot < hi; {
		rest := o.index.path(slot)[prefix:]
		name, _, inFolder := strings.Cut(rest, "/")
		if !inFolder {
			if f := o.file(slot); f.present {
				items = append(items, treeItem{name: name, mode: f.mode, id: f.id})
			}
			slot++
			continue
		}
		sub := joinPath(dir, name)
		if t := o.tree(sub); t.present {
			items = append(items, treeItem{name: name, mode: filemode.Dir, id: t.id})
		}
		_, slot = o.index.under(sub)
	}
	t := treeState{present: len(items) > 0 || dir == ""}
	if t.present {
		t.id = treeObjectID(items)
	}
	o.trees[dir] = t
	return t
}

// treeItem is one entry of a tree object.
type treeItem struct {
	name string
	mode filemode.FileMode
	id   plumbing.Hash
}

// treeObjectID returns the id of the tree object holding items, encoded as
// git encodes it: sorted in git's tree order, each "MODE NAME\0" followed
// by the raw id.
func treeObjectID(items []treeItem) plumbing.Hash {
	slices.SortFunc(items, treeOrder)
	var buf []byte
	for _, it := range items {
		buf = strconv.AppendUint(buf, uint64(it.mode), 8)
		buf = append(buf, ' ')
		buf = append(buf, it.name...)
		buf = append(buf, 0)
		buf = append(buf, it.id[:]...)
	}
	return plumbing.ComputeHash(plumbing.TreeObject, buf)
}

// treeOrder is git's order of tree entries: by name, a folder compared as
// if its name ended in "/" (so "a.b" < "a/" < "a0").
func treeOrder(a, b treeItem) int {
	n := min(len(a.name), len(b.name))
	if c := strings.Compare(a.name[:n], b.name[:n]); c != 0 {
		return c
	}
	return cmp.Compare(a.byteAt(n), b.byteAt(n))
}

// byteAt is the name's byte at i, past its end "/" for a folder and 0
// otherwise.
func (it treeItem) byteAt(i int) byte {
	switch {
	case i < len(it.name):
		return it.name[i]
	case it.mode == filemode.Dir:
		return '/'
	}
	return 0
}

// resolveFiles decides, for each tracked file not resolved yet (by slot),
// what the next commit would record: stat in parallel, trust the index
// where the stat data says the file is unchanged, hash the rest. It
// reorders and overwrites slots.
//
// A sweep keeps a byte per file and a state only for the few that are
// not as the index records them: at 250,000 files, a path, an entry
// pointer and a state per file were the most a status held at once.
func (o *Overlay) resolveFiles(slots []int) error {
	todo := o.unresolved(slots)
	if o.watch != nil {
		todo = o.takeTrusted(todo)
	}
	if len(todo) == 0 {
		return nil
	}
	resolved := false
	defer func() {
		if !resolved {
			// A failure leaves the slots to be looked at again.
			for _, slot := range todo {
				o.files[slot] = fileUnresolved
			}
		}
	}()
	lastDir := "\x00" // no folder's name
	for _, slot := range todo {
		// Paths come folder by folder: ask once per folder.
		if dir := parentDir(o.index.path(slot)); dir != lastDir {
			o.isRealDir(dir)
			lastDir = dir
		}
	}
	root, err := openStatRoot(o.repo.Root)
	if err != nil {
		return fmt.Errorf("checking the working tree: %w", err)
	}
	defer root.Close()
	// kinds[i] says what todo[i] resolved to; a file that differs from
	// its entry, or whose content must be hashed, has its state in odd.
	kinds := make([]fileKind, len(todo))
	needsContent := make([]bool, len(todo))
	var (
		oddMu sync.Mutex
		odd   = map[int]fileState{}
	)
	err = forEachParallel(o.ctx, len(todo), func(i int) error {
		slot := todo[i]
		e := &o.index.entries[slot]
		state, need, err := o.examine(root, o.index.path(slot), e)
		if err != nil {
			return err
		}
		switch {
		case !need && !state.present:
			kinds[i] = fileAbsent
		case !need && state.mode == e.mode && state.id == e.id:
			kinds[i] = fileAsIndexed
		default:
			kinds[i], needsContent[i] = fileDiffering, need
			oddMu.Lock()
			odd[i] = state
			oddMu.Unlock()
		}
		return nil
	})
	if err != nil {
		return err
	}

	var inProcess, throughGit []int
	for i, slot := range todo {
		switch {
		case !needsContent[i]:
		case odd[i].mode != filemode.Symlink && o.filtersMayApply(o.index.path(slot)):
			throughGit = append(throughGit, i)
		default:
			inProcess = append(inProcess, i)
		}
	}
	hashed := make([]plumbing.Hash, len(inProcess))
	err = forEachParallel(o.ctx, len(inProcess), func(k int) error {
		p := o.index.path(todo[inProcess[k]])
		id, err := hashFile(o.abs(p))
		if err != nil {
			return fmt.Errorf("hashing %s: %w", p, err)
		}
		hashed[k] = id
		return nil
	})
	if err != nil {
		return err
	}
	for k, i := range inProcess {
		st := odd[i]
		st.id = hashed[k]
		odd[i] = st
	}
	if len(throughGit) > 0 {
		filtered := make([]string, len(throughGit))
		for k, i := range throughGit {
			filtered[k] = o.index.path(todo[i])
		}
		ids, err := o.repo.hashWithFilters(o.ctx, filtered)
		if err != nil {
			return err
		}
		for k, i := range throughGit {
			st := odd[i]
			st.id = ids[k]
			odd[i] = st
		}
	}
	for i, slot := range todo {
		e := &o.index.entries[slot]
		var state fileState
		switch kinds[i] {
		case fileAsIndexed:
			state = fileState{present: true, mode: e.mode, id: e.id}
		case fileDiffering:
			state = odd[i]
		}
		o.setFile(slot, state)
		clean := state == (fileState{present: true, mode: e.mode, id: e.id}) && !e.intentToAdd && !e.conflicted
		if !clean {
			o.markChanged(parentDir(o.index.path(slot)))
		} else if o.watch != nil && trustable(e) {
			o.watch.verified[e.slot] = true
		} else if needsContent[i] && e.hasStat && o.gitSeesStale(root, o.index.path(slot), e) {
			o.staleFiles++
			o.staleBytes += int64(e.stat.size) // the size mod 2^32, as the index keeps it
		}
	}
	resolved = true
	return nil
}

// takeTrusted resolves the files the file-system monitor vouches for to
// their index state, and returns the other slots, in todo's room. Callers
// hold o.mu.
func (o *Overlay) takeTrusted(todo []int) []int {
	keep := todo[:0]
	for _, slot := range todo {
		if e := &o.index.entries[slot]; o.watch.trusted[slot] && trustable(e) {
			o.files[slot] = fileAsIndexed
			continue
		}
		keep = append(keep, slot)
	}
	return keep
}

// markChanged records that dir and the folders above it hold a file that
// differs from the index. Callers hold o.mu.
func (o *Overlay) markChanged(dir string) {
	for !o.changedDirs[dir] {
		o.changedDirs[dir] = true
		if dir == "" {
			return
		}
		dir = parentDir(dir)
	}
}

// unresolved gives the slots not resolved yet, each once, in the room of
// slots: a pipeline names its params file once per stage, and a slot
// listed twice would be stat'ed, and hashed, twice.
func (o *Overlay) unresolved(slots []int) []int {
	todo := slots[:0]
	for _, slot := range slots {
		if !o.resolved(slot) {
			// Marked now, so that a slot listed twice is taken once;
			// resolveFiles clears the marks of a failed sweep, and
			// sets what each file resolved to after a good one.
			o.files[slot] = filePending
			todo = append(todo, slot)
		}
	}
	return todo
}

// examine stats one tracked file. Reading only maps filled before the
// parallel phase, it runs on any goroutine. needsContent means the id
// must come from hashing the file's content.
func (o *Overlay) examine(root statRoot, p string, e *indexEntry) (state fileState, needsContent bool, err error) {
	recorded := fileState{present: true, mode: e.mode, id: e.id}
	if e.mode == filemode.Submodule && o.realDirs[parentDir(p)] {
		// The commit the submodule has checked out, as git status and
		// git commit -a take it; the index's gitlink may be older.
		head, ok, err := submoduleHead(o.abs(p))
		if err != nil {
			return fileState{}, false, fmt.Errorf("reading the commit submodule %s has checked out: %w", p, err)
		}
		if ok {
			return fileState{present: true, mode: e.mode, id: head}, false, nil
		}
		return recorded, false, nil
	}
	if e.mode == filemode.Submodule || e.skipWorktree {
		return recorded, false, nil
	}
	if !o.realDirs[parentDir(p)] {
		return fileState{}, false, nil
	}
	disk, err := root.lstat(p)
	if isMissing(err) {
		return fileState{}, false, nil
	}
	if err != nil {
		return fileState{}, false, fmt.Errorf("checking %s: %w", p, err)
	}
	mode, ok := o.settings.modeOnDisk(disk.mode, e.mode)
	switch {
	case !ok && disk.mode.IsDir():
		// A file replaced by a folder: git add -u drops the file.
		return fileState{}, false, nil
	case !ok:
		return fileState{}, false, fmt.Errorf("%s is a %s; git tracks only files, symlinks and submodules", p, disk.mode.Type())
	case o.unchanged(e, disk, mode):
		return fileState{present: true, mode: mode, id: e.id}, false, nil
	case disk.mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(o.abs(p))
		if err != nil {
			return fileState{}, false, fmt.Errorf("reading symlink %s: %w", p, err)
		}
		return fileState{present: true, mode: mode, id: plumbing.ComputeHash(plumbing.BlobObject, []byte(target))}, false, nil
	}
	return fileState{present: true, mode: mode}, true, nil
}

// diskStat is what the overlay compares of a file on disk: its type and
// permission bits, and the stat data git records in the index.
type diskStat struct {
	mode    fs.FileMode
	stat    statData
	hasStat bool // false where the platform's stat layout is unknown
}

// statOf reduces a FileInfo to a diskStat.
func statOf(info fs.FileInfo) diskStat {
	st, ok := fileStatData(info)
	return diskStat{mode: info.Mode(), stat: st, hasStat: ok}
}

// unchanged reports whether the index's id still holds for the file, by
// git's rules: same stat data, and not racily clean.
func (o *Overlay) unchanged(e *indexEntry, disk diskStat, mode filemode.FileMode) bool {
	if !e.hasStat || e.conflicted || e.intentToAdd || !disk.hasStat {
		return false
	}
	if (e.mode == filemode.Symlink) != (mode == filemode.Symlink) {
		return false
	}
	st := disk.stat
	recorded := e.stat
	switch {
	case st.size != recorded.size,
		st.mtimeSec != recorded.mtimeSec, st.mtimeNsec != recorded.mtimeNsec,
		o.settings.checkInode && st.inode != recorded.inode,
		o.settings.trustCtime && (st.ctimeSec != recorded.ctimeSec || st.ctimeNsec != recorded.ctimeNsec):
		return false
	case recorded.size == 0 && e.id != plumbing.NewHash(emptyBlobHex):
		// git zeroes the size of an entry it found racily clean when
		// rewriting the index: the content must be compared.
		return false
	}
	return o.index.writtenAfter(recorded)
}

// gitSeesStale reports whether git too finds the stat data of the clean
// file p stale, so that git update-index --refresh would rewrite it. git
// compares whole seconds unless built with USE_NSEC (Debian's git is not):
// a file that differs only in nanoseconds is hashed by us every time, and
// a refresh would leave its entry as it is, so it must not count.
func (o *Overlay) gitSeesStale(root statRoot, p string, e *indexEntry) bool {
	disk, err := root.lstat(p)
	if err != nil || !disk.hasStat {
		return false
	}
	st, recorded := disk.stat, e.stat
	return st.size != recorded.size || st.mtimeSec != recorded.mtimeSec ||
		o.settings.checkInode && st.inode != recorded.inode ||
		o.settings.trustCtime && st.ctimeSec != recorded.ctimeSec
}

// isRealDir reports whether dir and every folder above it are real
// directories on disk, remembering the answers. Callers hold o.mu.
func (o *Overlay) isRealDir(dir string) bool {
	if isDir, ok := o.realDirs[dir]; ok {
		return isDir
	}
	isDir := o.isRealDir(parentDir(dir))
	if isDir {
		info, err := os.Lstat(o.abs(dir))
		isDir = err == nil && info.IsDir()
	}
	o.realDirs[dir] = isDir
	return isDir
}

// filtersMayApply reports whether git might filter the content of p on its
// way into a blob (end-of-line conversion, LFS, any clean filter), so it
// must be hashed by git. Callers hold o.mu.
func (o *Overlay) filtersMayApply(p string) bool {
	return o.settings.filtersEverywhere || o.attributesOnDisk(parentDir(p))
}

// attributesOnDisk reports whether dir or a folder above it has a
// .gitattributes file on disk, tracked or not: git reads both.
func (o *Overlay) attributesOnDisk(dir string) bool {
	if found, ok := o.filteredDirs[dir]; ok {
		return found
	}
	found := dir != "" && o.attributesOnDisk(parentDir(dir))
	if !found {
		_, err := os.Lstat(filepath.Join(o.abs(dir), ".gitattributes"))
		found = err == nil
	}
	o.filteredDirs[dir] = found
	return found
}

// isMissing reports whether err says nothing is at a path, including
// because a folder on the way is a file.
func isMissing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// parentDir is the folder holding p ("" for a top-level name).
func parentDir(p string) string {
	dir, _ := splitPath(p)
	return dir
}

// TrackedWithSuffix lists the paths the index holds whose name ends in
// suffix, in the index's order: git dds's pin files.
func (o *Overlay) TrackedWithSuffix(suffix string) []string {
	var out []string
	for slot := range o.index.len() {
		if p := o.index.path(slot); strings.HasSuffix(p, suffix) {
			out = append(out, p)
		}
	}
	return out
}
