#!/usr/bin/env bash
# Installs the MinIO server the remote scripts of the end-to-end tests run
# against (e2e/remote_test.go), and does nothing when it is there already:
# `go install` of the pinned github.com/minio/minio into $TOOLS/bin (.tools/
# is git-ignored and cached between runs). The build takes a few minutes,
# so the version is kept in $TOOLS/bin/minio.version: only a changed pin
# builds again.
# Where MinIO cannot be installed it says so: the s3 run of the remote
# scripts then skips, except in CI (CI=true), where this script and that
# run fail instead.
set -euo pipefail

: "${TOOLS:?set TOOLS to the tools folder (make tools-minio does)}"
: "${MINIO_VERSION:?set MINIO_VERSION (make tools-minio does)}"
GO="${GO:-go}"

minio="$TOOLS/bin/minio"
stamp="$TOOLS/bin/minio.version"

fail_or_warn() {
	if [ "${CI:-}" = true ]; then
		echo "tools-minio: $1" >&2
		exit 1
	fi
	echo "tools-minio: $1; the s3 run of the remote scripts will skip" >&2
	exit 0
}

installed="$(cat "$stamp" 2>/dev/null || true)"
if [ -x "$minio" ] && [ -z "$installed" ]; then
	# A binary without a stamp, installed by hand or before the stamp
	# existed: go install records the module version in the binary.
	installed="$("$GO" version -m "$minio" 2>/dev/null |
		awk '$1 == "mod" && $2 == "github.com/minio/minio" { print $3 }' || true)"
	if [ -n "$installed" ]; then
		echo "$installed" >"$stamp"
	fi
fi
if [ -x "$minio" ] && [ "$installed" = "$MINIO_VERSION" ]; then
	exit 0
fi

if ! command -v "$GO" >/dev/null 2>&1; then
	fail_or_warn "$GO is missing, so github.com/minio/minio@$MINIO_VERSION cannot be built"
fi
echo "tools-minio: building github.com/minio/minio@$MINIO_VERSION into $TOOLS/bin (a few minutes, once)"
mkdir -p "$TOOLS/bin"
# No stamp while the binary may be an old one: an interrupted build must
# build again next time.
rm -f "$stamp"
if ! GOBIN="$TOOLS/bin" "$GO" install "github.com/minio/minio@$MINIO_VERSION"; then
	fail_or_warn "go install github.com/minio/minio@$MINIO_VERSION failed"
fi
echo "$MINIO_VERSION" >"$stamp"
