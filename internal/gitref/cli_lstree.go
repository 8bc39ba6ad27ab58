package gitref

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
)

// TreeFile is a file of a commit's tree, as git ls-tree lists it.
type TreeFile struct {
	Path string
	Size int64
}

// FilesWithSuffix lists the regular files of commit's tree whose name ends
// in suffix, with their sizes: git dds's pin files of a kept commit.
func (r *Repo) FilesWithSuffix(ctx context.Context, commit, suffix string) ([]TreeFile, error) {
	out, err := r.Git(ctx, "ls-tree", "-r", "-z", "-l", "--full-tree", commit)
	if err != nil {
		return nil, err
	}
	return parseLsTree(out, suffix)
}

// parseLsTree reads git ls-tree -r -z -l: "MODE TYPE ID SIZE\tPATH\x00".
func parseLsTree(out []byte, suffix string) ([]TreeFile, error) {
	var files []TreeFile
	for rec := range bytes.SplitSeq(out, []byte{0}) {
		if len(rec) == 0 {
			continue
		}
		meta, path, ok := strings.Cut(string(rec), "\t")
		if !ok {
			return nil, fmt.Errorf("git ls-tree printed %q, which is not MODE TYPE ID SIZE<TAB>PATH", rec)
		}
		if !strings.HasSuffix(path, suffix) {
			continue
		}
		fields := strings.Fields(meta)
		if len(fields) != 4 || fields[1] != "blob" || (fields[0] != "100644" && fields[0] != "100755") {
			continue // a link, a submodule, a folder named like a file
		}
		size, err := strconv.ParseInt(fields[3], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("git ls-tree printed the size %q for %s", fields[3], path)
		}
		files = append(files, TreeFile{Path: path, Size: size})
	}
	return files, nil
}
