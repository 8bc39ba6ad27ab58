// Package e2e holds the end-to-end tests: scripts in testdata/*.txtar that
// drive the real git and the git-dds binary built from ./cmd/git-dds, the
// way a user does, in a hermetic git environment.
//
// Run them with `go test ./e2e/`; `-run TestScript/NAME` runs one script and
// `-testwork` keeps its work directory for inspection.
package e2e
