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
# Every timed step starts after `sync`, with BIG in the page cache. Each
# fsync setting's baselines and runs are one hyperfine invocation, so that
# they meet the same machine; the table gives wall time (median) and CPU
# time (user + system, mean), which a loaded machine disturbs far less.
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
ensure_hyperfine && command -v jq >/dev/null || {
	echo "this benchmark needs hyperfine and jq (Debian: apt-get install hyperfine jq)" >&2
	exit 1
}

# Each fsync setting is one hyperfine invocation holding the baselines and
# every run, so that all meet the same machine; the checkouts another.
# timed NAME PREPARE COMMAND adds a command to the invocation being built.
timed() { args+=(-n "$1" --prepare "$2" "$3"); }
median_of() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .median' "$1"; }
cpu_of() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .user + .system' "$1"; }
clean='rm -rf out .git/dds && sync'
echo "output: $size_mib MiB; median of $runs runs each (hyperfine, 1 warm-up); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-20s %-28s %10s %10s %10s %12s\n' mode step seconds "cpu (s)" "/ cp" "/ cp+fsync"
for fsync in true false; do
	args=()
	timed cp 'rm -rf out && mkdir -p out && sync' 'cp ../big.bin out/big.bin'
	timed "cp + fsync" 'rm -rf out && mkdir -p out && sync' 'cp ../big.bin out/big.bin && sync out/big.bin'
	timed "cp, empty" 'cd ../empty && rm -rf out && mkdir -p out && sync' 'cd ../empty && cp ../empty.bin out/big.bin'
	for mode in copy hardlink; do
		set_mode="git config dds.fsync $fsync && git config dds.link $mode"
		timed "run $mode" "$set_mode && $clean" 'git dds run'
		timed "run $mode, empty" "cd ../empty && $set_mode && $clean" 'cd ../empty && git dds run'
	done
	json=$work/ingest-$fsync.json
	hyperfine --shell=bash --warmup 1 --runs "$runs" --style basic --export-json "$json" "${args[@]}" >&2
	# The last run left the output in the store: restore it from there.
	args=()
	for mode in copy hardlink; do
		timed "checkout $mode" "git config dds.link $mode && rm -rf out && sync" 'git dds checkout'
	done
	checkouts=$work/checkout-$fsync.json
	hyperfine --shell=bash --warmup 1 --runs "$runs" --style basic --export-json "$checkouts" "${args[@]}" >&2
	if ! cmp -s out/big.bin ../big.bin; then
		echo "git dds checkout did not restore out/big.bin (fsync $fsync)" >&2
		exit 1
	fi
	copy_seconds=$(median_of "$json" cp)
	durable_copy_seconds=$(median_of "$json" "cp + fsync")
	empty_copy_seconds=$(median_of "$json" "cp, empty")
	# row LABEL STEP SECONDS CPU prints a line of the table.
	row() {
		printf '%-20s %-28s %10.4f %10s %10s %12s\n' "$1" "$2" "$3" "$4" "$(ratio "$3" "$copy_seconds")" "$(ratio "$3" "$durable_copy_seconds")"
	}
	row "-" "cp (baseline)" "$copy_seconds" "$(printf '%.3f' "$(cpu_of "$json" cp)")"
	row "-" "cp + fsync (baseline)" "$durable_copy_seconds" "$(printf '%.3f' "$(cpu_of "$json" "cp + fsync")")"
	for mode in copy hardlink; do
		label="$mode/fsync=$fsync"
		run_seconds=$(median_of "$json" "run $mode")
		ingest_seconds=$(difference "$run_seconds" "$copy_seconds")
		fixed_seconds=$(difference "$(median_of "$json" "run $mode, empty")" "$empty_copy_seconds")
		output_seconds=$(difference "$ingest_seconds" "$fixed_seconds")
		ingest_cpu=$(difference "$(cpu_of "$json" "run $mode")" "$(cpu_of "$json" cp)")
		row "$label" "git dds run (cp + ingest)" "$run_seconds" "$(printf '%.3f' "$(cpu_of "$json" "run $mode")")"
		row "$label" "ingest (run - cp)" "$ingest_seconds" "$ingest_cpu"
		row "$label" "  of which any run's cost" "$fixed_seconds" -
		row "$label" "  of which the output's" "$output_seconds" -
		row "$label" "git dds checkout" "$(median_of "$checkouts" "checkout $mode")" "$(printf '%.3f' "$(cpu_of "$checkouts" "checkout $mode")")"
	done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "/ cp: against cp alone; / cp+fsync: against cp followed by an fsync of the copy; cpu: user + system, mean"
