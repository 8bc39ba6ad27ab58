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

fail_or_warn() {
	if [ "${CI:-}" = true ]; then
		echo "tools-browser: $1" >&2
		exit 1
	fi
	echo "tools-browser: $1; the graph checks will skip" >&2
}

missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# Chromium draws text with fontconfig's fonts; with none, labels are empty.
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list 2>/dev/null | head -n 1)" ]; then
	missing+=(fonts-dejavu-core)
fi
if [ "${#missing[@]}" -gt 0 ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "tools-browser: installing ${missing[*]} from Debian"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	else
		fail_or_warn "${missing[*]} missing; install them with: apt-get install ${missing[*]}"
	fi
fi

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
