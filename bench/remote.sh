#!/usr/bin/env bash
# Remotes: git dds push and fetch against rclone copy of the same bytes, to
# and from the same local MinIO server; and git push with the pre-push hook
# in upload mode when the remote already holds everything.
#
#   bench/remote.sh                                   # 1 GiB; 10,000 x 100 KiB; 2,000 stages
#   SIZE_MIB=64 FILES=500 STAGES=200 FILES_REPO=5000 bench/remote.sh   # a quick one
#
# (a) one file of SIZE_MIB of random bytes, the output of a stage computed
#     once with git dds run --offline: git dds push (to a fresh prefix every
#     run, so the remote and git dds's cache of what it holds are empty)
#     against rclone copy of the file (to a fresh prefix); git dds fetch in a
#     fresh git clone (remote configured, no object local) against rclone
#     copy back into an empty folder.
# (b) the same with a folder output of FILES files of FILE_KIB each; rclone
#     with its defaults (4 transfers) and with --transfers 8, git dds's
#     default.
# (c) git push of main after a new empty commit (the dds view is
#     unchanged) to a local bare repository, in the generated STAGES-stage
#     repository whose every artifact the remote already holds: with the
#     pre-push hook in upload mode, and with the hooks off; and with the
#     hook, git push origin HEAD:refs/heads/detached (a local ref that is no
#     branch).
#
# MinIO (.tools/bin/minio, make tools-minio) serves a fresh data folder
# under .bench/remote on a free port of 127.0.0.1, and is killed on exit
# (see bench/minio.sh).

# The timed commands and their preparations are strings for the timing
# shell, which expands them: single quotes keep them for it.
# shellcheck disable=SC2016
set -euo pipefail
shopt -s inherit_errexit # a failure inside $(...) stops the benchmark too
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/minio.sh
source "$(dirname "${BASH_SOURCE[0]}")/minio.sh"

size_mib=${SIZE_MIB:-1024}
files=${FILES:-10000}
file_kib=${FILE_KIB:-100}
stages=${STAGES:-2000}
files_repo=${FILES_REPO:-50000}
seed=${SEED:-1}
jobs=${JOBS:-2}
runs=${RUNS:-3}
hook_runs=${HOOK_RUNS:-10}
transfers=${TRANSFERS:-8}
command -v jq >/dev/null || {
	echo "this benchmark needs jq (Debian: apt-get install jq)" >&2
	exit 1
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
build_tools
have_hyperfine=no
ensure_hyperfine && have_hyperfine=yes

work=$bench_cache/remote
run_dir=$work/run
mkdir -p "$work"
rm -rf "$run_dir"
mkdir -p "$run_dir"

big_bytes=$((size_mib * 1024 * 1024))
dir_bytes=$((files * file_kib * 1024))
# Per data set: the output and the store's copy, a clone's and a download's
# copies, and in MinIO a copy per run for git dds and for each rclone
# variant (one for the file, two for the folder).
need_mib=$(((big_bytes * (2 * runs + 4) + dir_bytes * (3 * runs + 4)) / 1048576))
free_mib=$(($(df -Pk "$work" | awk 'NR == 2 { print $4 }') / 1024))
if [ "$free_mib" -lt "$need_mib" ]; then
	echo "$work has $free_mib MiB free; this benchmark needs $need_mib MiB" >&2
	exit 1
fi

cleanup() {
	minio_stop
	if [ "${KEEP:-0}" != 1 ]; then
		rm -rf "$minio_dir" "$run_dir"
	fi
}
trap cleanup EXIT
minio_start "$work"

# remote_config DIR PREFIX points git dds's remote origin of the repository
# in DIR at s3://bench/PREFIX on the server.
remote_config() {
	git -C "$1" config dds.remote.origin.url "s3://bench/$2"
	git -C "$1" config dds.remote.origin.endpoint "$endpoint"
}

# remote_bytes PREFIX prints the bytes stored under minio:bench/PREFIX.
remote_bytes() { rclone size --json "minio:bench/$1" | jq -r .bytes; }

# local_bytes PATH prints the bytes of the file PATH, or of the files in
# the folder PATH.
local_bytes() { find "$1" -type f -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }'; }

# --- timing ----------------------------------------------------------------

clk_tck=$(getconf CLK_TCK)

# measure SHELL N PREPARE COMMAND times the bash command COMMAND after the
# bash command PREPARE (untimed), N times, in the current folder, and prints
# the median wall time, the mean CPU time (user + system) of COMMAND and
# its children, and the mean CPU time of MinIO over a timed run plus its
# preparation, in seconds ("-" where unknown). SHELL is bash, or none for a
# COMMAND that needs no shell (then timed without one). Each preparation
# first increments the file $RUN_FILE, so PREPARE and COMMAND can name the
# run with $(cat $RUN_FILE): 1, 2, ...
measure() {
	local shell=$1 n=$2 prepare=$3 command=$4 before after median cpu=-
	export RUN_FILE=$run_dir/run-counter
	echo 0 >"$RUN_FILE"
	prepare='echo $(($(cat "$RUN_FILE") + 1)) >"$RUN_FILE" && '$prepare
	before=$(minio_ticks)
	if [ "$have_hyperfine" = yes ]; then
		local json
		json=$(mktemp)
		if [ "$shell" = none ]; then
			# --shell=none runs the preparation without a shell too.
			hyperfine --shell=none --runs "$n" --export-json "$json" --style basic \
				--prepare "bash -c '$prepare'" "$command" >&2
		else
			hyperfine --shell=bash --runs "$n" --export-json "$json" --style basic \
				--prepare "$prepare" "$command" >&2
		fi
		median=$(jq -r '.results[0].median' "$json")
		cpu=$(jq -r '.results[0] | .user + .system' "$json")
		rm -f "$json"
	else
		median=$(median_seconds "$n" "$prepare" "$command")
	fi
	after=$(minio_ticks)
	awk -v m="$median" -v c="$cpu" -v t="$((after - before))" -v hz="$clk_tck" -v n="$n" \
		'BEGIN { printf "%.4f %s %.4f\n", m, c == "-" ? "-" : sprintf("%.4f", c), t / hz / n }'
}

# --- (a) one large file, (b) a folder of many files ------------------------

# data_repo DIR STAGE OUT CMD creates a repository whose one stage, STAGE,
# runs CMD to write the output OUT, and computes it offline.
data_repo() {
	local dir=$1 stage=$2 out=$3 cmd=$4
	git init -q -b main "$dir"
	(
		cd "$dir"
		git config user.name bench
		git config user.email bench@example.com
		git config commit.gpgsign false
		cat >dds.yaml <<-YAML
			stages:
			  $stage:
			    cmd: $cmd
			    outs: [$out]
		YAML
		git add dds.yaml
		git commit -q -m "$stage"
		git dds run --offline >/dev/null
	)
}

big_repo=$run_dir/big
dir_repo=$run_dir/folder
echo "computing $size_mib MiB of random bytes, and $files files of $file_kib KiB (untimed)..." >&2
data_repo "$big_repo" big out/big.bin \
	"mkdir -p out && head -c $big_bytes /dev/urandom >out/big.bin"
data_repo "$dir_repo" folder out/folder \
	"mkdir -p out/folder && head -c $dir_bytes /dev/urandom | split -a 6 -d -b $((file_kib * 1024)) - out/folder/f"
[ "$(stat -c %s "$big_repo/out/big.bin")" -eq "$big_bytes" ]
[ "$(find "$dir_repo/out/folder" -type f | wc -l)" -eq "$files" ]
export big_repo dir_repo run_dir endpoint

declare -A result
# time_transfers NAME REPO SRC: git dds push and fetch of the repository's
# one output, SRC (a file or folder relative to REPO), against rclone copy.
# Fills result[NAME,...] with "median cpu minio" triples.
time_transfers() {
	local name=$1 repo=$2 src=$3 kind=file
	[ -d "$repo/$src" ] && kind=dir
	local base=${src##*/} clone=$run_dir/clone-$name dl=$run_dir/download-$name i
	export clone dl
	cd "$repo"
	remote_config . "dds-$name-0" # the prefix changes at every run

	echo "== $name: git dds push, $runs runs" >&2
	result[$name,push]=$(measure none "$runs" \
		'git config dds.remote.origin.url s3://bench/dds-'"$name"'-$(cat "$RUN_FILE") && sync' \
		"git dds push")
	for ((i = 1; i <= runs; i++)); do
		local got
		got=$(remote_bytes "dds-$name-$i/objects")
		if [ "$got" -lt "$(local_bytes "$src")" ]; then
			echo "git dds push to dds-$name-$i stored $got bytes of objects, fewer than $src holds" >&2
			exit 1
		fi
		[ "$(rclone lsf "minio:bench/dds-$name-$i/records" | wc -l)" -eq 1 ]
	done

	local rclone_src=$src rclone_dst
	for variant in rclone rclone8; do
		local flags=
		[ "$variant" = rclone8 ] && flags="--transfers $transfers"
		rclone_dst="minio:bench/$variant-$name-\$(cat \"\$RUN_FILE\")/"
		[ "$kind" = dir ] && rclone_dst="minio:bench/$variant-$name-\$(cat \"\$RUN_FILE\")/$base/"
		if [ "$kind" = file ] && [ "$variant" = rclone8 ]; then
			continue # one file: --transfers changes nothing
		fi
		echo "== $name: rclone copy${flags:+ $flags}, $runs runs" >&2
		result[$name,push-$variant]=$(measure bash "$runs" 'sync' "rclone copy ${flags:+$flags }$rclone_src $rclone_dst")
		[ "$(remote_bytes "$variant-$name-1")" -eq "$(local_bytes "$src")" ]
	done

	echo "== $name: git dds fetch in a fresh clone, $runs runs" >&2
	# The clone's first git dds command creates its .git/dds: in the
	# preparation, so that the timed fetch finds the clone as a user would
	# after any git dds status.
	local fresh='rm -rf "$clone" && git clone -q "'"$repo"'" "$clone" && git -C "$clone" config dds.remote.origin.url s3://bench/dds-'"$name"'-1 && git -C "$clone" config dds.remote.origin.endpoint "$endpoint"'
	result[$name,fetch]=$(measure none "$runs" "$fresh"' && git -C "$clone" dds status --offline >/dev/null && sync' \
		"git -C $clone dds fetch")
	git -C "$clone" dds checkout >/dev/null
	if ! diff -r "$repo/$src" "$clone/$src" >/dev/null; then
		echo "after git dds fetch and checkout, $clone/$src differs from $repo/$src" >&2
		exit 1
	fi
	echo "== $name: git dds fetch with dds.fsync false, $runs runs" >&2
	result[$name,fetch-nofsync]=$(measure none "$runs" \
		"$fresh"' && git -C "$clone" config dds.fsync false && git -C "$clone" dds status --offline >/dev/null && sync' \
		"git -C $clone dds fetch")

	for variant in rclone rclone8; do
		local flags=
		[ "$variant" = rclone8 ] && flags="--transfers $transfers"
		if [ "$kind" = file ] && [ "$variant" = rclone8 ]; then
			continue
		fi
		echo "== $name: rclone copy${flags:+ $flags} back, $runs runs" >&2
		if [ "$kind" = file ]; then
			result[$name,fetch-$variant]=$(measure bash "$runs" 'rm -rf "$dl" && sync' \
				"rclone copy ${flags:+$flags }minio:bench/$variant-$name-1/$base $dl/")
			cmp "$dl/$base" "$repo/$src"
		else
			result[$name,fetch-$variant]=$(measure bash "$runs" 'rm -rf "$dl" && sync' \
				"rclone copy ${flags:+$flags }minio:bench/$variant-$name-1/$base $dl/$base/")
			diff -r "$dl/$base" "$repo/$src" >/dev/null
		fi
	done
	rm -rf "$clone" "$dl"
}

time_transfers big "$big_repo" out/big.bin
time_transfers folder "$dir_repo" out/folder
# Space back before the last part: the data sets are not needed any more.
rclone purge minio:bench
rclone mkdir minio:bench
rm -rf "$big_repo" "$dir_repo"

# --- (c) pre-push with nothing to upload -----------------------------------

source_repo=$(generated_repo "$stages" "$files_repo" 0 "$seed")
# Every stage computed once, with no remote: cached beside the generated
# repository, and copied for each invocation, whose remote is new.
computed=$work/computed-$stages-$files_repo-$seed
compute_all() {
	echo "computing $stages stages (once per cached repository)..." >&2
	local start
	start=$(date +%s)
	git dds run --offline -j "$jobs" >/dev/null
	echo "computed in $(($(date +%s) - start)) s" >&2
}
prepared_repo "$computed" "$source_repo" compute_all
hook_repo=$run_dir/prepush
rm -rf "$hook_repo" "$run_dir/origin.git"
cp -a "$computed" "$hook_repo"
git init -q --bare "$run_dir/origin.git"
cd "$hook_repo"
git remote add origin "$run_dir/origin.git"
git -c core.hooksPath=/dev/null push -q origin main
remote_config . prepush
echo "== pre-push: git dds push of $stages artifacts to an empty prefix (one run)" >&2
start=$(date +%s%N)
git dds push --json >"$run_dir/first-push.json"
first_push=$(awk -v s="$start" -v e="$(date +%s%N)" 'BEGIN { printf "%.2f", (e - s) / 1e9 }')
first_objects=$(jq -r '.objects' "$run_dir/first-push.json")
git dds install >/dev/null
git config dds.prepush upload

# Every timed run first makes (untimed, hooks on, so post-commit binds the
# branch's namespace) an empty commit on main, so git has one commit to send
# and the dds view is the same; then pushes main, fast-forwarding the bare
# repository's main. The third figure pushes HEAD:refs/heads/detached
# instead: the hook is then told of the local ref HEAD, not a branch, and
# evaluates the commit's dds.yaml rather than reading the branch's saved
# namespace. One warm-up push of each kind first.
commit='git commit -q --allow-empty -m bench'
hooks_off='git -c core.hooksPath=/dev/null push -q origin'
: >"$run_dir/hook-stderr"
for push in "$hooks_off main" "git push -q origin main" "git push -q origin HEAD:refs/heads/detached"; do
	eval "$commit"
	eval "$push" 2>>"$run_dir/hook-stderr"
done
echo "== pre-push: git push, hooks off, $hook_runs runs" >&2
result[hook,plain]=$(measure none "$hook_runs" "$commit" "$hooks_off main")
echo "== pre-push: git push, pre-push hook uploading, $hook_runs runs" >&2
result[hook,hooked]=$(measure none "$hook_runs" "$commit" "git push -q origin main")
echo "== pre-push: git push HEAD:refs/heads/detached, pre-push hook uploading, $hook_runs runs" >&2
result[hook,detached]=$(measure none "$hook_runs" "$commit" "git push -q origin HEAD:refs/heads/detached")
# Nothing was to upload: the hook said nothing, the pushes arrived, and the
# remote lacks nothing.
eval "$commit"
git push -q origin main 2>>"$run_dir/hook-stderr"
if [ -s "$run_dir/hook-stderr" ]; then
	echo "the pre-push hook printed:" >&2
	cat "$run_dir/hook-stderr" >&2
fi
[ "$(git rev-parse HEAD)" = "$(git -C "$run_dir/origin.git" rev-parse refs/heads/main)" ]
after_objects=$(git dds push --json | jq -r '.objects')

# --- report ------------------------------------------------------------------

if [ "$have_hyperfine" = yes ]; then
	method="hyperfine, median of $runs runs ($hook_runs for git push)"
else
	method="shell loop, median of $runs runs ($hook_runs for git push)"
fi
echo
echo "MinIO on 127.0.0.1, $(rclone version | head -n 1), $(git --version); $method"
echo "load average at the start: $load_start; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "cpu: user + system of the command and its children, mean of a run; minio: MinIO's own cpu per run"
echo "MB/s: 10^6 bytes a second; ratio: git dds's throughput over rclone's (target >= 1)"
printf '%-44s %9s %9s %9s %9s %8s\n' "" "wall (s)" "MB/s" "cpu (s)" "minio (s)" "ratio"
# row LABEL KEY BYTES [RCLONE_KEY]
row() {
	local median cpu mcpu rat=
	read -r median cpu mcpu <<<"${result[$2]}"
	if [ -n "${4:-}" ]; then
		rat=$(ratio "$(awk '{ print $1 }' <<<"${result[$4]}")" "$median")
	fi
	[ "$cpu" = - ] || cpu=$(printf '%.2f' "$cpu")
	printf '%-44s %9.2f %9.1f %9s %9.2f %8s\n' "$1" "$median" "$(awk -v b="$3" -v t="$median" 'BEGIN { print b / t / 1e6 }')" \
		"$cpu" "$mcpu" "$rat"
}
echo "(a) one file of $size_mib MiB"
row "  git dds push" big,push "$big_bytes" big,push-rclone
row "  rclone copy" big,push-rclone "$big_bytes"
row "  git dds fetch, fresh clone" big,fetch "$big_bytes" big,fetch-rclone
row "  git dds fetch, dds.fsync false" big,fetch-nofsync "$big_bytes" big,fetch-rclone
row "  rclone copy back" big,fetch-rclone "$big_bytes"
echo "(b) a folder of $files files of $file_kib KiB"
row "  git dds push (-j 8)" folder,push "$dir_bytes" folder,push-rclone8
row "  rclone copy (4 transfers)" folder,push-rclone "$dir_bytes"
row "  rclone copy --transfers $transfers" folder,push-rclone8 "$dir_bytes"
row "  git dds fetch, fresh clone (-j 8)" folder,fetch "$dir_bytes" folder,fetch-rclone8
row "  git dds fetch, dds.fsync false" folder,fetch-nofsync "$dir_bytes" folder,fetch-rclone8
row "  rclone copy back (4 transfers)" folder,fetch-rclone "$dir_bytes"
row "  rclone copy back --transfers $transfers" folder,fetch-rclone8 "$dir_bytes"
printf 'folder ratios against rclone defaults: push %s, fetch %s\n' \
	"$(ratio "$(awk '{ print $1 }' <<<"${result[folder,push-rclone]}")" "$(awk '{ print $1 }' <<<"${result[folder,push]}")")" \
	"$(ratio "$(awk '{ print $1 }' <<<"${result[folder,fetch-rclone]}")" "$(awk '{ print $1 }' <<<"${result[folder,fetch]}")")"
echo "(c) git push of an empty commit on main, $stages stages ($files_repo files), the remote holding every artifact"
printf '%-44s %9s %9s %9s\n' "" "wall (s)" "cpu (s)" "minio (s)"
hrow() {
	local median cpu mcpu
	read -r median cpu mcpu <<<"${result[$2]}"
	printf '%-44s %9.4f %9s %9s\n' "$1" "$median" "$cpu" "$mcpu"
}
hrow "  git push, hooks off" hook,plain
hrow "  git push, pre-push uploading nothing" hook,hooked
hrow "  the same, pushing HEAD:refs/heads/detached" hook,detached
printf 'ratio %s (target <= 1.5); excess %s s\n' \
	"$(ratio "$(awk '{ print $1 }' <<<"${result[hook,hooked]}")" "$(awk '{ print $1 }' <<<"${result[hook,plain]}")")" \
	"$(difference "$(awk '{ print $1 }' <<<"${result[hook,hooked]}")" "$(awk '{ print $1 }' <<<"${result[hook,plain]}")")"
echo "first git dds push of the $stages artifacts to an empty prefix: $first_push s, $first_objects objects; after the timed pushes, git dds push finds $after_objects to upload"
