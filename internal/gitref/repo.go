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

	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
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

	indexPath string
	repo      *git.Repository

	// objects serializes reads through go-git, whose storage is not
	// documented as safe for concurrent use.
	objects sync.Mutex

	ddsDirOnce sync.Once
	ddsDir     string

	config gitConfig
	// team is the committed .ddsconfig, kept apart: git dds reads its own
	// settings there, below git config, and git's settings never.
	team gitConfig
}

// Open finds the repository whose working tree contains dir. It asks git
// itself, so GIT_DIR, GIT_WORK_TREE and GIT_INDEX_FILE (set by hooks) and
// linked worktrees resolve exactly as git resolves them.
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

	cmd := exec.CommandContext(ctx, "git", "rev-parse",
		"--is-bare-repository", "--show-object-format",
		"--absolute-git-dir", "--git-common-dir", "--git-path", "index",
		"--show-toplevel")
	cmd.Dir = absDir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	// An unreadable config fails rev-parse too, which says why; this one
	// is only waited for.
	if configStarted {
		_ = configList.Wait()
	}
	// Waited for here, whatever comes next, so that no git is left behind;
	// what it read is used below when absDir is the root.
	_, _ = team.wait()
	loc, parseErr := parseRevParse(stdout.String(), absDir)
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

	config := parseConfigList(configOut.Bytes())
	teamConfig, err := readTeamConfig(ctx, team, loc.root)
	if err != nil {
		return nil, err
	}
	repo, err := openGoGit(loc)
	if err != nil {
		return nil, fmt.Errorf("opening repository %s: %w", loc.root, err)
	}
	return &Repo{
		Root:      loc.root,
		GitDir:    loc.gitDir,
		CommonDir: loc.commonDir,
		indexPath: loc.indexPath,
		repo:      repo,
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

// openGoGit opens go-git on paths git resolved: go-git's own discovery
// ignores GIT_DIR and friends.
func openGoGit(loc location) (*git.Repository, error) {
	dotGit := osfs.New(loc.gitDir)
	repositoryFS := dotGit
	if loc.gitDir != loc.commonDir {
		// A linked worktree keeps HEAD and its index in its own git dir and
		// everything else in the common one.
		repositoryFS = dotgit.NewRepositoryFilesystem(dotGit, osfs.New(loc.commonDir))
	}
	storage := filesystem.NewStorageWithOptions(repositoryFS, cache.NewObjectLRUDefault(),
		filesystem.Options{AlternatesFS: osfs.New("/")})
	return git.Open(readableStorer{storage}, osfs.New(loc.root))
}

// readableStorer hides the repository extensions that change nothing for
// reading objects and refs. go-git refuses to open a repository with any
// extension it does not implement, and git itself sets worktreeConfig
// (sparse checkout) and partialClone (clone --filter) in ordinary clones.
type readableStorer struct {
	*filesystem.Storage
}

// harmlessForReading reports whether a repository extension changes
// nothing for reading objects and refs. A partial clone's missing objects
// still fail when read, with go-git's error.
func harmlessForReading(name, value string) bool {
	switch strings.ToLower(name) {
	case "worktreeconfig", "partialclone", "preciousobjects", "noop":
		return true
	case "objectformat":
		return strings.EqualFold(value, "sha1")
	}
	return false
}

func (s readableStorer) Config() (*config.Config, error) {
	cfg, err := s.Storage.Config()
	if err != nil || cfg.Raw == nil || !cfg.Raw.HasSection("extensions") {
		return cfg, err
	}
	section := cfg.Raw.Section("extensions")
	kept := section.Options[:0:0]
	for _, opt := range section.Options {
		if !harmlessForReading(opt.Key, opt.Value) {
			kept = append(kept, opt)
		}
	}
	section.Options = kept
	return cfg, nil
}

// DDSDir is where git dds keeps its store and index: inside the common git
// directory, so linked worktrees share it, unless git config dds.dir names
// another folder (relative to the working tree root), which several clones
// may share.
func (r *Repo) DDSDir() string {
	r.ddsDirOnce.Do(func() {
		r.ddsDir = filepath.Join(r.CommonDir, "dds")
		if dir := r.configValue("dds", "dir"); dir != "" {
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(r.Root, dir)
			}
			r.ddsDir = filepath.Clean(dir)
		}
	})
	return r.ddsDir
}

// GoGit returns the go-git repository, for reads this package does not
// offer. It ignores GIT_INDEX_FILE; use Worktree for the index.
func (r *Repo) GoGit() *git.Repository {
	return r.repo
}

// Git runs the real git in the working tree root with the repository's
// paths made explicit, and returns its standard output. A failure names the
// command and carries git's standard error; it wraps *exec.ExitError.
func (r *Repo) Git(ctx context.Context, args ...string) ([]byte, error) {
	out, err := r.runGit(ctx, nil, args...)
	return out, err
}

// runGit is Git with an optional standard input. On failure it still
// returns what git printed on standard output.
func (r *Repo) runGit(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = r.Root
	// Absolute paths, so a relative GIT_DIR inherited from a hook cannot
	// point elsewhere once the working folder changes.
	cmd.Env = append(os.Environ(),
		"GIT_DIR="+r.GitDir,
		"GIT_WORK_TREE="+r.Root,
		"GIT_INDEX_FILE="+r.indexPath,
	)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, errGitMissing(err)
		}
		return stdout.Bytes(), fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

func errGitMissing(err error) error {
	return fmt.Errorf("git is not installed or not on PATH; install git 2.38 or newer: %w", err)
}
