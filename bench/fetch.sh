# shellcheck shell=bash
# Fetch of a folder output of many small files from MinIO: git dds fetch
# against rclone copy of the same bytes, in one hyperfine invocation, so
# that every command meets the same machine.
#
#   bash bench/fetch.sh                          # 10,000 files of 100 KiB
#   FILES=2000 RUNS=3 bash bench/fetch.sh        # a quicker one
#   BEFORE="/a/git-dds /b/git-dds" bench/fetch.sh  # and other builds of git dds
#   KEEP_COPIES=1 bash bench/fetch.sh            # set aside, not delete (below)
#
# Commands, each after an untimed preparation ending in `sync`:
# - git dds fetch in a fresh git clone of the repository (remote
#   configured, the clone's .git/dds created by a status, no object local);
#   with BEFORE set, the same with each of those git-dds builds (each
#   named git-dds, in a folder of its own);
# - the same with dds.fsync false (nothing flushed to disk);
# - rclone copy of the folder (pushed there with rclone beforehand) into an
#   empty folder, with --transfers 8 (git dds's default concurrency) and
#   with rclone's defaults (4). rclone flushes nothing to disk;
# - rclone copy --transfers 8 followed by `sync -f` of the folder: the same
#   bytes made durable, as git dds makes them by default.
#
# Each preparation deletes the previous run's copy, so every timed run
# creates its files among thousands deleted seconds before. On ext4
# without a journal that costs each new file a scan past every recently
# deleted inode of its group (recently_deleted in the kernel's profile),
# which doubles the system time of git dds and rclone alike and is not
# what a fetch meets in use. KEEP_COPIES=1 moves each copy aside instead,
# deleted at the end: (RUNS + WARMUP) copies per command on disk.
#
# Prints hyperfine's table, then the ratios (rclone's time over git dds's:
# above 1, git dds is faster), MinIO's CPU time during one more run of
# each command (what the server spends on the same requests: on a shared
# machine, the floor under every client's time) and the load average
# before and after.
# shellcheck disable=SC2016 # commands are strings for hyperfine's shell
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/minio.sh
source "$(dirname "${BASH_SOURCE[0]}")/minio.sh"

files=${FILES:-10000}
file_kib=${FILE_KIB:-100}
runs=${RUNS:-5}
warmup=${WARMUP:-1}
before=${BEFORE:-}
keep_copies=${KEEP_COPIES:-0}

command -v jq >/dev/null || {
	echo "this benchmark needs jq (Debian: apt-get install jq)" >&2
	exit 1
}
build_tools
ensure_hyperfine || {
	echo "this benchmark needs hyperfine (Debian: apt-get install hyperfine)" >&2
	exit 1
}
work=$bench_cache/fetch
run_dir=$work/run
rm -rf "$run_dir"
mkdir -p "$run_dir"
dir_bytes=$((files * file_kib * 1024))
copies=5
if [ "$keep_copies" = 1 ]; then
	copies=$((5 + 6 * (runs + warmup + 1)))
fi
need_mib=$((dir_bytes / 1048576 * copies))
free_mib=$(($(df -Pk "$work" | awk 'NR == 2 { print $4 }') / 1024))
if [ "$free_mib" -lt "$need_mib" ]; then
	echo "$work has $free_mib MiB free; this benchmark needs $need_mib MiB" >&2
	exit 1
fi
cleanup() {
	minio_stop
	[ "${KEEP:-0}" = 1 ] || rm -rf "$minio_dir" "$run_dir"
}
trap cleanup EXIT
minio_start "$work"

repo=$run_dir/folder
echo "computing $files files of $file_kib KiB (untimed)..." >&2
git init -q -b main "$repo"
(
	cd "$repo"
	git config user.name bench
	git config user.email bench@example.com
	git config commit.gpgsign false
	cat >dds.yaml <<-YAML
		stages:
		  folder:
		    cmd: mkdir -p out/folder && head -c $dir_bytes /dev/urandom | split -a 6 -d -b $((file_kib * 1024)) - out/folder/f
		    outs: [out/folder]
	YAML
	git add dds.yaml
	git commit -q -m folder
	git dds run --offline >/dev/null
	git config dds.remote.origin.url s3://bench/dds
	git config dds.remote.origin.endpoint "$endpoint"
	git dds push >/dev/null
	rclone copy --transfers 8 out/folder minio:bench/rclone/folder/
)

clone=$run_dir/clone
dl=$run_dir/download
trash=$run_dir/trash
mkdir -p "$trash"
export repo clone dl endpoint trash
# remove PATH deletes PATH, or with KEEP_COPIES=1 moves it aside.
if [ "$keep_copies" = 1 ]; then
	remove='f() { if [ -e "$1" ]; then mv "$1" "$(mktemp -d "$trash/XXXXXX")/"; fi; }; f'
else
	remove='rm -rf'
fi
fresh="$remove"' "$clone" && git clone -q "$repo" "$clone" && git -C "$clone" config dds.remote.origin.url s3://bench/dds && git -C "$clone" config dds.remote.origin.endpoint "$endpoint"'
status='git -C "$clone" dds status --offline >/dev/null && sync'
args=(-n "git dds fetch" --prepare "$fresh && $status" "git -C \"\$clone\" dds fetch")
for b in $before; do
	bin_dir=$(cd "$(dirname "$b")" && pwd)
	args+=(-n "git dds fetch, $bin_dir" --prepare "$fresh && PATH=$bin_dir:\$PATH $status"
		"PATH=$bin_dir:\$PATH git -C \"\$clone\" dds fetch")
done
args+=(-n "git dds fetch, dds.fsync false" --prepare "$fresh && git -C \"\$clone\" config dds.fsync false && $status" "git -C \"\$clone\" dds fetch")
args+=(-n "rclone copy --transfers 8" --prepare "$remove"' "$dl" && sync' 'rclone copy --transfers 8 minio:bench/rclone/folder "$dl/folder/"')
args+=(-n "rclone copy" --prepare "$remove"' "$dl" && sync' 'rclone copy minio:bench/rclone/folder "$dl/folder/"')
args+=(-n "rclone copy --transfers 8 + sync -f" --prepare "$remove"' "$dl" && sync' 'rclone copy --transfers 8 minio:bench/rclone/folder "$dl/folder/" && sync -f "$dl/folder"')

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
json=$run_dir/fetch.json
hyperfine --shell=bash --warmup "$warmup" --runs "$runs" --style basic --export-json "$json" "${args[@]}" >&2
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
# MinIO's CPU time in one more run of each command, its preparation aside.
declare -A minio_s
for ((i = 0; i < ${#args[@]}; i += 5)); do
	bash -c "${args[i + 3]}" >/dev/null
	t0=$(minio_ticks)
	bash -c "${args[i + 4]}" >/dev/null 2>&1
	minio_s[${args[i + 1]}]=$(awk -v t="$(($(minio_ticks) - t0))" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }')
done
git -C "$clone" dds checkout >/dev/null
diff -r "$repo/out/folder" "$clone/out/folder" >/dev/null || {
	echo "after git dds fetch and checkout, the clone's out/folder differs" >&2
	exit 1
}

echo "fetch of $files files of $file_kib KiB from MinIO; hyperfine, median of $runs runs after $warmup warm-up"
echo "$(rclone version | head -n 1), $(git --version), $(nproc) cores"
echo "load average before: $load_start; after: $load_end"
median() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .median' "$json"; }
printf '%-40s %9s %9s %9s %9s %11s %11s\n' command "wall (s)" "user (s)" "sys (s)" "MinIO (s)" "rclone -t8/" "rclone/"
jq -r '.results[] | [.command, .median, .user, .system] | @tsv' "$json" |
	while IFS=$'\t' read -r name med user sys; do
		printf '%-40s %9.3f %9.3f %9.3f %9s %11s %11s\n' "$name" "$med" "$user" "$sys" "${minio_s[$name]}" \
			"$(ratio "$(median "rclone copy --transfers 8")" "$med")" "$(ratio "$(median "rclone copy")" "$med")"
	done
echo "ratios: rclone's median over the row's (above 1: faster than rclone); user and sys: mean per run of the command;"
echo "MinIO: the server's CPU time during one more run; KEEP_COPIES=$keep_copies"
