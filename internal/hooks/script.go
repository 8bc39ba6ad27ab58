package hooks

import (
	"fmt"
	"strconv"
	"strings"
)

// scriptVersion is the version the marker line names. Raise it whenever the
// script changes, so that Install upgrades hooks written by earlier versions.
const scriptVersion = 3

// markerPrefix starts the marker line of every hook git dds has written, of
// any version; a file with such a line is taken for one of ours.
const markerPrefix = "# git-dds hook"

// chainedSuffix names the file that keeps the hook found in a hook's place
// at install, beside it in the hooks folder.
const chainedSuffix = ".dds-chained"

// chainedName is the file name under which Install keeps the user's hook.
func chainedName(name string) string {
	return name + chainedSuffix
}

// markerLine is the marker line of the current script version.
func markerLine() string {
	return fmt.Sprintf("%s v%d - written by git dds install; git dds uninstall restores what was here", markerPrefix, scriptVersion)
}

// markerVersion finds the marker in a hook file and the script version it
// names. A marker line without a readable version counts as version 0: some
// earlier install, to be upgraded.
func markerVersion(content []byte) (version int, found bool) {
	for line := range strings.Lines(string(content)) {
		rest, ok := strings.CutPrefix(line, markerPrefix)
		if !ok {
			continue
		}
		if numbered, ok := strings.CutPrefix(rest, " v"); ok {
			digits, _, _ := strings.Cut(strings.TrimRight(numbered, "\r\n"), " ")
			if v, err := strconv.Atoi(digits); err == nil && v >= 0 {
				return v, true
			}
		}
		return 0, true
	}
	return 0, false
}

// script is the hook git dds writes for the named hook. It depends on the
// name alone, so installing twice writes the same bytes, and whether a
// chained hook exists is decided when the hook runs, as git decides it.
func script(name string) []byte {
	fromInput := "" // the redirection that gives a hook the saved copy of git's input
	var b strings.Builder
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteByte('\n')
	}
	chained := chainedName(name)

	line("#!/bin/sh")
	line("%s", markerLine())
	line("#")
	line("# Runs the %s hook that was here before git dds install, kept whole", name)
	line("# as %s beside this file, then \"git-dds hook %s\",", chained, name)
	if readsStdin(name) {
		line("# both with git's arguments and the same standard input.")
	} else {
		line("# both with git's arguments.")
	}
	line("")
	line("# $0 is this hook's path as git gave it; the shell strips its name")
	line("# without starting a process (a hook runs on every push and checkout).")
	line(`case $0 in */*) here=${0%%/*} ;; *) here=. ;; esac`)
	line(`chained="$here/%s"`, chained)
	line("status=0")
	line("")
	line("# Git runs a hook only if it is executable, and so does this script.")
	line("# An sh script is sourced by a fresh sh rather than executed, so that its")
	line("# $0 still names this hook: hook managers such as husky find their")
	line("# files through $0.")
	line(`if [ -f "$chained" ] && [ -x "$chained" ]; then`)
	if readsStdin(name) {
		fromInput = ` <"$input"`
		line("	# Git writes the input once; both hooks read it from this copy.")
		line(`	input=$(mktemp "${TMPDIR:-/tmp}/git-dds-hook.XXXXXX") || {`)
		line(`		echo "git dds: cannot create a temporary file to pass on the %s hook's input; set TMPDIR to a writable folder" >&2`, name)
		line("		exit 1")
		line("	}")
		line(`	trap 'rm -f "$input"' EXIT`)
		line(`	trap 'exit 1' HUP INT TERM`)
		line(`	cat >"$input"`)
	}
	line("	first_line=")
	line(`	IFS= read -r first_line <"$chained" 2>/dev/null`)
	line("	case $first_line in")
	line("	'#!/bin/sh' | '#!/usr/bin/env sh')")
	line(`		sh -c '. "$(dirname "$0")/%s"' "$0" "$@"%s`, chained, fromInput)
	line("		;;")
	line("	*)")
	line(`		"$chained" "$@"%s`, fromInput)
	line("		;;")
	line("	esac")
	line("	status=$?")
	line("fi")
	if name == PrePush {
		line("")
		line("# The push is refused already: nothing to check or upload.")
		line(`[ "$status" -eq 0 ] || exit "$status"`)
	}
	line("")
	line("if ! command -v git-dds >/dev/null 2>&1; then")
	if name == PrePush {
		line(`	if [ "$(git config dds.prepush)" = verify ]; then`)
		line(`		echo "git dds: git-dds is not on PATH and dds.prepush is verify, so the push is refused; install git-dds, or remove its hooks with git dds uninstall" >&2`)
		line("		exit 1")
		line("	fi")
	}
	line(`	echo "git dds: git-dds is not on PATH, so the %s hook skipped it; install git-dds, or remove its hooks with git dds uninstall" >&2`, name)
	line(`	exit "$status"`)
	line("fi")
	if readsStdin(name) {
		line("# Without a chained hook, git's input goes straight on.")
		line(`if [ -n "${input-}" ]; then`)
		line(`	git-dds hook %s "$@" <"$input"`, name)
		line("else")
		line(`	git-dds hook %s "$@"`, name)
		line("fi")
	} else {
		line(`git-dds hook %s "$@"`, name)
	}
	line("dds_status=$?")
	line(`[ "$status" -ne 0 ] || status=$dds_status`)
	line(`exit "$status"`)
	return []byte(b.String())
}

// onlyOurLines reports whether every line of content is a line of the
// current script for the hook: a hook of ours from which lines were at most
// deleted, so removing it loses nothing the user wrote.
func onlyOurLines(content []byte, name string) bool {
	ours := make(map[string]bool)
	for _, l := range strings.Split(string(script(name)), "\n") {
		ours[l] = true
	}
	for _, l := range strings.Split(string(content), "\n") {
		if !ours[l] {
			return false
		}
	}
	return true
}
