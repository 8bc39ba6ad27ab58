package workspace

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zeebo/blake3"

	"github.com/git-dds/git-dds/internal/config"
	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/remote"
	"github.com/git-dds/git-dds/internal/store"
)

// The hostile-remote fuzz target: whatever a folder remote holds (records,
// manifests, objects, symbolic links where its folders go), fetch, pull
// and checkout --force write nothing outside the repository and its store,
// nothing under .git but .git/dds, and place no output whose bytes differ
// from the content id its record states.
//
// Records and the manifest are templates, so that mutations keep reaching
// past the id checks: @F and @D become the signatures of the pipeline's
// file and folder stages, @O the id of the object, @S its size, @M the id
// of the manifest and @T the folder's size as the manifest states it.

// hostilePipeline is the repository's dds.yaml: one file output and one
// folder output, in a folder of their own.
const hostilePipeline = `stages:
  file:
    cmd: mkdir -p out && echo data > out/data.txt
    outs: [out/data.txt]
  folder:
    cmd: mkdir -p dir && echo part > dir/part
    outs: [dir]
`

// Link bits of the fuzz input: symbolic links planted before the fetch.
const (
	linkRemoteObjects = 1 << iota // the remote's objects/ → the outside folder
	linkRemoteRecord              // the file stage's record → a record outside the remote
	linkWorkTreeOut               // the working tree's out/ → the outside folder
	linkWorkTreeDir               // the working tree's dir → .git/hooks
	linkRemoteRecords             // the remote's records/ → a folder outside holding them
)

func FuzzHostileRemote(f *testing.F) {
	const object = "data\n"
	good := func(stage, path, sig, id, size string, dir bool) string {
		d := ""
		if dir {
			d = `,"dir":true`
		}
		return `{"v":1,"signature":"` + sig + `","stage":"` + stage + `","outputs":[{"path":"` + path +
			`","content_id":"` + id + `","size":` + size + d + `}],"duration_ns":1,"inputs":[],"host":"h","time":"2024-01-02T03:04:05Z"}`
	}
	manifest := "dds-manifest v1\n0644 @S @O \"part\"\n"
	for _, seed := range []struct {
		file, dir, manifest string
		links               byte
	}{
		{good("file", "out/data.txt", "@F", "@O", "@S", false), good("folder", "dir", "@D", "@M", "@T", true), manifest, 0},
		{good("file", "../outside/x", "@F", "@O", "@S", false), good("folder", ".git/hooks", "@D", "@M", "@T", true), manifest, 0},
		{good("file", "dds.yaml", "@F", "@O", "@S", false), good("folder", "dir", "@D", "@M", "@T", true), "dds-manifest v1\n0755 @S @O \".git/hooks/post-checkout\"\n", 0},
		{good("file", "out/data.txt", "@F", "@O", "@S", false), good("folder", "dir", "@D", "@M", "@T", true), "dds-manifest v1\n0644 @S @O \"../../x\"\n", 0},
		{good("file", "out/data.txt", "@F", "@O", "1", false), good("folder", "dir", "@D", "@M", "99", true), manifest, 0},
		{good("file", "out/data.txt", "@F", "@O", "@S", false), good("folder", "dir", "@D", "@M", "@T", true), manifest, linkRemoteObjects | linkRemoteRecord},
		{good("file", "out/data.txt", "@F", "@O", "@S", false), good("folder", "dir", "@D", "@M", "@T", true), manifest, linkWorkTreeOut | linkWorkTreeDir},
		{good("file", "out/data.txt", "@F", "@O", "@S", false), good("folder", "dir", "@D", "@M", "@T", true), manifest, linkRemoteRecords},
		{good("file", "out/data.txt", "@D", "@O", "@S", false), good("folder", "out/data.txt", "@D", "@O", "@S", false), manifest, 0},
	} {
		f.Add([]byte(seed.file), []byte(seed.dir), []byte(seed.manifest), []byte(object), seed.links)
	}

	template, view := hostileTemplate(f)
	var sigFile, sigDir string
	for _, sv := range view.Stages {
		switch sv.Stage.Name {
		case "file":
			sigFile = sv.Signature
		case "folder":
			sigDir = sv.Signature
		}
	}

	f.Fuzz(func(t *testing.T, fileRec, dirRec, manifestTmpl, obj []byte, links byte) {
		ctx := context.Background()
		world := t.TempDir()
		copyTree(t, template, world)
		repoDir := filepath.Join(world, "repo")
		remoteDir := filepath.Join(world, "remote")
		outside := filepath.Join(world, "outside")

		// The remote: the object, the manifest, and the records.
		objID := b3(obj)
		fill := func(b []byte, manifestID string, total int) []byte {
			s := string(b)
			s = strings.ReplaceAll(s, "@F", sigFile)
			s = strings.ReplaceAll(s, "@D", sigDir)
			s = strings.ReplaceAll(s, "@O", objID)
			s = strings.ReplaceAll(s, "@S", strconv.Itoa(len(obj)))
			s = strings.ReplaceAll(s, "@M", manifestID)
			s = strings.ReplaceAll(s, "@T", strconv.Itoa(total))
			return []byte(s)
		}
		man := fill(manifestTmpl, "", len(obj))
		manID := b3(man)
		putKey(t, remoteDir, objectKeyOf(objID), obj)
		putKey(t, remoteDir, objectKeyOf(manID), man)
		putKey(t, remoteDir, "records/"+sigFile, fill(fileRec, manID, len(obj)))
		putKey(t, remoteDir, "records/"+sigDir, fill(dirRec, manID, len(obj)))
		if links&linkRemoteObjects != 0 {
			mustSymlink(t, outside, filepath.Join(remoteDir, "objects-elsewhere"))
			must(t, os.Rename(filepath.Join(remoteDir, "objects"), filepath.Join(outside, "objects")))
			must(t, os.Rename(filepath.Join(remoteDir, "objects-elsewhere"), filepath.Join(remoteDir, "objects")))
		}
		if links&linkRemoteRecord != 0 {
			rec := filepath.Join(remoteDir, "records", sigFile)
			must(t, os.Rename(rec, filepath.Join(outside, "record")))
			mustSymlink(t, filepath.Join(outside, "record"), rec)
		}
		if links&linkRemoteRecords != 0 && links&linkRemoteRecord == 0 {
			must(t, os.Rename(filepath.Join(remoteDir, "records"), filepath.Join(outside, "records")))
			mustSymlink(t, filepath.Join(outside, "records"), filepath.Join(remoteDir, "records"))
		}
		if links&linkWorkTreeOut != 0 {
			mustSymlink(t, outside, filepath.Join(repoDir, "out"))
		}
		if links&linkWorkTreeDir != 0 {
			mustSymlink(t, filepath.Join(repoDir, ".git", "hooks"), filepath.Join(repoDir, "dir"))
		}
		before := guarded(t, world, true)
		beforeOutside := guarded(t, world, false)

		// The template's repository, moved: no git to ask again.
		git := filepath.Join(repoDir, ".git")
		repo := &gitref.Repo{Root: repoDir, GitDir: git, CommonDir: git}
		settings, err := config.Load(repo)
		if err != nil {
			t.Fatal(err)
		}
		ws, err := NewWorkspace(repo, settings, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		ws.Store.SetDurable(false)
		r, err := remote.OpenToPush(ctx, remote.Config{Name: "origin", URL: (&url.URL{Scheme: "file", Path: filepath.ToSlash(remoteDir)}).String()})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		r.Jobs = 2
		// Errors are expected: the invariants below are what matters.
		_, _ = ws.Fetch(ctx, r, Computations(view), nil)
		_, _ = ws.Checkout(ctx, view, false)
		_, _ = ws.Checkout(ctx, view, true)

		if after := guarded(t, world, true); after != before {
			t.Fatalf("files outside the working tree and the store changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		checkStore(t, ws.Store)
		checkPlaced(t, ws, view)

		// A collection of the remote reads its listings and the records
		// they name, and deletes keys: inside the remote only.
		_, _ = r.Collect(ctx, ws.Local(), map[string]bool{sigFile: true}, nil, 0, false)
		if after := guarded(t, world, false); after != beforeOutside {
			t.Fatalf("collecting the remote changed files outside it:\nbefore:\n%s\nafter:\n%s", beforeOutside, after)
		}
	})
}

// hostileTemplate makes, once, a committed repository with hostilePipeline,
// an empty outside folder beside it, and the view of its working tree.
func hostileTemplate(f *testing.F) (string, *namespace.View) {
	home := f.TempDir()
	for k, v := range map[string]string{
		"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, ".config"), "GIT_CONFIG_NOSYSTEM": "1",
		"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com",
		"GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.com", "LC_ALL": "C",
	} {
		f.Setenv(k, v)
	}
	for _, k := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_CONFIG_GLOBAL"} {
		f.Setenv(k, "")
		os.Unsetenv(k)
	}
	top, err := filepath.EvalSymlinks(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	repoDir := filepath.Join(top, "repo")
	for _, d := range []string{repoDir, filepath.Join(top, "outside"), filepath.Join(top, "remote")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			f.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(repoDir, "dds.yaml"), []byte(hostilePipeline), 0o644); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repoDir, ".gitignore"), []byte("/out/data.txt\n/dir\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "pipeline"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repoDir
		if out, err := cmd.CombinedOutput(); err != nil {
			f.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	// A sample hook, as git init leaves: what a planted hook would replace.
	if err := os.WriteFile(filepath.Join(repoDir, ".git", "hooks", "pre-commit.sample"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		f.Fatal(err)
	}
	repo, err := gitref.Open(context.Background(), repoDir)
	if err != nil {
		f.Fatal(err)
	}
	view, err := namespace.Load(context.Background(), repo, "", os.LookupEnv)
	if err != nil {
		f.Fatal(err)
	}
	return top, view
}

// guarded lists what fetch and checkout must leave alone under world:
// everything but the declared outputs, the ignore rules git dds keeps
// (.gitignore, .git/info/exclude) and the store (.git/dds): the rest of
// .git, the tracked files, the folder outside, and, with withRemote, the
// remote.
// Each line is a path, its mode, size and content hash. A .git folder
// anywhere in the working tree (a repository git would obey) fails t.
func guarded(t *testing.T, world string, withRemote bool) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(world, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(world, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == "repo/.git/dds", rel == "remote" && !withRemote:
			return fs.SkipDir // the store and the index; the remote
		case rel == "repo/.gitignore", rel == "repo/.git/info/exclude":
			return nil // the ignore rules checkout keeps
		case rel == "repo/out/data.txt" || rel == "repo/dir":
			if d.IsDir() {
				return fs.SkipDir // an output, which a record may make a folder
			}
			return nil
		case rel == "repo/out":
			return nil // the folder of an output, made by checkout; what else it holds is guarded
		}
		if d.IsDir() && strings.EqualFold(d.Name(), ".git") && rel != "repo/.git" {
			t.Errorf("%s: a .git folder inside the working tree", rel)
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %v %d", rel, info.Mode(), info.Size())
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " %s", b3(data))
		}
		b.WriteByte('\n')
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// checkStore: every object in the store holds the content its name says.
func checkStore(t *testing.T, st *store.Store) {
	t.Helper()
	err := st.Walk(func(id string, _ int64) error {
		if err := st.Verify(context.Background(), id); err != nil {
			return fmt.Errorf("object %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkPlaced: every output the working tree holds at a path its stage
// declares, and the index has a record for, is exactly that record's
// content; and nothing is at a path no stage declares.
func checkPlaced(t *testing.T, ws *Workspace, view *namespace.View) {
	t.Helper()
	ctx := context.Background()
	err := ws.WithIndexRead(ctx, func(ix *index.Index) error {
		for _, sv := range view.Stages {
			rec, ok, err := ix.Get(sv.Signature)
			if err != nil {
				return err
			}
			for _, out := range sv.Stage.Outs {
				abs := filepath.Join(ws.Repo.Root, filepath.FromSlash(out))
				info, err := os.Lstat(abs)
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				if err != nil {
					return err
				}
				if info.Mode()&fs.ModeSymlink != 0 {
					continue // planted by the fuzz input, not placed
				}
				if !ok {
					return fmt.Errorf("%s is in the working tree, but no record of stage %s is in the index", out, sv.Stage.Name)
				}
				err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
					if err == nil && strings.EqualFold(d.Name(), ".git") {
						err = fmt.Errorf("%s: a .git folder inside an output", p)
					}
					return err
				})
				if err != nil {
					return err
				}
				id, _, _, err := ws.Store.HashPath(ctx, abs)
				if err != nil {
					return fmt.Errorf("%s: %w", out, err)
				}
				var want string
				for _, o := range rec.Outputs {
					if o.Path == out {
						want = o.ContentID
					}
				}
				if id != want {
					return fmt.Errorf("%s holds content %s, but its record says %q", out, id, want)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func b3(b []byte) string {
	sum := blake3.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func objectKeyOf(id string) string { return "objects/" + id[:2] + "/" + id[2:4] + "/" + id }

func putKey(t *testing.T, root, key string, data []byte) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(key))
	must(t, os.MkdirAll(filepath.Dir(p), 0o755))
	must(t, os.WriteFile(p, data, 0o644))
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	must(t, os.Symlink(target, link))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// copyTree copies the folder src into dst, links as links.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm())
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, info.Mode().Perm())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}
