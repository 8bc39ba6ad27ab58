package store

import "fmt"

// LinkMode says how output files move between the working tree and the store.
type LinkMode int

const (
	// Copy gives the working tree its own copy of every file: a reflink where
	// the filesystem can share blocks, a plain copy elsewhere. Editing a
	// working file never touches the store.
	Copy LinkMode = iota
	// Hardlink makes working files read-only hard links to the store's
	// objects: no bytes are copied, at the price of files that must be
	// replaced rather than edited in place. Executable files and files that
	// already have other links are still copied, because one inode cannot be
	// both a read-only object and something else.
	Hardlink
)

// String returns the git config spelling of the mode.
func (m LinkMode) String() string {
	switch m {
	case Copy:
		return "copy"
	case Hardlink:
		return "hardlink"
	default:
		return fmt.Sprintf("LinkMode(%d)", int(m))
	}
}

// ParseLinkMode reads a dds.link value; an empty value means the default, Copy.
func ParseLinkMode(s string) (LinkMode, error) {
	switch s {
	case "", "copy":
		return Copy, nil
	case "hardlink":
		return Hardlink, nil
	default:
		return Copy, fmt.Errorf("link mode %q is not known: set dds.link to copy or hardlink", s)
	}
}
