#!/usr/bin/env bash
# The cost of putting a large output into the store and of restoring it,
# in copy and hardlink mode (git config dds.link), against plain cp.
#
#   bench/ingest.sh                 # a 1 GiB output
#   SIZE_MIB=256 bench/ingest.sh    # a quicker one
#
# Ingest: the stage's command is `cp BIG out/big.bin`, so `git dds run` of
# it costs that cp plus the ingest. Each run starts from an empty store and
# no output; the ingest is the median time of `git dds run` minus the median
# time of the same cp alone. The store fsyncs what it writes, which a plain
# cp does not: that is part of the ingest's cost, by design.
#
# That difference still holds what any `git dds run` costs whatever its
# output's size (starting the binary, creating the index, reading the tree,
# recording). The same stage run in a twin repository whose BIG is empty
# measures it, and the last row of each mode takes it off: what storing the
# gigabyte itself costs.
#
# Checkout: `git dds checkout` of the output into a working tree without it,
# against `cp BIG out/big.bin`.
#
# Every timed step starts after `sync`, with BIG in the page cache.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

size_mib=${SIZE_MIB:-1024}
runs=${RUNS:-5}

build_tools
work=$bench_cache/ingest
mkdir -p "$work"
big=$work/big.bin
if [ ! -f "$big" ] || [ "$(stat -c %s "$big")" -ne $((size_mib * 1024 * 1024)) ]; then
	echo "writing a ${size_mib} MiB file of random bytes..." >&2
	head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$big.partial"
	mv "$big.partial" "$big"
fi

# The big file, its output and the store's copy must fit at once.
need_kib=$((size_mib * 1024 * 3))
free_kib=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
if [ "$free_kib" -lt "$need_kib" ]; then
	echo "$work has $((free_kib / 1024)) MiB free; this benchmark needs $((need_kib / 1024)) MiB" >&2
	exit 1
fi

# make_repo DIR INPUT: a repository whose one stage copies INPUT to its output.
make_repo() {
	rm -rf "$1"
	git init -q "$1"
	cat >"$1/dds.yaml" <<YAML
stages:
  big:
    cmd: mkdir -p out && cp $2 out/big.bin
    deps: [source.txt]
    outs: [out/big.bin]
YAML
	echo "$2, copied by the stage" >"$1/source.txt"
	git -C "$1" add dds.yaml source.txt
	git -C "$1" -c user.name=bench -c user.email=bench@example.com -c commit.gpgsign=false commit -q -m 'one output'
}

: >"$work/empty.bin"
make_repo "$work/empty" ../empty.bin
repo=$work/repo
make_repo "$repo" ../big.bin
cd "$repo"

cat ../big.bin >/dev/null # into the page cache

copy_seconds=$(median_seconds "$runs" 'rm -rf out && mkdir -p out && sync' 'cp ../big.bin out/big.bin')
# The same copy made durable, as the store makes its objects by default.
durable_copy_seconds=$(median_seconds "$runs" 'rm -rf out && mkdir -p out && sync' 'cp ../big.bin out/big.bin && sync out/big.bin')
empty_copy_seconds=$(cd ../empty && median_seconds "$runs" 'rm -rf out && mkdir -p out && sync' 'cp ../empty.bin out/big.bin')

# row LABEL STEP SECONDS prints a line of the table.
row() {
	printf '%-20s %-28s %10.4f %10s %12s\n' "$1" "$2" "$3" "$(ratio "$3" "$copy_seconds")" "$(ratio "$3" "$durable_copy_seconds")"
}

echo "output: $size_mib MiB; median of $runs runs each"
printf '%-20s %-28s %10s %10s %12s\n' mode step seconds "/ cp" "/ cp+fsync"
row - "cp (baseline)" "$copy_seconds"
row - "cp + fsync (baseline)" "$durable_copy_seconds"
for fsync in true false; do
	for mode in copy hardlink; do
		for dir in . ../empty; do
			git -C "$dir" config dds.fsync "$fsync"
			git -C "$dir" config dds.link "$mode"
		done
		label="$mode/fsync=$fsync"
		run_seconds=$(median_seconds "$runs" 'rm -rf out .git/dds && sync' 'git dds run')
		ingest_seconds=$(difference "$run_seconds" "$copy_seconds")
		empty_run_seconds=$(cd ../empty && median_seconds "$runs" 'rm -rf out .git/dds && sync' 'git dds run')
		fixed_seconds=$(difference "$empty_run_seconds" "$empty_copy_seconds")
		output_seconds=$(difference "$ingest_seconds" "$fixed_seconds")
		# The last run left the output in the store: restore it from there.
		checkout_seconds=$(median_seconds "$runs" 'rm -rf out && sync' 'git dds checkout')
		if ! cmp -s out/big.bin ../big.bin; then
			echo "git dds checkout did not restore out/big.bin in $label" >&2
			exit 1
		fi
		row "$label" "git dds run (cp + ingest)" "$run_seconds"
		row "$label" "ingest (run - cp)" "$ingest_seconds"
		row "$label" "  of which any run's cost" "$fixed_seconds"
		row "$label" "  of which the output's" "$output_seconds"
		row "$label" "git dds checkout" "$checkout_seconds"
	done
done
echo "/ cp: against cp alone; / cp+fsync: against cp followed by an fsync of the copy"
