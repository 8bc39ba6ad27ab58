package gitref

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// locationEnv are the variables that move where git finds a repository,
// its working tree or its index; with any of them set, git is asked.
var locationEnv = []string{
	"GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE",
	"GIT_IMPLICIT_WORK_TREE", "GIT_OBJECT_DIRECTORY",
}

// maxGitFile bounds the read of a .git file or a commondir file: one path.
const maxGitFile = 4096

// locateInProcess answers Open's git rev-parse without starting a git, in
// the case every hook meets (git runs hooks at the top of the working
// tree) and most commands: dir is the top of a working tree whose .git is
// the repository's folder, or a file naming a linked worktree's folder;
// both folders and the tree belong to this user (git's safe.directory
// check then passes whatever it says); no variable of locationEnv is set.
// ok is false in every other case and whenever something cannot be read:
// git then decides, and words the error. What the configuration may
// change (core.bare, core.worktree, the object format) is checked once it
// is read, by configMovesLocation.
//
// The paths are those git prints, made absolute as parseRevParse makes
// them: the git folder and the top of the tree with symbolic links
// resolved, the common folder and the index of the main tree below dir.
func locateInProcess(dir string) (loc location, ok bool) {
	for _, name := range locationEnv {
		if _, set := os.LookupEnv(name); set {
			return location{}, false
		}
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil || !ownedByUser(root) {
		return location{}, false
	}
	dotGit := filepath.Join(dir, ".git")
	info, err := os.Lstat(dotGit)
	switch {
	case err != nil:
		return location{}, false
	case info.IsDir():
		gitDir, err := filepath.EvalSymlinks(dotGit)
		if err != nil || !gitFolder(gitDir) || !ownedByUser(gitDir) {
			return location{}, false
		}
		return location{objectFormat: "sha1", gitDir: gitDir, commonDir: dotGit,
			indexPath: filepath.Join(dotGit, "index"), root: root}, true
	case info.Mode().IsRegular():
		// A linked worktree: "gitdir: PATH" names its folder, whose
		// commondir file names the repository's.
		target, ok := readPathFile(dotGit, "gitdir: ")
		if !ok || !ownedByUser(dotGit) {
			return location{}, false
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(root, target)
		}
		gitDir, err := filepath.EvalSymlinks(target)
		if err != nil || !ownedByUser(gitDir) {
			return location{}, false
		}
		common, ok := readPathFile(filepath.Join(gitDir, "commondir"), "")
		if !ok {
			return location{}, false // a submodule's folder, say: git's
		}
		if !filepath.IsAbs(common) {
			common = filepath.Join(gitDir, common)
		}
		commonDir, err := filepath.EvalSymlinks(common)
		if err != nil || !regularFile(filepath.Join(gitDir, "HEAD")) || !gitFolder(commonDir) {
			return location{}, false
		}
		return location{objectFormat: "sha1", gitDir: gitDir, commonDir: commonDir,
			indexPath: filepath.Join(gitDir, "index"), root: root}, true
	}
	return location{}, false
}

// gitFolder reports whether dir looks like a repository's folder as git
// checks it before taking it for one: HEAD, objects/ and refs/.
func gitFolder(dir string) bool {
	if !regularFile(filepath.Join(dir, "HEAD")) {
		return false
	}
	for _, sub := range []string{"objects", "refs"} {
		if info, err := os.Stat(filepath.Join(dir, sub)); err != nil || !info.IsDir() {
			return false
		}
	}
	return true
}

// readPathFile reads a file of one line, prefix then a path.
func readPathFile(path, prefix string) (string, bool) {
	data, ok := readSmallFile(path, maxGitFile)
	if !ok || len(data) == 0 {
		return "", false
	}
	line, ok := strings.CutPrefix(strings.TrimRight(string(data), "\r\n"), prefix)
	if !ok || line == "" || strings.ContainsAny(line, "\n\x00") {
		return "", false
	}
	return line, true
}

// readSmallFile reads the file at path whole, if it holds at most limit
// bytes: a file of git's own that holds one line; false for a larger one,
// or one that cannot be read.
func readSmallFile(path string, limit int) ([]byte, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil || len(data) > limit {
		return nil, false
	}
	return data, true
}

func regularFile(path string) bool {
	info, err := os.Lstat(path)
	return err == nil && info.Mode()&fs.ModeType == 0
}

// configMovesLocation reports whether the configuration git read for the
// repository changes what locateInProcess found: a bare repository (git
// init writes core.bare false in every repository), a working tree
// elsewhere, another object format. Git is asked then.
func configMovesLocation(config gitConfig) bool {
	if bare, ok := config.values["core.bare"]; ok {
		switch strings.ToLower(bare) {
		case "false", "no", "off", "0":
		default:
			return true
		}
	}
	if _, ok := config.values["core.worktree"]; ok {
		return true
	}
	format, ok := config.values["extensions.objectformat"]
	return ok && !strings.EqualFold(format, "sha1")
}
