//go:build !unix

package run

// noFollow is 0 where opens have no such flag.
const noFollow = 0
