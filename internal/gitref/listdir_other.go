//go:build !linux

package gitref

// listDir lists a folder in the order the file system gives.
func listDir(dir string) (dirListing, error) {
	f, err := openDir(dir)
	if err != nil {
		return dirListing{}, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return dirListing{}, err
	}
	var l dirListing
	for _, e := range entries {
		l.add([]byte(e.Name()), e.IsDir())
	}
	return l, nil
}
