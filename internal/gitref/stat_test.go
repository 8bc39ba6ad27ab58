package gitref

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// TestUnchanged checks git's rules for trusting the index's id of a file
// against one real file's stat data, varied one field at a time.
func TestUnchanged(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("content\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := os.Lstat(file)
	if err != nil {
		t.Fatal(err)
	}
	emptyInfo, err := os.Lstat(empty)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := fileStatData(info)
	if !ok {
		t.Skip("no stat data on this platform: every file is hashed")
	}
	emptySt, _ := fileStatData(emptyInfo)
	mtime := time.Unix(int64(st.mtimeSec), int64(st.mtimeNsec))
	later, same := mtime.Add(time.Second), mtime

	strict := worktreeSettings{trustCtime: true, checkInode: true}
	entry := func(change func(e *indexEntry)) *indexEntry {
		e := &indexEntry{id: plumbing.NewHash("d95f3ad14dee633a758d2e331151e950dd13e4ed"), mode: filemode.Regular, stat: st, hasStat: true}
		if change != nil {
			change(e)
		}
		return e
	}
	tests := []struct {
		name     string
		entry    *indexEntry
		info     os.FileInfo
		settings worktreeSettings
		written  time.Time
		want     bool
	}{
		{name: "same stat, index written later", entry: entry(nil), want: true},
		{name: "index written in the same tick (racy)", entry: entry(nil), written: same},
		{name: "index written before the file", entry: entry(nil), written: mtime.Add(-time.Second)},
		{name: "size differs", entry: entry(func(e *indexEntry) { e.stat.size++ })},
		{name: "mtime seconds differ", entry: entry(func(e *indexEntry) { e.stat.mtimeSec-- })},
		{name: "mtime nanoseconds differ", entry: entry(func(e *indexEntry) { e.stat.mtimeNsec ^= 1 })},
		{name: "inode differs", entry: entry(func(e *indexEntry) { e.stat.inode++ })},
		{name: "inode differs, core.checkStat minimal", entry: entry(func(e *indexEntry) { e.stat.inode++ }),
			settings: worktreeSettings{trustCtime: true}, want: true},
		{name: "ctime differs", entry: entry(func(e *indexEntry) { e.stat.ctimeNsec ^= 1 })},
		{name: "ctime differs, core.trustCtime false", entry: entry(func(e *indexEntry) { e.stat.ctimeNsec ^= 1 }),
			settings: worktreeSettings{checkInode: true}, want: true},
		{name: "no stat data", entry: entry(func(e *indexEntry) { e.hasStat = false })},
		{name: "intent to add", entry: entry(func(e *indexEntry) { e.intentToAdd = true })},
		{name: "conflicted", entry: entry(func(e *indexEntry) { e.conflicted = true })},
		{name: "index says symlink", entry: entry(func(e *indexEntry) { e.mode = filemode.Symlink })},
		{name: "size zeroed by git (smudged)", info: emptyInfo,
			entry: entry(func(e *indexEntry) { e.stat = emptySt })},
		{name: "really empty", info: emptyInfo,
			entry: entry(func(e *indexEntry) { e.stat = emptySt; e.id = plumbing.NewHash(emptyBlobHex) }), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			settings := tt.settings
			if settings == (worktreeSettings{}) {
				settings = strict
			}
			written := tt.written
			if written.IsZero() {
				written = later
			}
			fi := tt.info
			if fi == nil {
				fi = info
			}
			o := &Overlay{settings: settings, index: &indexSnapshot{written: written}}
			if got := o.unchanged(tt.entry, statOf(fi), filemode.Regular); got != tt.want {
				t.Errorf("unchanged = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestModeOnDisk(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	exe := filepath.Join(dir, "exe")
	link := filepath.Join(dir, "link")
	for p, mode := range map[string]os.FileMode{plain: 0o644, exe: 0o755} {
		if err := os.WriteFile(p, []byte("x"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("plain", link); err != nil {
		t.Fatal(err)
	}
	all := worktreeSettings{trustExecutableBit: true, hasSymlinks: true}
	tests := []struct {
		name     string
		path     string
		recorded filemode.FileMode
		settings worktreeSettings
		want     filemode.FileMode
		wantOK   bool
	}{
		{"plain", plain, filemode.Executable, all, filemode.Regular, true},
		{"executable", exe, filemode.Regular, all, filemode.Executable, true},
		{"symlink", link, filemode.Regular, all, filemode.Symlink, true},
		{"folder", dir, filemode.Regular, all, 0, false},
		{"executable bit not trusted", exe, filemode.Regular, worktreeSettings{hasSymlinks: true}, filemode.Regular, true},
		{"executable bit not trusted, recorded executable", plain, filemode.Executable, worktreeSettings{hasSymlinks: true}, filemode.Executable, true},
		{"symlink checked out as a file", plain, filemode.Symlink, worktreeSettings{trustExecutableBit: true}, filemode.Symlink, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := os.Lstat(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := tt.settings.modeOnDisk(info.Mode(), tt.recorded)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("modeOnDisk = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// The stat data read from the index, by go-git or through git ls-files,
// must match what this package reads from disk for files git considers
// unchanged; otherwise every look-up would hash every file.
func TestIndexStatDataMatchesDisk(t *testing.T) {
	tr := newTestRepo(t)
	tr.writeFixture()
	old := time.Now().Add(-time.Hour)
	err := filepath.Walk(tr.dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.Mode()&os.ModeSymlink != 0 {
			return err
		}
		return os.Chtimes(p, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
	tr.commitAll("first")
	r := tr.open()
	o, err := r.Worktree(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	viaGit, err := r.readIndexWithGit(t.Context(), o.index.written)
	if err != nil {
		t.Fatal(err)
	}
	for name, snap := range map[string]*indexSnapshot{"go-git": o.index, "git ls-files": viaGit} {
		o.index = snap
		for slot, p := range snap.allPaths() {
			e := &snap.entries[slot]
			if e.mode == filemode.Symlink {
				// Symlink mtimes were left as written: they may be racy.
				continue
			}
			info, err := os.Lstat(tr.path(p))
			if err != nil {
				t.Fatal(err)
			}
			mode, _ := o.settings.modeOnDisk(info.Mode(), e.mode)
			if !o.unchanged(e, statOf(info), mode) {
				t.Errorf("%s: %s looks changed; index stat %+v", name, p, e.stat)
			}
		}
	}
}
