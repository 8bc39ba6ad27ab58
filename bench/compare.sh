#!/usr/bin/env bash
# Before and after: each benchmark script runs with git-dds built from REV
# and with the checkout's own git-dds, alternately, ROUNDS times each, in
# one invocation, so that both builds meet the same machine and the same
# cached repositories. The references inside each script (git status, the
# bare merge, Dud, git-annex) are measured every time too.
#
#   bench/compare.sh REV                     # status, switch and merge
#   ROUNDS=3 bench/compare.sh REV status     # one script, three rounds
#
# The environment passes through (STAGES, FILES, SIZE_MIB, RUNS...). Every
# script's output goes to .bench/compare/REV/SCRIPT-BUILD-ROUND.txt, and the
# lines with a figure are printed, labelled, at the end.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -ge 1 ] || { echo "usage: bench/compare.sh REV [SCRIPT...]" >&2; exit 2; }
rev=$(git -C "$bench_root" rev-parse --short "$1^{commit}")
shift
scripts=("$@")
[ ${#scripts[@]} -gt 0 ] || scripts=(status switch merge)
rounds=${ROUNDS:-2}
out=$bench_cache/compare/$rev
before=$out/bin

# REV's git-dds, built once from an export of its tree.
if [ ! -x "$before/git-dds" ]; then
	src=$(mktemp -d)
	trap 'rm -rf "$src"' EXIT
	git -C "$bench_root" archive "$rev" | tar -x -C "$src"
	mkdir -p "$before"
	(cd "$src" && go build -o "$before/git-dds" ./cmd/git-dds)
fi

for round in $(seq "$rounds"); do
	for script in "${scripts[@]}"; do
		echo "round $round: $script, $rev" >&2
		DDS_BIN_DIR=$before bash "$bench_root/bench/$script.sh" >"$out/$script-before-$round.txt"
		echo "round $round: $script, checkout" >&2
		bash "$bench_root/bench/$script.sh" >"$out/$script-after-$round.txt"
	done
done

for script in "${scripts[@]}"; do
	for round in $(seq "$rounds"); do
		for build in before after; do
			label="$script $build"
			[ "$build" = before ] && label="$script $rev"
			[ "$build" = after ] && label="$script checkout"
			grep -E '[0-9]' "$out/$script-$build-$round.txt" | grep -v '^repository' |
				sed "s/^/$label round $round: /"
		done
	done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
