package namespace

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/zeebo/blake3"

	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/pipeline"
)

func testRepo(t *testing.T) *gitref.Repo {
	t.Helper()
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", "--template=", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	repo, err := gitref.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

func pipelineDoc(stages int) []byte {
	doc := "stages:\n"
	for i := range stages {
		doc += fmt.Sprintf("  s%d: {cmd: make, deps: [src/%d.py], outs: [out/%d]}\n", i, i, i)
	}
	return []byte(doc)
}

func cacheFiles(t *testing.T, repo *gitref.Repo) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(pipelineCacheFolder(repo), "*"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// A second reading of the same dds.yaml comes from the cache and equals the
// parse; a damaged cache file is parsed again, not trusted.
func TestParsePipelineCache(t *testing.T) {
	repo := testRepo(t)
	data := pipelineDoc(3)
	want, err := pipeline.Parse(pipeline.FileName, data)
	if err != nil {
		t.Fatal(err)
	}
	first, err := parsePipeline(repo, data)
	if err != nil {
		t.Fatal(err)
	}
	files := cacheFiles(t, repo)
	if len(files) != 1 {
		t.Fatalf("cache holds %v after one parse; want one file", files)
	}
	second, err := parsePipeline(repo, data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, want) || !reflect.DeepEqual(second, want) {
		t.Fatalf("cached pipeline differs from the parse")
	}

	if err := os.WriteFile(files[0], []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := parsePipeline(repo, data)
	if err != nil || !reflect.DeepEqual(again, want) {
		t.Fatalf("after damage: %v, equal %v", err, reflect.DeepEqual(again, want))
	}

	// An invalid file is never cached.
	if _, err := parsePipeline(repo, []byte("stages: [")); err == nil {
		t.Fatal("an invalid dds.yaml parsed")
	}
	if files := cacheFiles(t, repo); len(files) != 1 {
		t.Errorf("cache holds %v; an invalid file was cached", files)
	}
}

func TestParsePipelineCachePrunes(t *testing.T) {
	repo := testRepo(t)
	old := time.Now().Add(-time.Hour)
	for i := range pipelineCacheMax {
		if _, err := parsePipeline(repo, pipelineDoc(i+1)); err != nil {
			t.Fatal(err)
		}
		files := cacheFiles(t, repo)
		for _, f := range files {
			os.Chtimes(f, old, old) // the newest stays the one written last
		}
	}
	if n := len(cacheFiles(t, repo)); n != pipelineCacheMax {
		t.Fatalf("%d cache files, want %d", n, pipelineCacheMax)
	}
	newest := pipelineDoc(pipelineCacheMax + 1)
	if _, err := parsePipeline(repo, newest); err != nil {
		t.Fatal(err)
	}
	files := cacheFiles(t, repo)
	if len(files) != pipelineCacheKeep {
		t.Fatalf("%d cache files after pruning, want %d", len(files), pipelineCacheKeep)
	}
	// The file just written survived.
	before := len(files)
	if _, err := parsePipeline(repo, newest); err != nil {
		t.Fatal(err)
	}
	if len(cacheFiles(t, repo)) != before {
		t.Error("the newest pipeline was pruned: reading it again wrote it again")
	}
}

// TestParsePipelineCacheIsNotShared: a store shared through dds.dir is
// writable by the whole team. The parsed dds.yaml a command would run is
// never read from there: a cache file planted in it for this dds.yaml,
// with another command, changes nothing.
func TestParsePipelineCacheIsNotShared(t *testing.T) {
	repo := testRepo(t)
	shared := t.TempDir()
	if out, err := exec.Command("git", "-C", repo.Root, "config", "dds.dir", shared).CombinedOutput(); err != nil {
		t.Fatalf("git config: %v\n%s", err, out)
	}
	repo, err := gitref.Open(context.Background(), repo.Root)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("stages:\n  s: {cmd: make, outs: [out]}\n")
	forged, err := pipeline.Parse(pipeline.FileName, []byte("stages:\n  s: {cmd: touch pwned, outs: [out]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	encoded, err := forged.Encode()
	if err != nil {
		t.Fatal(err)
	}
	sum := blake3.Sum256(data)
	dir := filepath.Join(shared, filepath.FromSlash(pipelineCacheDir))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("%s.v%d", hex.EncodeToString(sum[:16]), pipeline.EncodingVersion)
	if err := os.WriteFile(filepath.Join(dir, name), encoded, 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the first parse, then from the cache
		p, err := parsePipeline(repo, data)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Stages[0].Cmd; got != "make" {
			t.Fatalf("the command of stage s is %q, from a cache file in the shared store; want make, from dds.yaml", got)
		}
	}
}
