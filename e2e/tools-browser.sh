#!/usr/bin/env bash
# Installs what the graph checks of the end-to-end tests render with, and
# does nothing when it is there already:
#   - Debian's graphviz (dot) and chromium (headless), with a font, as root
#     through apt-get;
#   - the mermaid npm package, at the pinned version, into $TOOLS/node_modules
#     (.tools/ is git-ignored and cached between runs).
# Where a tool cannot be installed it says so: the graph checks then skip,
# except in CI (CI=true), where this script and the checks fail instead.
set -euo pipefail

: "${TOOLS:?set TOOLS to the tools folder (make tools-browser does)}"
: "${MERMAID_VERSION:?set MERMAID_VERSION (make tools-browser does)}"

tool_name=tools-browser
tool_checks="the graph checks"
# shellcheck source=e2e/tools-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/tools-lib.sh"

missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# Chromium draws text with fontconfig's fonts; with none, labels are empty.
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list 2>/dev/null | head -n 1)" ]; then
	missing+=(fonts-dejavu-core)
fi
apt_install "${missing[@]+"${missing[@]}"}"

mermaid="$TOOLS/node_modules/mermaid"
installed="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$mermaid/package.json" 2>/dev/null || true)"
if [ "$installed" != "$MERMAID_VERSION" ]; then
	if command -v npm >/dev/null 2>&1; then
		echo "tools-browser: installing mermaid@$MERMAID_VERSION into $TOOLS"
		mkdir -p "$TOOLS"
		npm install --prefix "$TOOLS" --no-save --no-package-lock --no-audit --no-fund \
			--ignore-scripts --loglevel=error "mermaid@$MERMAID_VERSION" >/dev/null
	else
		fail_or_warn "npm is missing, so mermaid@$MERMAID_VERSION cannot be installed"
	fi
fi
