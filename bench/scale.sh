#!/usr/bin/env bash
# git dds status at scale: 10,000 stages over 250,000 files. Times warm
# `git dds status` against warm `git status` and reports the peak resident
# memory of each (GNU time's maximum RSS), for three pipelines over the
# same files:
#
#   written   dds.yaml with each stage written out (the generator's)
#   foreach   the same stages, without the upstream edges, as one foreach
#             template over a list of names (dds.yaml in the working tree
#             only; git checkout dds.yaml restores the written one)
#   1M index  written, with 1,000,000 more records in the index (1,000
#             made-up stages, many computations each), against the index
#             of the computed stages alone
#
#   bench/scale.sh                        # 10000 stages, 250000 files
#   STAGES=500 FILES=12500 bench/scale.sh # a quick one
#   RUN=1 bench/scale.sh                  # compute every stage first
#   ONLY=index bench/scale.sh             # one part: written, foreach or index
#
# Generating the repository is done once, under .bench/repos/; so is the
# index of 1,000,000 records, kept beside the repository's own as
# .bench/scale-index-RECORDS-REPO/index. Computing 10,000 stages (RUN=1) takes an
# hour or more on a loaded 2-core machine; without it, the stages not yet
# computed are reported stale, which status finds by the same reads.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stages=${STAGES:-10000}
files=${FILES:-250000}
seed=${SEED:-1}
jobs=${JOBS:-2}
runs=${RUNS:-5}
records=${RECORDS:-1000000}
only=${ONLY:-}

want() { [ -z "$only" ] || [ "$only" = "$1" ]; }

build_tools
(cd "$bench_root" && go build -o "$bench_cache/bin/fillindex" ./bench/fillindex)
repo=$(generated_repo "$stages" "$files" 0 "$seed")
cd "$repo"
git checkout -q -- dds.yaml
if [ "${RUN:-0}" = 1 ] && ! git dds status --exit-code >/dev/null; then
	echo "computing $stages stages with -j $jobs..." >&2
	time git dds run -j "$jobs" >/dev/null
fi
fresh=$(git dds status --json | grep -c '"state": "fresh"' || true)

# time_pair LABEL: median wall seconds of git status and git dds status.
time_pair() {
	git status >/dev/null
	git dds status >/dev/null || true
	if ensure_hyperfine; then
		local csv
		csv=$(mktemp)
		hyperfine --shell=none --warmup 1 --runs "$runs" -i --export-csv "$csv" \
			'git status' 'git dds status' >&2
		git_s=$(awk -F, '$1 == "git status" { print $4 }' "$csv")
		dds_s=$(awk -F, '$1 == "git dds status" { print $4 }' "$csv")
		rm -f "$csv"
	else
		git_s=$(median_seconds "$runs" true 'git status')
		dds_s=$(median_seconds "$runs" true 'git dds status || true')
	fi
}

# peak_kib COMMAND...: the median of three maximum resident sizes, KiB.
peak_kib() {
	local i
	for i in 1 2 3; do
		/usr/bin/time -f '%M' -o /dev/stderr "$@" 2>&1 >/dev/null | tail -1
	done | sort -n | sed -n 2p
}

report() { # LABEL
	time_pair
	local git_kib dds_kib
	git_kib=$(peak_kib git status)
	dds_kib=$(peak_kib git dds status)
	printf '%-9s %9s %9s %7s %10s %10s   dds.yaml %s bytes\n' "$1" "$git_s" "$dds_s" \
		"$(ratio "$dds_s" "$git_s")" "$((git_kib / 1024)) MiB" "$((dds_kib / 1024)) MiB" "$(wc -c <dds.yaml)"
}

echo "repository: $stages stages ($fresh computed), $files files ($repo)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-9s %9s %9s %7s %10s %10s\n' '' 'git s' 'dds s' 'ratio' 'git RSS' 'dds RSS'
want written && report written

# The foreach form of the same stages (upstream edges left out).
want foreach && {
	echo "vars:"
	printf '  - names: ['
	git ls-tree --name-only HEAD src/ | sed 's|^src/||' | paste -sd, - | tr -d '\n'
	echo ']'
	cat <<'YAML'
stages:
  s:
    foreach: ${names}
    do:
      cmd: mkdir -p out && cat src/${item}/* > out/${item}.txt
      deps: ['src/${item}/']
      params:
        params.yaml: ['${item}.k']
      outs: ['out/${item}.txt']
YAML
} >dds.yaml && report foreach
git checkout -q -- dds.yaml
want index || exit 0

# The same repository with 1,000,000 more records in its index.
small="$repo/.git/dds/index"
# A pipeline never run has no index (status creates none): give it one of
# 1,000 made-up records, the index the large one is compared with.
[ -d "$small" ] || fillindex -dds "$repo/.git/dds" -records 1000 -seed 2 >&2
big="$bench_cache/scale-index-$records-$(basename "$repo")"
if [ ! -d "$big" ]; then
	echo "adding $records records to a copy of the index (once)..." >&2
	rm -rf "$big.partial"
	mkdir -p "$big.partial"
	cp -a "$small" "$big.partial/index"
	fillindex -dds "$big.partial" -records "$records"
	mv "$big.partial" "$big"
fi
report 'small idx'
mv "$small" "$small.keep"
cp -a "$big/index" "$small"
trap 'rm -rf "$small"; mv "$small.keep" "$small"' EXIT
report '1M index'
echo "index: $(du -sh "$big/index" | cut -f1) with $records more records, against $(du -sh "$small.keep" | cut -f1)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
