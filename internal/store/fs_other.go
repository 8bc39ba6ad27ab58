//go:build !linux

package store

import (
	"context"
	"errors"
	"io"
	"os"
)

func cloneFile(dst, src *os.File) error { return errors.ErrUnsupported }

func exchange(a, b string) error { return errors.ErrUnsupported }

func startWriteback(*os.File) {}

func startWritebackAt(string) {}

func newWritebackWriter(f *os.File) io.Writer { return f }

func syncFS(string) error { return errors.ErrUnsupported }

func copyHashFile(context.Context, *os.File, *os.File, bool) (string, int64, error) {
	return "", 0, errors.ErrUnsupported
}
