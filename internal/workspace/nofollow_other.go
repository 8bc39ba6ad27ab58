//go:build !unix

package workspace

// noFollow is 0 where opens have no such flag.
const noFollow = 0
