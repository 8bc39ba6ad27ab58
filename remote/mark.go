package remote

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/renameio/v2"
	"github.com/zeebo/blake3"
)

// A tree mark says that every artifact of one tree's view was seen in the
// remote, as a push found it. The pre-push hook of a push that brings no
// new data (a commit that changed code only, or none of the pipeline's
// inputs) then answers from one small file, without the index: the view of
// a tree depends on the tree and on the values of the environment
// variables its stages declare, which the mark names and fingerprints.
// Marks live beside the index, under <dds dir>/remotes/<remote>/trees/,
// and go with everything else a clone remembers of a remote.

const markHeader = "git-dds tree mark 1"

func (r *Remote) marksDir(local Local) string {
	return filepath.Join(local.Dir, "remotes", r.cacheID, "trees")
}

// HoldsTree reports whether a mark says the remote holds every artifact of
// tree's view, with the environment env gives now.
func (r *Remote) HoldsTree(local Local, tree string, env func(string) (string, bool)) bool {
	if local.Dir == "" {
		return false
	}
	data, err := os.ReadFile(filepath.Join(r.marksDir(local), tree))
	if err != nil {
		return false
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) < 2 || lines[0] != markHeader {
		return false
	}
	sum, names := strings.TrimPrefix(lines[1], "env "), lines[2:]
	return sum == envFingerprint(names, env)
}

// MarkTree notes that the remote holds every artifact of tree's view,
// whose stages declare the environment variables envNames.
func (r *Remote) MarkTree(local Local, tree string, envNames []string, env func(string) (string, bool)) error {
	if local.Dir == "" {
		return nil
	}
	names := slices.Clone(envNames)
	slices.Sort(names)
	names = slices.Compact(names)
	content := markHeader + "\nenv " + envFingerprint(names, env) + "\n"
	for _, n := range names {
		content += n + "\n"
	}
	dir := r.marksDir(local)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("noting what remote %s holds: %w", r.Name, err)
	}
	return renameio.WriteFile(filepath.Join(dir, tree), []byte(content), 0o644)
}

// forgetMarks drops every tree mark of the remote: something it was seen
// holding has gone.
func (r *Remote) forgetMarks(local Local) error {
	if local.Dir == "" {
		return nil
	}
	return os.RemoveAll(filepath.Join(local.Dir, "remotes", r.cacheID))
}

func envFingerprint(names []string, env func(string) (string, bool)) string {
	h := blake3.New()
	for _, n := range names {
		v, ok := env(n)
		fmt.Fprintf(h, "%q %t %q\n", n, ok, v)
	}
	return hex.EncodeToString(h.Sum(nil))
}
