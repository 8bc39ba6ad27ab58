package gitref

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/storage/filesystem"
)

var (
	// ErrNotRepository means the folder is not inside a git working tree.
	ErrNotRepository = errors.New("not a git repository")
	// ErrBareRepository means the repository has no working tree.
	ErrBareRepository = errors.New("bare repository")
	// ErrUnsupportedObjectFormat means the repository does not use SHA-1
	// object ids.
	ErrUnsupportedObjectFormat = errors.New("unsupported object format")
	// ErrUnknownRevision means a revision names no commit.
	ErrUnknownRevision = errors.New("unknown revision")
)

// Repo is one git working tree and its repository.
type Repo struct {
	// Root is the absolute path of the working tree.
	Root string
	// GitDir is the absolute git directory of this working tree; for a
	// linked worktree it is .git/worktrees/NAME inside CommonDir.
	GitDir string
	// CommonDir is the absolute git directory shared by all worktrees.
	CommonDir string
	// UseFSMonitor lets Worktree ask core.fsmonitor's hook, when there is
	// one, which files changed since the last overlay that saved its
	// answer (Overlay.SaveWatch), and trust the index for the others.
	UseFSMonitor bool

	indexPath string
	// storage reads objects and refs. Guarded by objects.
	storage *filesystem.Storage

	// objects serializes reads through go-git, whose storage is not
	// documented as safe for concurrent use.
	objects sync.Mutex

	config gitConfig
	// team is the committed .ddsconfig, kept apart: git dds reads its own
	// settings there, below git config, and git's settings never.
	team gitConfig
}

// Open finds the repository whose working tree contains dir. It asks git
// itself, so GIT_DIR, GIT_WORK_TREE and GIT_INDEX_FILE (set by hooks) and
// linked worktrees resolve exactly as git resolves them; only at the top
// of a working tree, where git runs hooks, with none of those set, does it
// find the folders itself (locateInProcess), one git process fewer.
func Open(ctx context.Context, dir string) (*Repo, error) {
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("opening repository at %s: %w", dir, err)
	}
	if _, err := os.Stat(absDir); err != nil {
		return nil, fmt.Errorf("opening repository at %s: %w", absDir, err)
	}
	// Git's configuration is read beside, by git too: every command needs
	// it, and go-git reads only some of its sources.
	configList := exec.CommandContext(ctx, "git", "config", "--list", "-z")
	configList.Dir = absDir
	var configOut bytes.Buffer
	configList.Stdout = &configOut
	configStarted := configList.Start() == nil
	// The team's file too, where it would be if absDir is the root.
	team := startTeamConfig(ctx, absDir)

	// Where the repository is: found here in the usual case (see
	// locateInProcess), else asked of git.
	loc, found := locateInProcess(absDir)
	var runErr, parseErr error
	var stderr bytes.Buffer
	if !found {
		loc, runErr, parseErr = revParse(ctx, absDir, &stderr)
	}
	// An unreadable config fails rev-parse too, which says why; this one
	// is only waited for.
	var configErr error
	if configStarted {
		configErr = configList.Wait()
	}
	config := parseConfigList(configOut.Bytes())
	if found && (!configStarted || configErr != nil || configMovesLocation(config)) {
		// git's configuration says more about where things are, or
		// could not be read: git answers, and says what is wrong.
		loc, runErr, parseErr = revParse(ctx, absDir, &stderr)
	}
	// Waited for here, whatever comes next, so that no git is left behind;
	// what it read is used below when absDir is the root.
	_, _ = team.wait()
	switch {
	case errors.Is(runErr, exec.ErrNotFound):
		return nil, errGitMissing(runErr)
	case loc.bare:
		return nil, fmt.Errorf("%w: %s has no working tree; git dds needs one, so run it in a clone with a checkout", ErrBareRepository, loc.gitDir)
	case runErr != nil && strings.Contains(stderr.String(), "not a git repository"):
		return nil, fmt.Errorf("%w: %s; run git init or cd into a repository", ErrNotRepository, absDir)
	case runErr != nil && strings.Contains(stderr.String(), "must be run in a work tree"):
		return nil, fmt.Errorf("%w: %s is inside the git directory %s; run git dds from the working tree", ErrNotRepository, absDir, loc.gitDir)
	case runErr != nil:
		return nil, fmt.Errorf("finding the repository of %s: git rev-parse: %w: %s", absDir, runErr, strings.TrimSpace(stderr.String()))
	case parseErr != nil:
		return nil, fmt.Errorf("finding the repository of %s: %w", absDir, parseErr)
	case loc.objectFormat != "sha1":
		return nil, fmt.Errorf("%w: %s uses %s object ids, which git dds does not support yet; use a SHA-1 repository", ErrUnsupportedObjectFormat, loc.root, loc.objectFormat)
	}

	teamConfig, err := readTeamConfig(ctx, team, loc.root)
	if err != nil {
		return nil, err
	}
	storage, err := openGoGit(loc)
	if err != nil {
		return nil, fmt.Errorf("opening repository %s: %w", loc.root, err)
	}
	return &Repo{
		Root:      loc.root,
		GitDir:    loc.gitDir,
		CommonDir: loc.commonDir,
		indexPath: loc.indexPath,
		storage:   storage,
		config:    config,
		team:      teamConfig,
	}, nil
}

// location is where git says the parts of a repository are.
type location struct {
	bare         bool
	objectFormat string
	gitDir       string
	commonDir    string
	indexPath    string
	root         string
}

// revParse asks git where the repository of dir is, its error output
// going to stderr.
func revParse(ctx context.Context, dir string, stderr *bytes.Buffer) (loc location, runErr, parseErr error) {
	cmd := exec.CommandContext(ctx, "git", "rev-parse",
		"--is-bare-repository", "--show-object-format",
		"--absolute-git-dir", "--git-common-dir", "--git-path", "index",
		"--show-toplevel")
	cmd.Dir = dir
	var stdout bytes.Buffer
	stderr.Reset()
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	runErr = cmd.Run()
	loc, parseErr = parseRevParse(stdout.String(), dir)
	return loc, runErr, parseErr
}

// parseRevParse reads the output of the rev-parse call in Open, one answer
// per line in the order asked. Relative paths are relative to dir. On a
// bare repository git stops before the last answers, so what was read is
// returned with the error.
func parseRevParse(out, dir string) (location, error) {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var loc location
	if len(lines) > 0 {
		loc.bare = lines[0] == "true"
	}
	if len(lines) > 2 {
		loc.gitDir = lines[2]
	}
	if len(lines) != 6 {
		return loc, fmt.Errorf("git rev-parse printed %d lines, want 6", len(lines))
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return filepath.Clean(p)
		}
		return filepath.Join(dir, p)
	}
	loc.objectFormat = lines[1]
	loc.gitDir = abs(lines[2])
	loc.commonDir = abs(lines[3])
	loc.indexPath = abs(lines[4])
	loc.root = abs(lines[5])
	for i, l := range lines[1:] {
		if l == "" {
			return loc, fmt.Errorf("git rev-parse printed an empty answer on line %d", i+2)
		}
	}
	return loc, nil
}
