#!/usr/bin/env bash
# Installs what the help and completion checks of the end-to-end tests read
# git dds with, as a user would, and does nothing when it is there already:
# man (man-db, with groff) for the manual pages, bash-completion (its loader,
# beside git's own completion script) and zsh for the completion scripts,
# as root through apt-get. Where one cannot be installed it says so: the
# checks then skip, except in CI (CI=true), where this script fails instead.
set -euo pipefail

fail_or_warn() {
	if [ "${CI:-}" = true ]; then
		echo "tools-shell: $1" >&2
		exit 1
	fi
	echo "tools-shell: $1; the help and completion checks will skip" >&2
}

missing=()
command -v man >/dev/null 2>&1 || missing+=(man-db)
command -v zsh >/dev/null 2>&1 || missing+=(zsh)
[ -f /usr/share/bash-completion/bash_completion ] || missing+=(bash-completion)
# git's completion script for bash, which git dds's completion plugs into.
[ -f /usr/share/bash-completion/completions/git ] || missing+=(git)
if [ "${#missing[@]}" -gt 0 ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "tools-shell: installing ${missing[*]} from Debian"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	else
		fail_or_warn "${missing[*]} missing; install them with: apt-get install ${missing[*]}"
	fi
fi
