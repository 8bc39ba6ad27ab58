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

repo=$work/repo
rm -rf "$repo"
git init -q "$repo"
cd "$repo"
cat >dds.yaml <<'YAML'
stages:
  big:
    cmd: mkdir -p out && cp ../big.bin out/big.bin
    deps: [source.txt]
    outs: [out/big.bin]
YAML
echo "../big.bin, copied by the stage" >source.txt
git add dds.yaml source.txt
git -c user.name=bench -c user.email=bench@example.com -c commit.gpgsign=false commit -q -m 'one big output'

cat ../big.bin >/dev/null # into the page cache

copy_seconds=$(median_seconds "$runs" 'rm -rf out && mkdir -p out && sync' 'cp ../big.bin out/big.bin')

echo "output: $size_mib MiB; median of $runs runs each"
printf '%-20s %-28s %10s %10s\n' mode step seconds "ratio"
printf '%-20s %-28s %10.4f %10s\n' - "cp (baseline)" "$copy_seconds" 1.00
for fsync in true false; do
	git config dds.fsync "$fsync"
	for mode in copy hardlink; do
		git config dds.link "$mode"
		label="$mode/fsync=$fsync"
		run_seconds=$(median_seconds "$runs" 'rm -rf out .git/dds && sync' 'git dds run')
		ingest_seconds=$(difference "$run_seconds" "$copy_seconds")
		# The last run left the output in the store: restore it from there.
		checkout_seconds=$(median_seconds "$runs" 'rm -rf out && sync' 'git dds checkout')
		if ! cmp -s out/big.bin ../big.bin; then
			echo "git dds checkout did not restore out/big.bin in $label" >&2
			exit 1
		fi
		printf '%-20s %-28s %10.4f %10s\n' "$label" "git dds run (cp + ingest)" "$run_seconds" "$(ratio "$run_seconds" "$copy_seconds")"
		printf '%-20s %-28s %10.4f %10s\n' "$label" "ingest (run - cp)" "$ingest_seconds" "$(ratio "$ingest_seconds" "$copy_seconds")"
		printf '%-20s %-28s %10.4f %10s\n' "$label" "git dds checkout" "$checkout_seconds" "$(ratio "$checkout_seconds" "$copy_seconds")"
	done
done
echo "ratio: against the cp baseline"
