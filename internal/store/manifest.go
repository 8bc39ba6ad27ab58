package store

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// manifestHeader opens every manifest; a new format gets a new version here.
const manifestHeader = "dds-manifest v1"

// Manifest describes a folder output: the files and empty folders under it.
// Folders that hold something are implied by the paths under them.
type Manifest struct {
	Entries []Entry
}

// Entry is one file, or one empty folder, of a folder output.
type Entry struct {
	Path string      // relative to the output folder, slash-separated, canonical
	Mode fs.FileMode // 0644 or 0755 for a file; fs.ModeDir|0755 for an empty folder
	Size int64       // bytes; 0 for a folder
	ID   string      // content id of the file; "" for a folder
}

// IsDir reports whether the entry is an empty folder.
func (e Entry) IsDir() bool { return e.Mode.IsDir() }

const (
	fileMode = fs.FileMode(0o644)
	execMode = fs.FileMode(0o755)
	dirMode  = fs.ModeDir | 0o755
)

// EncodeManifest writes m in its canonical form, from which the folder's id
// is hashed, so equal folders always get equal ids:
//
//	dds-manifest v1
//	MODE SIZE ID PATH
//
// one line per entry, sorted by path (byte order), each ending in "\n".
// MODE is 0644 or 0755 for a file, and "dir" for an empty folder, whose SIZE
// is 0 and ID "-". SIZE is decimal. PATH is quoted with strconv.QuoteToASCII,
// which escapes every byte outside printable ASCII the same way whatever the
// Unicode tables of the Go release, so file names with spaces, newlines or
// invalid UTF-8 survive and the encoding never drifts.
//
// EncodeManifest expects a valid manifest, as IngestDir builds; entries are
// sorted here, so their order in m does not matter.
func EncodeManifest(m Manifest) []byte {
	entries := slices.Clone(m.Entries)
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })

	var b bytes.Buffer
	b.WriteString(manifestHeader + "\n")
	for _, e := range entries {
		if e.IsDir() {
			b.WriteString("dir 0 -")
		} else {
			fmt.Fprintf(&b, "%04o %d %s", e.Mode.Perm(), e.Size, e.ID)
		}
		b.WriteByte(' ')
		b.WriteString(strconv.QuoteToASCII(e.Path))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// DecodeManifest reads a manifest written by EncodeManifest. It accepts only
// the canonical form, so a manifest's id is a faithful name for its folder,
// and only paths that stay inside the folder, so materializing a manifest
// from any source can never write elsewhere.
func DecodeManifest(b []byte) (Manifest, error) {
	text, ok := strings.CutPrefix(string(b), manifestHeader+"\n")
	if !ok {
		return Manifest{}, fmt.Errorf("manifest does not start with %q", manifestHeader)
	}
	if len(b) > MaxManifestSize {
		return Manifest{}, fmt.Errorf("manifest is %d bytes, over %d", len(b), MaxManifestSize)
	}
	var m Manifest
	var total int64
	for lineNo := 2; text != ""; lineNo++ {
		if len(m.Entries) == MaxManifestEntries {
			return Manifest{}, fmt.Errorf("manifest lists over %d entries", MaxManifestEntries)
		}
		line, rest, ok := strings.Cut(text, "\n")
		if !ok {
			return Manifest{}, fmt.Errorf("manifest line %d does not end in a newline", lineNo)
		}
		text = rest
		e, err := decodeEntry(line)
		if err != nil {
			return Manifest{}, fmt.Errorf("manifest line %d: %w", lineNo, err)
		}
		if n := len(m.Entries); n > 0 && m.Entries[n-1].Path >= e.Path {
			return Manifest{}, fmt.Errorf("manifest line %d: %q is out of order or repeated", lineNo, e.Path)
		}
		if total += e.Size; e.Size > MaxFolderSize || total > MaxFolderSize {
			return Manifest{}, fmt.Errorf("manifest line %d: the folder's files add up to over %d bytes", lineNo, int64(MaxFolderSize))
		}
		m.Entries = append(m.Entries, e)
	}
	if err := checkNesting(m.Entries); err != nil {
		return Manifest{}, err
	}
	if !bytes.Equal(EncodeManifest(m), b) {
		return Manifest{}, fmt.Errorf("manifest is not in canonical form")
	}
	return m, nil
}

func decodeEntry(line string) (Entry, error) {
	fields := strings.SplitN(line, " ", 4)
	if len(fields) != 4 {
		return Entry{}, fmt.Errorf("want MODE SIZE ID PATH, got %q", line)
	}
	modeField, sizeField, id, quoted := fields[0], fields[1], fields[2], fields[3]

	p, err := strconv.Unquote(quoted)
	if err != nil {
		return Entry{}, fmt.Errorf("path %s is not a quoted string", quoted)
	}
	if err := checkEntryPath(p); err != nil {
		return Entry{}, err
	}
	if modeField == "dir" {
		if sizeField != "0" || id != "-" {
			return Entry{}, fmt.Errorf("folder %q must have size 0 and id -", p)
		}
		return Entry{Path: p, Mode: dirMode}, nil
	}

	var mode fs.FileMode
	switch modeField {
	case "0644":
		mode = fileMode
	case "0755":
		mode = execMode
	default:
		return Entry{}, fmt.Errorf("mode %q of %q is not 0644, 0755 or dir", modeField, p)
	}
	size, err := strconv.ParseInt(sizeField, 10, 64)
	if err != nil || size < 0 {
		return Entry{}, fmt.Errorf("size %q of %q is not a byte count", sizeField, p)
	}
	if !ValidID(id) {
		return Entry{}, fmt.Errorf("id %q of %q is not 64 lowercase hex digits", id, p)
	}
	return Entry{Path: p, Mode: mode, Size: size, ID: id}, nil
}

// checkEntryPath admits relative, slash-separated paths with no empty, "."
// or ".." element: the paths that cannot leave the folder they are joined to.
// Unlike fs.ValidPath it takes names that are not UTF-8, as Unix file names
// may be. A ".git" element, in any case, is refused too: a folder by that
// name inside an output is a repository whose config git obeys (its hooks,
// its fsmonitor command) once someone runs git there.
func checkEntryPath(p string) error {
	if len(p) > maxEntryPath {
		return fmt.Errorf("path %.80q... is longer than %d bytes", p, maxEntryPath)
	}
	for elem := range strings.SplitSeq(p, "/") {
		if elem == "" || elem == "." || elem == ".." || strings.ContainsRune(elem, 0) {
			return fmt.Errorf("path %q is not a clean relative path inside the folder", p)
		}
		if strings.EqualFold(elem, ".git") {
			return fmt.Errorf("path %q holds a .git folder, which git would take for a repository of its own", p)
		}
	}
	return nil
}

// Bounds of a manifest, whoever wrote it: far above a real folder output,
// low enough that a forged one cannot make a reader allocate without end.
const (
	// MaxManifestSize bounds a manifest's bytes.
	MaxManifestSize = 512 << 20
	// MaxFolderSize bounds the bytes of a folder's files (1 PiB), as
	// records bound an output's (signature.MaxOutputSize), so that sums of
	// sizes cannot overflow.
	MaxFolderSize = 1 << 50
	// MaxManifestEntries bounds its files and empty folders.
	MaxManifestEntries = 4 << 20
	// maxEntryPath is the longest path inside a folder (PATH_MAX).
	maxEntryPath = 4096
)

// checkNesting rejects a file that is also a folder of another entry, and an
// "empty" folder that holds entries: either would make two folders share a
// manifest, or a manifest that cannot be laid out.
func checkNesting(entries []Entry) error {
	parents := make(map[string]string) // folder → one path under it
	for _, e := range entries {
		for dir := path.Dir(e.Path); dir != "."; dir = path.Dir(dir) {
			if _, seen := parents[dir]; seen {
				break
			}
			parents[dir] = e.Path
		}
	}
	for _, e := range entries {
		if under, ok := parents[e.Path]; ok {
			what := "file"
			if e.IsDir() {
				what = "empty folder"
			}
			return fmt.Errorf("manifest lists %q as a %s but also %q under it", e.Path, what, under)
		}
	}
	return nil
}
