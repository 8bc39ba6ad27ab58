package gitref

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/renameio/v2"
)

// git's file-system monitor hook, protocol version 2 (githooks(5),
// "fsmonitor-watchman"): run as `HOOK 2 TOKEN` by the shell in the working
// tree, it prints a new token, a NUL, then the NUL-separated paths that
// changed since TOKEN. A path may name a folder, for everything under it;
// "/" means anything may have changed.
//
// git keeps its token in the index, which git dds does not write: an
// overlay keeps its own, beside the index (fsmonitorStateName), with the
// index slots it found clean. A file is then trusted without an lstat when
// it was clean at the last token, the hook reports nothing under its path
// since, and the index entries, the working tree's root and the settings
// that judge a file clean are those the state was saved with. Any doubt (no
// hook, a hook that fails, an answer out of bounds, a state that does not
// match) is a full scan, as without a monitor.

const (
	// fsmonitorStateName is the state file's name in the working tree's
	// git directory (one per worktree, as its index).
	fsmonitorStateName = "dds-fsmonitor"
	fsmonitorMagic     = "git-dds fsmonitor state 1\n"
	// maxFSMonitorToken bounds a token: watchman's are tens of bytes.
	maxFSMonitorToken = 4096
	// maxFSMonitorOutput bounds what the hook may print: a few million
	// changed paths, past which a full scan is cheaper anyway.
	maxFSMonitorOutput = 256 << 20
	// maxFSMonitorSlots bounds the index a state file may describe.
	maxFSMonitorSlots = 1 << 28
)

// fsmonitorHook returns the hook command of core.fsmonitor, or "" when
// there is none git dds can speak to: unset, false, true (git's built-in
// daemon, which git 2.39 lacks on Linux), or core.fsmonitorHookVersion
// other than 2.
func (r *Repo) fsmonitorHook() string {
	hook := strings.TrimSpace(r.configValue("core", "fsmonitor"))
	if hook == "" {
		return ""
	}
	if _, isBool := ParseBool(hook); isBool {
		return ""
	}
	if v := strings.TrimSpace(r.configValue("core", "fsmonitorHookVersion")); v != "" && v != "2" {
		return ""
	}
	return hook
}

// watchState is what the monitor said for one overlay.
type watchState struct {
	// token is the hook's new token, saved for the next overlay.
	token string
	// digest identifies the index entries, the root and the settings the
	// trusted slots were judged against.
	digest string
	// trusted marks the slots clean at the last token with nothing
	// reported under them since: their index entry holds.
	trusted []bool
	// verified marks the slots this overlay found clean after the token
	// was taken; with trusted, what the next overlay may trust.
	verified []bool
	path     string
}

// startWatch asks the hook what changed since the saved token and returns
// the slots that need no look. It returns nil when there is no hook, or
// when the hook cannot be trusted this time: every file is looked at.
func (r *Repo) startWatch(ctx context.Context, snap *indexSnapshot, settings worktreeSettings) *watchState {
	hook := r.fsmonitorHook()
	if hook == "" || !r.ownIndex() || snap.entriesDigest == "" {
		return nil
	}
	w := &watchState{
		path:     filepath.Join(r.GitDir, fsmonitorStateName),
		digest:   watchDigest(r.Root, settings, snap.entriesDigest),
		trusted:  make([]bool, snap.len()),
		verified: make([]bool, snap.len()),
	}
	saved, _ := readWatchFile(w.path) // unreadable or malformed: start over
	out, err := runFSMonitorHook(ctx, r.Root, hook, saved.token)
	if err != nil {
		return nil
	}
	token, changed, all, err := parseFSMonitorOutput(out)
	if err != nil {
		return nil
	}
	w.token = token
	if all || saved.digest != w.digest || len(saved.trusted) != snap.len() {
		return w // a full scan, which primes the next overlay
	}
	copy(w.trusted, saved.trusted)
	for _, p := range changed {
		if e, ok := snap.entry(p); ok {
			w.trusted[e.slot] = false
		}
		lo, hi := snap.under(p)
		clear(w.trusted[lo:hi])
	}
	return w
}

// runFSMonitorHook runs hook as git runs it: by the shell, in the working
// tree, with the version and the token as its arguments.
func runFSMonitorHook(ctx context.Context, root, hook, token string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "sh", "-c", hook+` "$@"`, hook, "2", token)
	cmd.Dir = root
	cmd.Stderr = io.Discard
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	out, readErr := io.ReadAll(io.LimitReader(stdout, maxFSMonitorOutput+1))
	if len(out) > maxFSMonitorOutput {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("the fsmonitor hook %s printed more than %d bytes", hook, maxFSMonitorOutput)
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("the fsmonitor hook %s: %w", hook, err)
	}
	if readErr != nil {
		return nil, readErr
	}
	return out, nil
}

// parseFSMonitorOutput reads a version 2 answer: the new token, then the
// changed paths, each ended (the last one may not be) by a NUL. all is true
// when the hook says anything may have changed. A path outside the
// repository, or a token that cannot be saved, is an error: the answer is
// not trusted.
func parseFSMonitorOutput(out []byte) (token string, changed []string, all bool, err error) {
	tok, rest, found := bytes.Cut(out, []byte{0})
	if !found {
		return "", nil, false, errors.New("the fsmonitor hook printed no NUL after its token")
	}
	if len(tok) == 0 || len(tok) > maxFSMonitorToken || bytes.ContainsAny(tok, "\n\r") {
		return "", nil, false, fmt.Errorf("the fsmonitor hook printed a token of %d bytes, or with a line break", len(tok))
	}
	for len(rest) > 0 {
		var raw []byte
		raw, rest, _ = bytes.Cut(rest, []byte{0})
		if len(raw) == 0 {
			continue
		}
		if string(raw) == "/" {
			all = true
			continue
		}
		p, err := cleanPath(strings.TrimSuffix(string(raw), "/"))
		if err != nil {
			return "", nil, false, fmt.Errorf("the fsmonitor hook reported %q: %w", raw, err)
		}
		if p == "" {
			all = true
			continue
		}
		changed = append(changed, p)
	}
	return string(tok), changed, all, nil
}

// watchDigest names what a file's cleanness was judged against: the index
// entries, the working tree's root (a copy of the repository has other
// files) and the settings that compare stat data and modes.
func watchDigest(root string, s worktreeSettings, entries string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%q %t %t %t %t %t %s", root, s.trustExecutableBit, s.hasSymlinks, s.trustCtime, s.checkInode, s.filtersEverywhere, entries)
	return hex.EncodeToString(h.Sum(nil))
}

// savedWatch is a state file: the token, the digest, and the trusted slots.
type savedWatch struct {
	token   string
	digest  string
	trusted []bool
}

// readWatchFile reads a state file; a missing one is the zero state.
func readWatchFile(path string) (savedWatch, error) {
	f, err := os.Open(path)
	if err != nil {
		return savedWatch{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(len(fsmonitorMagic)+maxFSMonitorToken+128+maxFSMonitorSlots/8+1)))
	if err != nil {
		return savedWatch{}, err
	}
	return parseWatchState(data)
}

// parseWatchState decodes encodeWatchState's layout: the magic line, the
// token, the digest and the slot count each on a line, then one bit a slot.
func parseWatchState(data []byte) (savedWatch, error) {
	rest, ok := bytes.CutPrefix(data, []byte(fsmonitorMagic))
	if !ok {
		return savedWatch{}, errors.New("not a git dds fsmonitor state")
	}
	var lines [3]string
	for i := range lines {
		line, after, found := bytes.Cut(rest, []byte{'\n'})
		if !found || len(line) > maxFSMonitorToken {
			return savedWatch{}, errors.New("fsmonitor state cut short")
		}
		lines[i], rest = string(line), after
	}
	n, err := strconv.Atoi(lines[2])
	if err != nil || n < 0 || n > maxFSMonitorSlots || len(rest) != (n+7)/8 {
		return savedWatch{}, fmt.Errorf("fsmonitor state: %q slots for %d bytes of bits", lines[2], len(rest))
	}
	if lines[0] == "" || strings.ContainsRune(lines[0], 0) || len(lines[1]) != 2*sha256.Size {
		return savedWatch{}, errors.New("fsmonitor state: bad token or digest")
	}
	s := savedWatch{token: lines[0], digest: lines[1], trusted: make([]bool, n)}
	for i := range n {
		s.trusted[i] = rest[i/8]&(1<<(i%8)) != 0
	}
	return s, nil
}

// encodeWatchState is the layout parseWatchState reads.
func encodeWatchState(s savedWatch) []byte {
	var buf bytes.Buffer
	buf.WriteString(fsmonitorMagic)
	buf.WriteString(s.token + "\n" + s.digest + "\n" + strconv.Itoa(len(s.trusted)) + "\n")
	bits := make([]byte, (len(s.trusted)+7)/8)
	for i, t := range s.trusted {
		if t {
			bits[i/8] |= 1 << (i % 8)
		}
	}
	buf.Write(bits)
	return buf.Bytes()
}

// SaveWatch saves the monitor's token and the files found clean, for the
// next overlay to trust. It does nothing without a monitor, or when
// GIT_OPTIONAL_LOCKS=0 asks for no optional write, and a failure only costs
// the next status a full scan.
func (o *Overlay) SaveWatch() {
	o.mu.Lock()
	w := o.watch
	var trusted []bool
	if w != nil {
		trusted = make([]bool, len(w.trusted))
		for i := range trusted {
			trusted[i] = w.trusted[i] || w.verified[i]
		}
	}
	o.mu.Unlock()
	if w == nil || os.Getenv("GIT_OPTIONAL_LOCKS") == "0" {
		return
	}
	data := encodeWatchState(savedWatch{token: w.token, digest: w.digest, trusted: trusted})
	_ = renameio.WriteFile(w.path, data, 0o644)
}

// trustable reports whether an entry's index state may be trusted on the
// monitor's word: not a submodule (its checked-out commit changes inside
// its own git directory), nor an entry git add would not take as it is.
func trustable(e *indexEntry) bool {
	return e.hasStat && !e.conflicted && !e.intentToAdd && !e.skipWorktree && e.mode != 0o160000
}
