package hooks

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/renameio/v2"
)

// stateFile is the name of the record Install keeps in the state folder.
const stateFile = "hooks.json"

// state is what Install found and wrote, so that Uninstall can put back
// exactly that. The hooks folder itself also tells (our marker, the
// .dds-chained files), so Uninstall still works when the record is lost.
type state struct {
	// HooksDir is the folder the hooks were installed in; Uninstall works
	// there even if core.hooksPath has changed since.
	HooksDir string `json:"hooks_dir"`
	// CreatedHooksDir is true when the folder did not exist before install.
	CreatedHooksDir bool                 `json:"created_hooks_dir,omitempty"`
	Hooks           map[string]hookState `json:"hooks"`
}

// hookState records one installed hook.
type hookState struct {
	// Written is the SHA-256 of the script git dds wrote, to tell an edited
	// hook from ours after an upgrade changed the script.
	Written string `json:"written_sha256"`
	// Chained is the file name of the user's hook, kept whole beside ours;
	// empty when there was none.
	Chained string `json:"chained,omitempty"`
	// ChainedMode and ChainedSHA256 describe the user's hook as found.
	ChainedMode   string `json:"chained_mode,omitempty"`
	ChainedSHA256 string `json:"chained_sha256,omitempty"`
}

func statePath(stateDir string) string {
	return filepath.Join(stateDir, stateFile)
}

// loadState reads the record, or returns nil when there is none.
func loadState(stateDir string) (*state, error) {
	path := statePath(stateDir)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the hooks record %s: %w", path, err)
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("reading the hooks record %s: %w; delete it and run the command again (the hooks folder alone tells what git dds installed)", path, err)
	}
	if st.HooksDir != "" && !filepath.IsAbs(st.HooksDir) {
		st.HooksDir = filepath.Join(stateDir, filepath.FromSlash(st.HooksDir))
	}
	return &st, nil
}

// recordedDir is how the record names the hooks folder: relative to the
// state folder when it lies in the same git folder (.git/hooks), so that a
// repository moved or copied whole still finds it; else absolute.
func recordedDir(stateDir, hooksDir string) string {
	gitDir := filepath.Dir(stateDir)
	if rel, err := filepath.Rel(gitDir, hooksDir); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		if fromState, err := filepath.Rel(stateDir, hooksDir); err == nil {
			return filepath.ToSlash(fromState)
		}
	}
	return hooksDir
}

func saveState(stateDir string, st *state) error {
	path := statePath(stateDir)
	saved := *st
	saved.HooksDir = recordedDir(stateDir, st.HooksDir)
	data, err := json.MarshalIndent(&saved, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the hooks record: %w", err)
	}
	if err := os.MkdirAll(stateDir, 0o777); err != nil {
		return fmt.Errorf("writing the hooks record: %w", err)
	}
	if err := renameio.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the hooks record %s: %w", path, err)
	}
	return nil
}

func removeState(stateDir string) error {
	path := statePath(stateDir)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the hooks record %s: %w", path, err)
	}
	return nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
