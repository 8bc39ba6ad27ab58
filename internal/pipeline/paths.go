package pipeline

import (
	"fmt"
	"iter"
	"path"
	"strings"
	"unicode/utf8"
)

// maxPathLength is the longest path most systems can open (Linux's PATH_MAX).
// It also bounds the work of comparing a path with all its parent folders.
const maxPathLength = 4096

// pathProblem says why a path written in dds.yaml is refused and how to fix
// it; reason completes a sentence that starts with the path.
type pathProblem struct{ reason, fix string }

// about words the problem for the path raw, written as role in stage.
func (p *pathProblem) about(role, raw, stage string) string {
	const longest = 80 // a path too long to read is cut, not quoted whole
	if len(raw) > longest {
		cut := longest
		for !utf8.RuneStart(raw[cut]) {
			cut--
		}
		raw = raw[:cut] + "..."
	}
	return fmt.Sprintf("%s %q of stage %q %s", role, raw, stage, p.reason)
}

// cleanPath normalises a path written in dds.yaml to the form every package
// compares: slash-separated, cleaned, no "./" and no trailing "/". The
// repository root comes back as "." and only wdir may be it (allowRoot).
func cleanPath(raw string, allowRoot bool) (string, *pathProblem) {
	const relativeFix = "write it relative to the repository root"
	switch {
	case raw == "":
		return "", &pathProblem{"is empty", "write a path or remove the item"}
	case len(raw) > maxPathLength:
		return "", &pathProblem{fmt.Sprintf("is longer than %d bytes", maxPathLength), "choose a shorter path"}
	case strings.ContainsFunc(raw, isControl):
		return "", &pathProblem{"holds a control character", "rename the file"}
	case strings.Contains(raw, `\`):
		return "", &pathProblem{`uses "\" as a separator`, `write "/" instead: ` + strings.ReplaceAll(raw, `\`, "/")}
	case strings.HasPrefix(raw, "/") || hasDriveLetter(raw):
		return "", &pathProblem{"is absolute", relativeFix}
	}
	for segment := range strings.SplitSeq(raw, "/") {
		switch {
		case segment == "..":
			return "", &pathProblem{`contains ".."`, relativeFix + `, without ".."`}
		case isDotGit(segment):
			return "", &pathProblem{"points into .git", "git's own folder holds no stage files: choose another path"}
		}
	}
	clean := path.Clean(raw)
	if clean == "." && !allowRoot {
		return "", &pathProblem{"is the repository root", "name a file or folder inside it"}
	}
	return clean, nil
}

// gitFiles are the files git itself reads in any folder of the working
// tree.
var gitFiles = []string{".gitignore", ".gitattributes", ".gitmodules"}

// projectFile refuses an output that is one of the project's own files:
// git dds run deletes an output before its stage runs, and git dds
// checkout replaces it. A path into .git is refused by cleanPath; a tracked
// file and a params file are refused once the repository, and the other
// stages, are known. Names compare without case, as they do on the
// filesystems of macOS and Windows.
func projectFile(clean string) *pathProblem {
	const fix = "git dds run deletes an output before its stage runs: choose another path"
	if !strings.Contains(clean, "/") && sameName(clean, FileName) {
		return &pathProblem{"is the pipeline file", fix}
	}
	name := path.Base(clean)
	for _, f := range gitFiles {
		if sameName(name, f) {
			return &pathProblem{"is one of git's own files (" + f + ")", fix}
		}
	}
	return nil
}

// isDotGit reports a path segment that some filesystem opens as .git, as
// git itself refuses them: any case, the characters HFS+ ignores, the dots
// and spaces NTFS drops at the end, and NTFS's short name GIT~1.
func isDotGit(segment string) bool {
	return sameName(segment, ".git") || sameName(segment, "git~1")
}

// sameName reports whether a file name opens the same file as name (one
// without ignorable characters or trailing dots and spaces) on macOS or
// Windows.
func sameName(segment, name string) bool {
	segment = strings.TrimRight(strings.Map(func(r rune) rune {
		if hfsIgnorable(r) {
			return -1
		}
		return r
	}, segment), ". ")
	return strings.EqualFold(segment, name)
}

// hfsIgnorable reports the code points HFS+ leaves out of a file name
// (the list git's is_hfs_dotgit uses).
func hfsIgnorable(r rune) bool {
	switch {
	case r == 0x200c || r == 0x200d || r == 0x200e || r == 0x200f:
		return true
	case 0x202a <= r && r <= 0x202e, 0x206a <= r && r <= 0x206f:
		return true
	}
	return r == 0xfeff
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// hasDriveLetter reports a Windows absolute path such as C:/data: dds.yaml is
// shared between systems, so it is refused everywhere.
func hasDriveLetter(p string) bool {
	return len(p) >= 3 && p[1] == ':' && p[2] == '/' &&
		('a' <= p[0] && p[0] <= 'z' || 'A' <= p[0] && p[0] <= 'Z')
}

// parentDirs yields the folders above a clean relative path, innermost first:
// "a/b/c" yields "a/b" then "a".
func parentDirs(p string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for {
			i := strings.LastIndexByte(p, '/')
			if i < 0 {
				return
			}
			p = p[:i]
			if !yield(p) {
				return
			}
		}
	}
}
