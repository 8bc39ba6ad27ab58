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
	start, end uint32
	isDir      bool
}

func (l *dirListing) add(name []byte, isDir bool) {
	start := len(l.names)
	l.names = append(l.names, name...)
	l.ents = append(l.ents, dirEnt{start: uint32(start), end: uint32(len(l.names)), isDir: isDir})
}

// reset empties l for another listing, keeping its room: the names of
// the last one must no longer be in use.
func (l dirListing) reset() dirListing {
	return dirListing{names: l.names[:0], ents: l.ents[:0]}
}

// name is the i-th name. It shares the listing's bytes, which nothing
// writes until the listing is reset.
func (l *dirListing) name(i int) string {
	e := l.ents[i]
	if e.start == e.end {
		return ""
	}
	return unsafe.String(&l.names[e.start], e.end-e.start)
}
