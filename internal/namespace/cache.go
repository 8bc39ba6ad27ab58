package namespace

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/google/renameio/v2"

	"github.com/git-dds/git-dds/internal/blake3"
	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/pipeline"
)

// Parsed pipelines are kept under .git/dds/cache/pipelines, each named by
// the BLAKE3 of the dds.yaml it was read from and the encoding's version:
// a dds.yaml of thousands of stages takes tens of milliseconds to parse,
// every command and hook reads one, and it rarely changes. A file of the
// cache that cannot be read is parsed again; the cache only ever saves
// time.
//
// The cache holds the commands git dds runs, so it lives in the clone's
// own git folder, as trusted as its hooks, even when dds.dir puts the
// store in a folder the team shares: a cache file planted there would
// run its command in place of the one dds.yaml says.
const (
	pipelineCacheDir = "cache/pipelines"
	// Past pipelineCacheMax files, writing one prunes the oldest down to
	// pipelineCacheKeep: a branch switch or a merge meets a few versions.
	pipelineCacheMax  = 32
	pipelineCacheKeep = 16
)

// parsePipeline is pipeline.Parse through the cache.
func parsePipeline(repo *gitref.Repo, data []byte) (*pipeline.Pipeline, error) {
	sum := blake3.Sum256(data)
	dir := pipelineCacheFolder(repo)
	path := filepath.Join(dir, fmt.Sprintf("%s.v%d", hex.EncodeToString(sum[:16]), pipeline.EncodingVersion))
	if cached, err := os.ReadFile(path); err == nil {
		if p, err := pipeline.Decode(cached); err == nil {
			return p, nil
		}
	}
	p, err := pipeline.Parse(pipeline.FileName, data)
	if err != nil {
		return nil, err
	}
	// Best effort: a cache that cannot be written costs a parse next time.
	if encoded, err := p.Encode(); err == nil && os.MkdirAll(dir, 0o755) == nil {
		if renameio.WriteFile(path, encoded, 0o644) == nil {
			prunePipelineCache(dir)
		}
	}
	return p, nil
}

// pipelineCacheFolder is the cache's folder in the clone's own git folder.
func pipelineCacheFolder(repo *gitref.Repo) string {
	return filepath.Join(repo.CommonDir, "dds", filepath.FromSlash(pipelineCacheDir))
}

// prunePipelineCache removes the oldest files once there are too many.
func prunePipelineCache(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) <= pipelineCacheMax {
		return
	}
	type aged struct {
		name string
		mod  time.Time
	}
	var files []aged
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			files = append(files, aged{e.Name(), info.ModTime()})
		}
	}
	slices.SortFunc(files, func(a, b aged) int { return b.mod.Compare(a.mod) })
	for _, f := range files[min(pipelineCacheKeep, len(files)):] {
		os.Remove(filepath.Join(dir, f.name))
	}
}
