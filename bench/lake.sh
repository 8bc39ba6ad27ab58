# shellcheck shell=bash
# External outputs on a lake.
#
# 1. git merge of a branch that recomputed OUTPUTS (100) external outputs
#    of SIZE_MIB (105) each, sparse files on a file:// lake (10.3 GiB in
#    all, no disk filled), with the promoting hooks against without
#    (core.hooksPath pointing at an empty folder), in one hyperfine
#    invocation. What the merge did to the lake: every path's size,
#    modification and access time compared before and after all the timed
#    merges (access times set far back first, so that under relatime any
#    read moves them), and one more hooked merge under strace -f counting
#    every file system call that names a path of the lake.
# 2. git dds status with STATUS_OUTPUTS (1000) external outputs on an S3
#    lake (a private MinIO): strace -f -e trace=network,openat counts the
#    sockets status opens and its connections to MinIO; status --verify,
#    which must ask the lake, is traced the same way as a check that the
#    count sees requests. Its time is measured beside git status.
#
#   bash bench/lake.sh                              # the defaults
#   OUTPUTS=10 SIZE_MIB=10 STATUS_OUTPUTS=100 RUNS=3 bash bench/lake.sh   # quick
#   ONLY=merge SIZE_MIB=0 bash bench/lake.sh        # the same merge, empty outputs
#
# ONLY=merge or ONLY=status runs one part.
#
# Needs hyperfine, jq, strace, curl, and MinIO (make tools-minio).
# shellcheck disable=SC2016 # commands are strings for hyperfine's shell
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/minio.sh
source "$(dirname "${BASH_SOURCE[0]}")/minio.sh"

outputs=${OUTPUTS:-100}
size_mib=${SIZE_MIB:-105}
status_outputs=${STATUS_OUTPUTS:-1000}
runs=${RUNS:-5}
warmup=${WARMUP:-1}
jobs=${JOBS:-2}

for tool in hyperfine jq strace curl; do
	command -v "$tool" >/dev/null || {
		echo "this benchmark needs $tool" >&2
		exit 1
	}
done
build_tools
work=$bench_cache/lake
mkdir -p "$work"
echo "load average: $(cat /proc/loadavg)"

only=${ONLY:-}
median() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .median' "$json"; }
cpu() { jq -r --arg n "$1" '.results[] | select(.command == $n) | "user \(.user * 1000 | floor) ms, system \(.system * 1000 | floor) ms"' "$json"; }

# --- 1. The merge -----------------------------------------------------------

if [ "$only" != status ]; then

merge_repo=$work/merge-$outputs-$size_mib
# The lake's path is in the repository's config, so the cache is made in
# place; "ready" marks one that was finished, and anything else is made
# again.
if [ ! -e "$merge_repo/ready" ]; then
	rm -rf "$merge_repo"
	mkdir -p "$merge_repo/lake" "$merge_repo/repo/src"
	(
		cd "$merge_repo/repo"
		git init -q -b main
		git config user.name bench
		git config user.email bench@example.com
		git config commit.gpgsign false
		git config dds.lake "file://$merge_repo/lake"
		echo 1 >src/v.txt
		{
			echo "stages:"
			for ((i = 0; i < outputs; i++)); do
				n=$(printf '%03d' "$i")
				echo "  s$n:"
				echo "    cmd: 'truncate -s ${size_mib}M \"\$DDS_PATH_OUT_o$n/part-0\" && : > \"\$DDS_PATH_OUT_o$n/_SUCCESS\"'"
				echo "    deps: [src/v.txt]"
				echo "    external: {o$n: {}}"
			done
		} >dds.yaml
		git add -A
		git commit -q -m "$outputs external outputs"
		echo "computing $outputs outputs on main and on the branch (once per cached repository)..." >&2
		git dds run -q -j "$jobs" >/dev/null
		git switch -q -c wide
		echo 2 >src/v.txt
		git commit -q -am "recompute every output"
		git dds run -q -j "$jobs" >/dev/null
		git switch -q main
		echo notes >NOTES.txt
		git add NOTES.txt
		git commit -q -m "unrelated change on main"
	)
	touch "$merge_repo/ready"
fi
cd "$merge_repo/repo"
lake=$merge_repo/lake
main=$(git rev-parse main)
branch_bytes=$(for ((i = 0; i < outputs; i++)); do git dds url "ext:o$(printf '%03d' "$i")" --ref wide --json | jq .bytes; done | awk '{ s += $1 } END { printf "%.0f\n", s }')
lake_apparent=$(du -sb --apparent-size "$lake" | cut -f1)
lake_disk=$(du -s --block-size=1 "$lake" | cut -f1)

git dds install >/dev/null
mkdir -p "$work/no-hooks"
# Each merge is a new commit, as every real merge is: hyperfine's merges
# of one second would otherwise all make the same commit, whose namespace
# the previous run's hook bound, and the hook would bind nothing. wide's
# tip is remade with the same tree each time (a merge promoting the same
# outputs), and put back at the end.
wide=$(git rev-parse wide)
reset="git reset -q --hard $main && git update-ref refs/heads/wide \$(git commit-tree -p $wide -m \"rerun \$(date +%s.%N)\" '$wide^{tree}') && git dds checkout >/dev/null"
find "$lake" | sort >"$work/lake.paths"
xargs -d '\n' touch -a -d @1000000000 <"$work/lake.paths"
xargs -d '\n' stat -c '%n %s %Y %X' <"$work/lake.paths" >"$work/lake.before"
json=$work/merge.json
hyperfine --shell=bash --warmup "$warmup" --runs "$runs" --style basic --export-json "$json" \
	--prepare "$reset" \
	-n "git merge, no hooks" "git -c core.hooksPath=$work/no-hooks merge -q --no-edit wide" \
	-n "git merge, hooks promoting" "git merge -q --no-edit wide" >&2
xargs -d '\n' stat -c '%n %s %Y %X' <"$work/lake.paths" >"$work/lake.after"
find "$lake" | sort >"$work/lake.paths.after"
changed=$(cat <(diff "$work/lake.before" "$work/lake.after") <(diff "$work/lake.paths" "$work/lake.paths.after") | grep -c '^[<>]' || true)

bash -c "$reset"
strace -f -qq -e trace=%file -o "$work/merge.strace" git merge -q --no-edit wide
lake_calls=$(grep -c -F "$lake" "$work/merge.strace" || true)
all_calls=$(wc -l <"$work/merge.strace")
git dds status --exit-code >/dev/null || {
	echo "after the merge, some stage is not fresh" >&2
	exit 1
}
[ "$(git dds url ext:o000)" = "$(git dds url ext:o000 --ref wide)" ] || {
	echo "after the merge, main does not name the branch's output" >&2
	exit 1
}
bash -c "$reset"
git update-ref refs/heads/wide "$wide"
git dds uninstall >/dev/null

plain=$(median "git merge, no hooks")
hooked=$(median "git merge, hooks promoting")
echo
echo "merge promoting $outputs external outputs of $size_mib MiB (sparse) on a file:// lake; hyperfine, median of $runs runs after $warmup warm-up"
printf '  %-30s %s B recorded (%s GiB), lake %s B apparent, %s B on disk\n' "the branch's outputs" "$branch_bytes" \
	"$(awk -v b="$branch_bytes" 'BEGIN { printf "%.2f", b / 2^30 }')" "$lake_apparent" "$lake_disk"
printf '  %-30s %8.4f s   (%s)\n' "git merge, no hooks" "$plain" "$(cpu "git merge, no hooks")"
printf '  %-30s %8.4f s   (%s)   ratio %s (target <= 1.2)\n' "git merge, hooks promoting" "$hooked" "$(cpu "git merge, hooks promoting")" "$(ratio "$hooked" "$plain")"
printf '  %-30s %s of %s paths (size, mtime, atime) over %s merges\n' "lake paths changed" "$changed" "$(wc -l <"$work/lake.paths")" "$((runs + warmup))"
printf '  %-30s %s of %s file system calls of one hooked merge (strace -f -e trace=%%file)\n' "calls naming a lake path" "$lake_calls" "$all_calls"

fi

# --- 2. Status with 1,000 external outputs on MinIO -------------------------

if [ "$only" != merge ]; then

minio_work=$work/minio-$$
mkdir -p "$minio_work"
trap 'minio_stop; rm -rf "$minio_work"' EXIT
minio_start "$minio_work" >&2
status_repo=$minio_work/repo
mkdir -p "$status_repo/src"
cd "$status_repo"
git init -q -b main
git config user.name bench
git config user.email bench@example.com
git config commit.gpgsign false
git config dds.lake s3://bench/lake
git config dds.lakeEndpoint "$endpoint"
cat >src/put.sh <<'EOF'
# put URI: one small object to an s3:// URI on the lake's endpoint.
set -eu
f=$(mktemp)
echo "$1" >"$f"
curl -sSf --noproxy '*' --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
	-T "$f" "$DDS_BENCH_ENDPOINT/${1#s3://}"
rm -f "$f"
EOF
{
	echo "stages:"
	for ((i = 0; i < status_outputs; i++)); do
		n=$(printf '%04d' "$i")
		echo "  s$n:"
		echo "    cmd: sh src/put.sh \"\${DDS_OUT_o$n}part-0\""
		echo "    deps: [src/put.sh]"
		echo "    external: {o$n: {}}"
	done
} >dds.yaml
git add -A
git commit -q -m "$status_outputs external outputs"
echo "computing $status_outputs outputs on MinIO..." >&2
DDS_BENCH_ENDPOINT=$endpoint git dds run -j 4 >/dev/null 2>"$minio_work/run.log" || {
	tail -n 20 "$minio_work/run.log" >&2
	exit 1
}
git dds status --exit-code >/dev/null

port=${endpoint##*:}
count_calls() { # count_calls TRACE: sockets opened, and connections to MinIO's port (every request needs one)
	printf '%s socket(), %s connect() to MinIO (port %s)\n' "$(grep -c ' socket(' "$1" || true)" \
		"$(grep -c "connect(.*htons($port)" "$1" || true)" "$port"
}
strace -f -qq -e trace=network,openat -o "$minio_work/status.strace" git dds status >/dev/null
strace -f -qq -e trace=network,openat -o "$minio_work/verify.strace" git dds status --verify >/dev/null
json=$minio_work/status.json
hyperfine --shell=bash --warmup 2 --runs "$runs" --style basic --export-json "$json" \
	-n "git status" "git status" -n "git dds status" "git dds status" >&2
echo
echo "status with $status_outputs external outputs on an S3 lake (MinIO); hyperfine, median of $runs runs after 2 warm-ups"
printf '  %-30s %8.4f s   (%s)\n' "git status" "$(median "git status")" "$(cpu "git status")"
printf '  %-30s %8.4f s   (%s)\n' "git dds status" "$(median "git dds status")" "$(cpu "git dds status")"
printf '  %-30s %s\n' "git dds status, strace -f" "$(count_calls "$minio_work/status.strace")"
printf '  %-30s %s\n' "status --verify, strace -f" "$(count_calls "$minio_work/verify.strace")"
fi
echo "load average: $(cat /proc/loadavg)"
