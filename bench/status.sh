#!/usr/bin/env bash
# Warm `git dds status` against warm `git status` in a generated repository
# of STAGES stages over FILES tracked files, every stage computed.
#
#   bench/status.sh                         # 2000 stages, 50000 files
#   STAGES=200 FILES=5000 bench/status.sh   # a quick one
#
# The repository and its store are cached under .bench/repos/, so only the
# first invocation for a size pays for generating it and for `git dds run`.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stages=${STAGES:-2000}
files=${FILES:-50000}
seed=${SEED:-1}
jobs=${JOBS:-2}
runs=${RUNS:-10}

build_tools
repo=$(generated_repo "$stages" "$files" 0 "$seed")
cd "$repo"

# Exit code 1 means stale stages: the first invocation, or a git-dds whose
# signatures changed since the cache was made.
if ! git dds status --exit-code >/dev/null; then
	echo "computing $stages stages with -j $jobs (once per cached repository)..." >&2
	time git dds run -j "$jobs" >/dev/null
fi
git dds status --exit-code >/dev/null || {
	echo "status still reports stale stages after git dds run: nothing to compare" >&2
	exit 1
}

# Warm both: the page cache, git's index, git dds's index.
git status >/dev/null
git dds status >/dev/null

echo "repository: $stages stages, $files files ($repo)"
if ensure_hyperfine; then
	csv=$(mktemp)
	trap 'rm -f "$csv"' EXIT
	hyperfine --shell=none --warmup 3 --runs "$runs" --export-csv "$csv" \
		'git status' 'git dds status' >&2
	# Columns: command,mean,stddev,median,user,system,min,max.
	git_seconds=$(awk -F, '$1 == "git status" { print $4 }' "$csv")
	dds_seconds=$(awk -F, '$1 == "git dds status" { print $4 }' "$csv")
	method="hyperfine, median of $runs runs after 3 warm-ups"
else
	git_seconds=$(median_seconds "$runs" true 'git status')
	dds_seconds=$(median_seconds "$runs" true 'git dds status')
	method="shell loop, median of $runs runs"
fi

printf 'git status       %8.4f s\n' "$git_seconds"
printf 'git dds status   %8.4f s\n' "$dds_seconds"
printf 'ratio            %8s   (git dds status / git status; %s)\n' "$(ratio "$dds_seconds" "$git_seconds")" "$method"
