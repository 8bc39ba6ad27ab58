package index

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// IsNotWritable tells the errors of a folder that cannot be written: a
// read-only filesystem (a shared store mounted read-only), or one that
// this user may not write.
func IsNotWritable(err error) bool {
	return errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission)
}

// NotWritable is the error of a command that has to write the store in
// ddsDir (its index, its objects) and cannot: it keeps the cause, and says
// what to do.
func NotWritable(ddsDir string, err error) error {
	return fmt.Errorf("the store in %s cannot be written: %w; git dds writes its index and objects there, so point git config dds.dir at a writable folder (or make this one writable) and run the command again",
		ddsDir, err)
}
