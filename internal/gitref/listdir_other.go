//go:build !linux

package gitref

// listDir lists a folder in the order the file system gives, into into,
// emptied, whose room is reused.
func listDir(dir string, into dirListing) (dirListing, error) {
	f, err := openDir(dir)
	if err != nil {
		return into, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return into, err
	}
	l := into.reset()
	for _, e := range entries {
		l.add([]byte(e.Name()), e.IsDir())
	}
	return l, nil
}
