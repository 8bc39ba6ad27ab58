# shellcheck shell=bash
# Helpers shared by the benchmark scripts; sourced, not run.
# Everything a benchmark builds or caches lives under .bench/ at the root of
# the checkout.

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_cache=$bench_root/.bench

# build_tools builds git-dds and the generator into .bench/bin and puts
# them first on PATH, so that `git dds` runs the checkout's own code. With
# DDS_BIN_DIR set (bench/compare.sh sets it), the git-dds in that folder
# runs instead: another commit's build, measured by the same script.
build_tools() {
	mkdir -p "$bench_cache/bin"
	(cd "$bench_root" && go build -o "$bench_cache/bin/git-dds" ./cmd/git-dds)
	(cd "$bench_root" && go build -o "$bench_cache/bin/gen" ./bench/gen)
	export PATH="$bench_cache/bin:$PATH"
	if [ -n "${DDS_BIN_DIR:-}" ]; then
		export PATH="$DDS_BIN_DIR:$PATH"
	fi
}

# generated_repo STAGES FILES OUT_BYTES SEED prints the path of a generated
# repository, creating it on first use. A half-written one, from an
# interrupted run, is never reused: generation happens beside it and is
# renamed into place at the end.
generated_repo() {
	local stages=$1 files=$2 out_bytes=$3 seed=$4
	local repo="$bench_cache/repos/stages$stages-files$files-out$out_bytes-seed$seed"
	if [ ! -d "$repo" ]; then
		mkdir -p "$bench_cache/repos"
		rm -rf "$repo.partial"
		gen -dir "$repo.partial" -stages "$stages" -files "$files" -out-bytes "$out_bytes" -seed "$seed" >&2
		mv "$repo.partial" "$repo"
	fi
	printf '%s\n' "$repo"
}

# prepared_repo DEST SRC PREPARE copies the repository SRC to DEST and runs
# the shell function PREPARE inside the copy, with a bench identity for its
# commits, unless DEST is there from an earlier run. As with generated_repo,
# a copy that an interrupted run left half prepared is never used.
prepared_repo() {
	local dest=$1 src=$2 prepare=$3
	[ -d "$dest" ] && return 0
	rm -rf "$dest.partial"
	cp -a "$src" "$dest.partial"
	(
		cd "$dest.partial" || exit
		git config user.name bench
		git config user.email bench@example.com
		git config commit.gpgsign false
		"$prepare"
	)
	mv "$dest.partial" "$dest"
}

# ensure_hyperfine installs hyperfine from the distribution when it is
# missing and this is root on a Debian-like system; otherwise the scripts
# time with their own loop.
ensure_hyperfine() {
	command -v hyperfine >/dev/null && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "installing hyperfine..." >&2
		apt-get install -y -q hyperfine >&2 ||
			{ apt-get update -q >&2 && apt-get install -y -q hyperfine >&2; } ||
			echo "hyperfine could not be installed: timing with a shell loop" >&2
	fi
	command -v hyperfine >/dev/null
}

# median_seconds RUNS PREPARE COMMAND runs PREPARE (untimed) then COMMAND
# (timed) RUNS times in the current folder, and prints the median wall time
# of COMMAND in seconds. Both are bash command strings; COMMAND's output is
# discarded and its failure stops the benchmark.
median_seconds() {
	local runs=$1 prepare=$2 command=$3 i start end
	local -a times=()
	for ((i = 0; i < runs; i++)); do
		bash -c "$prepare"
		start=$(date +%s%N)
		bash -c "$command" >/dev/null
		end=$(date +%s%N)
		times+=("$((end - start))")
	done
	printf '%s\n' "${times[@]}" | sort -n |
		awk '{ t[NR] = $1 } END { m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2; printf "%.4f\n", m / 1e9 }'
}

# ratio A B prints A / B with two decimals.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "inf"; else printf "%.2f\n", a / b }'
}

# difference A B prints A - B in seconds.
difference() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f\n", a - b }'
}
