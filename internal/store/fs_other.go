//go:build !linux

package store

import (
	"errors"
	"io"
	"os"
)

func cloneFile(dst, src *os.File) error { return errors.ErrUnsupported }

func exchange(a, b string) error { return errors.ErrUnsupported }

func renameNoReplace(string, string) error { return errors.ErrUnsupported }

func startWriteback(*os.File) {}

func startWritebackAt(string) {}

func newWritebackWriter(f *os.File) io.Writer { return f }

func syncFS(string) error { return errors.ErrUnsupported }

func createExclusive(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
}
