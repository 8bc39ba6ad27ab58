# shellcheck shell=bash
# The fixed cost of each git hook of git dds: the git command that fires it,
# with the hooks and without (core.hooksPath pointing at an empty folder),
# in a small repository where the hook has little to do, so that what is
# left is what every hook pays (a process, git's configuration, the index).
# BEFORE names other builds of git-dds (folders holding one), timed in the
# same hyperfine invocation: the hook finds git-dds on PATH, so each row
# puts its build first there.
#
#   bash bench/hooks.sh
#   BEFORE=/tmp/old-build RUNS=30 bash bench/hooks.sh
#
# The rows, each from the same starting point (hyperfine --prepare):
# - merge: git merge of a branch that recomputed every stage (post-merge
#   promotes STAGES artifacts, hardlink mode);
# - switch: git switch to that branch (post-checkout places them);
# - amend: git commit --amend (post-commit binds, post-rewrite amend has
#   nothing to do);
# - push: git push of an empty commit to a bare repository, the dds
#   remote a folder already holding every artifact (pre-push in upload
#   mode, which ends at the remote's mark);
# - the process alone: git-dds version, the floor under every hook.
#
# Needs hyperfine and jq.
# shellcheck disable=SC2016 # commands are strings for hyperfine's shell
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stages=${STAGES:-20}
runs=${RUNS:-20}
warmup=${WARMUP:-3}
read -r -a before <<<"${BEFORE:-}"

for tool in hyperfine jq; do
	command -v "$tool" >/dev/null || {
		echo "this benchmark needs $tool" >&2
		exit 1
	}
done
build_tools
current=$(dirname "$(command -v git-dds)")
work=$bench_cache/hooks
rm -rf "$work"
mkdir -p "$work/no-hooks" "$work/remote"
echo "load average: $(cat /proc/loadavg)"

repo=$work/repo
mkdir -p "$repo/src"
cd "$repo"
git init -q -b main
git config user.name bench
git config user.email bench@example.com
git config commit.gpgsign false
git config dds.link hardlink
git config dds.remote.origin.url "file://$work/remote"
git config dds.prepush upload
echo 1 >src/v.txt
{
	echo "stages:"
	for ((i = 0; i < stages; i++)); do
		n=$(printf '%03d' "$i")
		echo "  s$n:"
		echo "    cmd: 'cat src/v.txt > out/o$n.txt'"
		echo "    deps: [src/v.txt]"
		echo "    outs: [out/o$n.txt]"
	done
} >dds.yaml
mkdir -p out
git add -A
git commit -q -m "$stages stages"
git dds install >/dev/null
git dds run -q >/dev/null
git switch -q -c wide
echo 2 >src/v.txt
git commit -q -am "recompute every stage"
git dds run -q >/dev/null
git switch -q main
echo notes >NOTES.txt
git add NOTES.txt
git commit -q -m "unrelated change on main"
git dds push >/dev/null
git init -q --bare "$work/origin.git"
git remote add origin "$work/origin.git"
git -c core.hooksPath="$work/no-hooks" push -q origin main
git push -q origin main # leaves the remote's mark of main's tree
main=$(git rev-parse main)
wide=$(git rev-parse wide)

off="-c core.hooksPath=$work/no-hooks"
json=$work/hooks.json
declare -a args=()
# row NAME PREPARE COMMAND: the command without hooks, then with each
# build. Commands run without a shell (hyperfine -N): under load, the
# shell's start that hyperfine subtracts varies more than a hook costs.
row() {
	local name=$1 prepare="bash -c 'PATH=$current:\$PATH; $2'" command=$3 b
	args+=(--prepare "$prepare" -n "$name, no hooks" "${command/git /git $off }")
	for b in "$current" "${before[@]}"; do
		args+=(--prepare "$prepare" -n "$name, hooks, $b" "env PATH=$b:$PATH $command")
	done
}
# Back on main at its commit, wide at its own, main's outputs in place:
# the switch row leaves HEAD on wide, where a reset alone would move wide.
reset="git $off switch -q -f main && git reset -q --hard $main && git branch -f wide $wide && git dds checkout >/dev/null"
row merge "$reset" "git merge -q --no-edit wide"
row switch "$reset" "git switch -q wide"
row amend "$reset" "git commit -q --amend --allow-empty --no-edit"
row push "$reset && git commit -q --allow-empty -m bench" "git push -q -f origin main"
for b in "$current" "${before[@]}"; do
	args+=(--prepare true -n "process alone, $b" "$b/git-dds version")
done
hyperfine -N --warmup "$warmup" --runs "$runs" --style basic --export-json "$json" "${args[@]}" >&2
bash -c "$reset"

median() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .median' "$json"; }
cpu() { jq -r --arg n "$1" '.results[] | select(.command == $n) | "\(.user * 1000 | floor) + \(.system * 1000 | floor) ms"' "$json"; }
echo
echo "$stages stages, hardlink mode, $(git --version); hyperfine, median of $runs runs after $warmup warm-ups"
printf '%-52s %10s %16s %8s\n' "" "wall (s)" "user + system" "ratio"
for name in merge switch amend push; do
	plain=$(median "$name, no hooks")
	printf '%-52s %10.4f %16s\n' "$name, no hooks" "$plain" "$(cpu "$name, no hooks")"
	for b in "$current" "${before[@]}"; do
		t=$(median "$name, hooks, $b")
		printf '%-52s %10.4f %16s %8s\n' "$name, hooks, $b" "$t" "$(cpu "$name, hooks, $b")" "$(ratio "$t" "$plain")"
	done
done
for b in "$current" "${before[@]}"; do
	printf '%-52s %10.4f %16s\n' "process alone, $b" "$(median "process alone, $b")" "$(cpu "process alone, $b")"
done
echo "load average: $(cat /proc/loadavg)"
