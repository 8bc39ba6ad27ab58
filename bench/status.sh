#!/usr/bin/env bash
# Warm `git dds status` against warm `git status` in a generated repository
# of STAGES stages over FILES tracked files, every stage computed.
#
#   bench/status.sh                         # 2000 stages, 50000 files
#   STAGES=200 FILES=5000 bench/status.sh   # a quick one
#   COPY=1 bench/status.sh                  # status in a cp -a copy
#   FSMONITOR=1 bench/status.sh             # both with Watchman's hook
#
# COPY=1 times `git dds status` in a cp -a copy of the repository, whose
# files all have new inodes and ctimes that git's index does not know yet:
# the first status there (it hashes every dep, then has git refresh its
# index), the status after it, and a status that may not refresh the index
# (GIT_OPTIONAL_LOCKS=0), which is what every status in the copy cost
# before status refreshed git's index. Each first status starts from the
# copy's stale index again, copied back in place.
#
# FSMONITOR=1 sets core.fsmonitor to the Watchman hook of git's templates
# (fsmonitor-watchman.sample) for the run, for git status and git dds
# status alike, and unsets it at the end; it needs watchman.
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

if [ "${FSMONITOR:-0}" = 1 ]; then
	command -v watchman >/dev/null || {
		echo "FSMONITOR=1 needs watchman (apt-get install watchman)" >&2
		exit 1
	}
	templates=$(mktemp -d)
	git init -q "$templates"
	cp "$templates/.git/hooks/fsmonitor-watchman.sample" .git/hooks/query-watchman
	rm -rf "$templates"
	chmod +x .git/hooks/query-watchman
	git config core.fsmonitor .git/hooks/query-watchman
	trap 'git config --unset core.fsmonitor; watchman watch-del "$PWD" >/dev/null 2>&1 || true' EXIT
	# The first query sets the watch up and reports everything.
	git status >/dev/null
	git dds status >/dev/null
fi

# Warm both: the page cache, git's index, git dds's index.
git status >/dev/null
git dds status >/dev/null

echo "repository: $stages stages, $files files ($repo)"
if [ "${COPY:-0}" = 1 ]; then
	copy="$bench_cache/status-copy"
	rm -rf "$copy"
	cp -a "$repo" "$copy"
	cp -p "$copy/.git/index" "$copy.stale-index"
	trap 'rm -rf "$copy" "$copy.stale-index"' EXIT
	cd "$copy"
	restore="cp -p $copy.stale-index $copy/.git/index"
	$restore
	if ensure_hyperfine; then
		csv=$(mktemp)
		trap 'rm -rf "$copy" "$copy.stale-index" "$csv"' EXIT
		time_one() { # NAME PREPARE COMMAND: prints median, user, system
			if [ -n "$2" ]; then
				hyperfine --shell=none --runs "$runs" --prepare "$2" --export-csv "$csv" -n "$1" "$3" >&2
			else
				hyperfine --shell=none --warmup 2 --runs "$runs" --export-csv "$csv" -n "$1" "$3" >&2
			fi
			awk -F, 'NR == 2 { print $4, $5, $6 }' "$csv"
		}
		read -r norefresh nr_user nr_sys < <(time_one 'status with the index never refreshed' "$restore" 'env GIT_OPTIONAL_LOCKS=0 git dds status')
		read -r first first_user first_sys < <(time_one 'first status after cp -a' "$restore" 'git dds status')
		read -r second second_user second_sys < <(time_one 'second status after cp -a' '' 'git dds status')
		method="hyperfine, median of $runs runs"
	else
		norefresh=$(median_seconds "$runs" "$restore" 'GIT_OPTIONAL_LOCKS=0 git dds status')
		first=$(median_seconds "$runs" "$restore" 'git dds status')
		second=$(median_seconds "$runs" true 'git dds status')
		nr_user=0 nr_sys=0 first_user=0 first_sys=0 second_user=0 second_sys=0
		method="shell loop, median of $runs runs"
	fi
	printf '%-34s %8s %8s %8s\n' '' 'wall s' 'user s' 'sys s'
	printf '%-34s %8.4f %8.4f %8.4f\n' 'status, index never refreshed' "$norefresh" "$nr_user" "$nr_sys"
	printf '%-34s %8.4f %8.4f %8.4f\n' 'first status after cp -a' "$first" "$first_user" "$first_sys"
	printf '%-34s %8.4f %8.4f %8.4f\n' 'second status after cp -a' "$second" "$second_user" "$second_sys"
	printf 'second / never refreshed  %s   (%s; load average %s)\n' "$(ratio "$second" "$norefresh")" "$method" "$(cut -d' ' -f1-3 /proc/loadavg)"
	exit 0
fi
if ensure_hyperfine; then
	csv=$(mktemp)
	trap 'rm -f "$csv"; if [ "${FSMONITOR:-0}" = 1 ]; then git config --unset core.fsmonitor; watchman watch-del "$PWD" >/dev/null 2>&1 || true; fi' EXIT
	hyperfine --shell=none --warmup 3 --runs "$runs" --export-csv "$csv" \
		'git status' 'git dds status' >&2
	# Columns: command,mean,stddev,median,user,system,min,max.
	git_seconds=$(awk -F, '$1 == "git status" { print $4 }' "$csv")
	dds_seconds=$(awk -F, '$1 == "git dds status" { print $4 }' "$csv")
	git_cpu=$(awk -F, '$1 == "git status" { print $5 + $6 }' "$csv")
	dds_cpu=$(awk -F, '$1 == "git dds status" { print $5 + $6 }' "$csv")
	method="hyperfine, median of $runs runs after 3 warm-ups"
else
	git_seconds=$(median_seconds "$runs" true 'git status')
	dds_seconds=$(median_seconds "$runs" true 'git dds status')
	method="shell loop, median of $runs runs"
fi

printf 'git status       %8.4f s\n' "$git_seconds"
printf 'git dds status   %8.4f s\n' "$dds_seconds"
if [ -n "${git_cpu:-}" ]; then
	printf 'CPU (user + sys, means): git status %.4f s, git dds status %.4f s, ratio %s\n' "$git_cpu" "$dds_cpu" "$(ratio "$dds_cpu" "$git_cpu")"
fi
printf 'ratio            %8s   (git dds status / git status; %s; load average %s)\n' "$(ratio "$dds_seconds" "$git_seconds")" "$method" "$(cut -d' ' -f1-3 /proc/loadavg)"
