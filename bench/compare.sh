#!/usr/bin/env bash
# Before and after: each benchmark script runs with git-dds built from REV
# and with the checkout's own git-dds, alternately, ROUNDS times each, in
# one invocation, so that both builds meet the same machine and the same
# cached repositories. The references inside each script (git status, the
# bare merge, Dud, git-annex) are measured every time too.
#
#   bench/compare.sh REV                     # status, switch and merge
#   ROUNDS=3 bench/compare.sh REV status     # one script, three rounds
#   bench/compare.sh REV status merge cpu    # and the CPU times
#
# "cpu" is not a script: it times git dds status, a merge through the
# hooks and merge-preview with both builds in one hyperfine run each, in
# the repositories status.sh and merge.sh left, and prints the user+system
# time of each, which a busy machine disturbs far less than wall time.
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

# cpu_times times, with each build, what CMD (a git dds command line after
# "git dds", or a git command that runs the hooks) costs in user+system.
cpu_times() {
	local name=$1 runs=$2 prepare=$3 cmd=$4
	hyperfine --warmup 2 --runs "$runs" --prepare "$prepare" --export-json "$out/cpu-$name.json" \
		-n "$rev" "PATH=$before:\$PATH $cmd" -n checkout "PATH=$bench_cache/bin:\$PATH $cmd" >/dev/null 2>&1
	jq -r --arg name "$name" '.results[] | "cpu \($name), \(.command): \((.user + .system) * 1000 | floor) ms user+system (mean), \(.median * 1000 | floor) ms wall (median)"' "$out/cpu-$name.json"
}

cpu_compare() {
	build_tools
	ensure_hyperfine && command -v jq >/dev/null || { echo "cpu: needs hyperfine and jq" >&2; return 1; }
	local status_repo=$bench_cache/repos/stages${STAGES:-2000}-files${FILES:-50000}-out0-seed${SEED:-1}
	local merge_repo=$bench_cache/merge-${STAGES:-2000}-${FILES:-50000}-${SEED:-1}
	if [ ! -d "$status_repo" ] || [ ! -d "$merge_repo" ]; then
		echo "cpu: run the status and merge scripts first (they make the repositories)" >&2
		return 1
	fi
	(cd "$status_repo" && cpu_times status 30 true 'git dds status >/dev/null')
	(
		cd "$merge_repo"
		local main
		main=$(git rev-parse main)
		git dds install >/dev/null
		cpu_times merge 15 "git reset -q --hard $main && git dds checkout >/dev/null" 'git merge -q --no-edit wide'
		git reset -q --hard "$main" && git dds checkout >/dev/null
		git dds uninstall >/dev/null
		cpu_times merge-preview 15 true 'git dds merge-preview wide >/dev/null'
	)
}

for round in $(seq "$rounds"); do
	for script in "${scripts[@]}"; do
		[ "$script" = cpu ] && continue
		echo "round $round: $script, $rev" >&2
		DDS_BIN_DIR=$before bash "$bench_root/bench/$script.sh" >"$out/$script-before-$round.txt"
		echo "round $round: $script, checkout" >&2
		bash "$bench_root/bench/$script.sh" >"$out/$script-after-$round.txt"
	done
done

for script in "${scripts[@]}"; do
	[ "$script" = cpu ] && continue
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
for script in "${scripts[@]}"; do
	[ "$script" = cpu ] && cpu_compare
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
