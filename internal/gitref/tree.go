package gitref

// Entry is what a tree holds at one path.
type Entry struct {
	ID  string // 40 hex digits: a blob id for a file, a tree id for a folder
	Dir bool
}

// Tree is a read-only view of the files of one revision: a commit's tree or
// the working tree as the next commit would record it.
type Tree interface {
	// Lookup returns the entry at path (repository-relative, slash-separated;
	// "" is the root). ok is false when nothing is tracked there.
	Lookup(path string) (e Entry, ok bool, err error)
	// ReadFile returns the content of the tracked file at path as the tree
	// sees it (for the worktree: the file on disk).
	ReadFile(path string) ([]byte, error)
}
