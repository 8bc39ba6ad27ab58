package ui

import "fmt"

// Transferred is the closing line of a push or a pull, worded the same by
// the commands and by the hooks: "uploaded 2 artifacts to origin
// (3.0 MiB)". done and where are as in Direction.
func Transferred(done string, artifacts int, where string, bytes int64) string {
	return transferred(done, artifacts, where, Bytes(bytes))
}

// TransferredObjects is Transferred with the objects that carried the
// artifacts: "uploaded 2 artifacts to origin (3.0 MiB in 4 objects)".
func TransferredObjects(done string, artifacts int, where string, bytes int64, objects int) string {
	return transferred(done, artifacts, where, Bytes(bytes)+" in "+Count(objects, "object"))
}

func transferred(done string, artifacts int, where, size string) string {
	return fmt.Sprintf("%s %s %s (%s)", done, Count(artifacts, "artifact"), where, size)
}
