package gitref

import "unsafe"

// dirListing is the names of one folder, each in a run of one byte slice.
type dirListing struct {
	names []byte
	ents  []dirEnt
}

// dirEnt is one name of a listing, names[start:end], and whether it is a
// folder (a symbolic link to one is not).
type dirEnt struct {
	start, end int
	isDir      bool
}

func (l *dirListing) add(name []byte, isDir bool) {
	start := len(l.names)
	l.names = append(l.names, name...)
	l.ents = append(l.ents, dirEnt{start: start, end: len(l.names), isDir: isDir})
}

// name is the i-th name. It shares the listing's bytes, which nothing
// writes once the listing is made.
func (l *dirListing) name(i int) string {
	e := l.ents[i]
	if e.start == e.end {
		return ""
	}
	return unsafe.String(&l.names[e.start], e.end-e.start)
}
