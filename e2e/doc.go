// Package e2e holds the end-to-end tests: scripts in testdata/*.txtar that
// drive the real git and git-dds the way a user does, in a hermetic git
// environment. The git-dds on their PATH is a copy of the test binary,
// which runs the command tree compiled into it, so that
// `go test -coverpkg` counts what the scripts exercise.
//
// Run them with `go test ./e2e/`; `-run TestScript/NAME` runs one script,
// `-testwork` keeps its work directory for inspection, and `-update`
// rewrites the archive files that a failing cmp compared against.
package e2e
