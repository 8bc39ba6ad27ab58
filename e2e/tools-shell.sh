#!/usr/bin/env bash
# Installs what the help and completion checks of the end-to-end tests read
# git dds with, as a user would, and does nothing when it is there already:
# man (man-db, with groff) for the manual pages, bash-completion (its loader,
# beside git's own completion script) and zsh for the completion scripts,
# strace for run --audit, as root through apt-get. Where one cannot be installed it says so: the
# checks then skip, except in CI (CI=true), where this script fails instead.
set -euo pipefail

tool_name=tools-shell
tool_checks="the help, completion and audit checks"
# shellcheck source=e2e/tools-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/tools-lib.sh"

missing=()
command -v man >/dev/null 2>&1 || missing+=(man-db)
command -v zsh >/dev/null 2>&1 || missing+=(zsh)
command -v strace >/dev/null 2>&1 || missing+=(strace)
[ -f /usr/share/bash-completion/bash_completion ] || missing+=(bash-completion)
# git's completion script for bash, which git dds's completion plugs into.
[ -f /usr/share/bash-completion/completions/git ] || missing+=(git)
apt_install "${missing[@]+"${missing[@]}"}"
