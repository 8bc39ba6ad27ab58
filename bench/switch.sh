#!/usr/bin/env bash
# `git switch` between two branches whose artifacts differ by SIZE_MIB in
# total, with git dds in hardlink mode, git-annex and Git LFS holding the
# same bytes.
#
#   bench/switch.sh                 # 1 GiB: 4 files of 256 MiB per branch
#   SIZE_MIB=256 bench/switch.sh    # a quicker one
#
# Each branch has PARTS files out/partN.bin of random bytes, different on
# the two branches. The repositories:
#
# - git dds: a stage per file copies the branch's file (params.yaml names
#   the branch) into out/; `git dds run` computes both branches once,
#   untimed; the post-checkout hook restores the outputs by hard link.
# - git-annex, locked (its default): out/ holds symlinks into .git/annex.
# - git-annex, unlocked with annex.thin: out/ holds hard links into
#   .git/annex, placed by its post-checkout hook.
# - Git LFS: git smudges each file from a copy in .git/lfs/objects.
#
# Every timed switch starts from the other branch with its files in place,
# and is followed, outside the timing, by a cmp of every file against the
# bytes the branch should have. The random files are cached under
# .bench/switch/data; the repositories are rebuilt on every invocation
# (KEEP_REPOS=1 keeps them under .bench/switch/repos for a look afterwards).
set -euo pipefail
shopt -s inherit_errexit # a failure inside $(...) stops the benchmark too
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

size_mib=${SIZE_MIB:-1024}
parts=${PARTS:-4}
runs=${RUNS:-5}
if [ "$((size_mib % parts))" -ne 0 ] || [ "$size_mib" -lt "$parts" ]; then
	echo "SIZE_MIB ($size_mib) must be a multiple of PARTS ($parts)" >&2
	exit 2
fi
part_mib=$((size_mib / parts))

# ensure_annex_and_lfs installs Debian's git-annex and git-lfs when they are
# missing and this is root; another apt-get may hold the lock for a while.
ensure_annex_and_lfs() {
	local -a missing=()
	command -v git-annex >/dev/null || missing+=(git-annex)
	command -v git-lfs >/dev/null || missing+=(git-lfs)
	[ "${#missing[@]}" -eq 0 ] && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "installing ${missing[*]}..." >&2
		local -a install=(apt-get install -y -q -o DPkg::Lock::Timeout=600 "${missing[@]}")
		"${install[@]}" >&2 || { apt-get update -q >&2 && "${install[@]}" >&2; } || true
	fi
	command -v git-annex >/dev/null && command -v git-lfs >/dev/null && return 0
	echo "this benchmark needs git-annex and git-lfs: install them (Debian: apt-get install git-annex git-lfs)" >&2
	exit 1
}

build_tools
ensure_annex_and_lfs
have_hyperfine=no
ensure_hyperfine && command -v jq >/dev/null && have_hyperfine=yes

work=$bench_cache/switch
data=$work/data/${part_mib}m
repos=$work/repos
# git-annex leaves its object folders read-only.
remove_repos() {
	if [ -d "$repos" ]; then
		chmod -R u+w "$repos"
		rm -rf "$repos"
	fi
}
remove_repos
if [ "${KEEP_REPOS:-0}" != 1 ]; then
	trap remove_repos EXIT
fi

# The two branches' files, the copy each repository keeps of both (git
# dds's store, .git/annex twice, .git/lfs) and LFS's working copy.
need_mib=$((size_mib * 9))
for branch in a b; do
	for ((i = 0; i < parts; i++)); do
		[ -f "$data/$branch/part$i.bin" ] || need_mib=$((need_mib + part_mib))
	done
done
mkdir -p "$work"
free_mib=$(($(df -Pk "$work" | awk 'NR == 2 { print $4 }') / 1024))
if [ "$free_mib" -lt "$need_mib" ]; then
	echo "$work has $free_mib MiB free; this benchmark needs $need_mib MiB" >&2
	exit 1
fi

for branch in a b; do
	mkdir -p "$data/$branch"
	for ((i = 0; i < parts; i++)); do
		file=$data/$branch/part$i.bin
		if [ ! -f "$file" ] || [ "$(stat -c %s "$file")" -ne $((part_mib * 1024 * 1024)) ]; then
			echo "writing $file: $part_mib MiB of random bytes..." >&2
			head -c "$((part_mib * 1024 * 1024))" /dev/urandom >"$file.partial"
			mv "$file.partial" "$file"
		fi
	done
done

# check_outputs fails unless every out/partN.bin of the repository in the
# current folder holds the bytes of the checked-out branch. Exported, with
# what it reads, for the timing tools' shells.
check_outputs() {
	local branch i
	branch=$(git branch --show-current)
	for ((i = 0; i < parts; i++)); do
		if ! cmp -s "out/part$i.bin" "$data/$branch/part$i.bin"; then
			echo "$PWD: on branch $branch, out/part$i.bin does not hold the branch's bytes" >&2
			return 1
		fi
	done
}
export -f check_outputs
export data parts

new_repo() {
	git init -q -b a "$1"
	git -C "$1" config user.name bench
	git -C "$1" config user.email bench@example.com
	git -C "$1" config commit.gpgsign false
}

# put_files BRANCH writes the branch's files into out/ afresh: never through
# an existing name, which may be a hard link into a store.
put_files() {
	rm -rf out
	mkdir out
	cp "$data/$1"/part*.bin out/
}

build_dds() {
	new_repo "$repos/dds"
	cd "$repos/dds"
	git config dds.link hardlink
	git dds install >/dev/null
	{
		echo "stages:"
		for ((i = 0; i < parts; i++)); do
			cat <<-YAML
				  part$i:
				    cmd: mkdir -p out && cp "../../data/${part_mib}m/\$(awk '{ print \$2 }' params.yaml)/part$i.bin" out/part$i.bin
				    params: {params.yaml: [variant]}
				    outs: [out/part$i.bin]
			YAML
		done
	} >dds.yaml
	echo "variant: a" >params.yaml
	git add dds.yaml params.yaml
	git commit -q -m "branch a"
	git dds run >/dev/null
	git switch -q -c b
	echo "variant: b" >params.yaml
	git commit -q -am "branch b"
	git dds run >/dev/null
	git switch -q a 2>/dev/null # the hook says what it restored
	check_outputs
}

# build_annex thin|locked
build_annex() {
	local mode=$1
	new_repo "$repos/annex-$mode"
	cd "$repos/annex-$mode"
	git annex init -q bench
	if [ "$mode" = thin ]; then
		git config annex.thin true
		git config annex.addunlocked true
	fi
	put_files a
	git annex add -q out
	git commit -q -m "branch a"
	git switch -q -c b
	git rm -q -r out
	put_files b
	git annex add -q out
	git commit -q -m "branch b"
	git switch -q a
	check_outputs
}

build_lfs() {
	new_repo "$repos/lfs"
	cd "$repos/lfs"
	git lfs install --local >/dev/null
	git lfs track 'out/*.bin' >/dev/null
	git add .gitattributes
	put_files a
	git add out
	git commit -q -m "branch a"
	git switch -q -c b
	git rm -q -r out
	put_files b
	git add out
	git commit -q -m "branch b"
	git switch -q a
	check_outputs
}

echo "building the repositories (untimed)..." >&2
build_dds
build_annex locked
build_annex thin
build_lfs

# medians TO_A PREPARE_A TO_B PREPARE_B times the command TO_A after the
# bash command PREPARE_A, and TO_B after PREPARE_B, RUNS times each, in the
# current folder. It prints both medians, their mean and the CPU time (user
# + system, children included) of the average run, in seconds; the CPU time
# is "-" without hyperfine. On a busy machine the CPU time moves less than
# the wall time.
medians() {
	local to_a=$1 prepare_a=$2 to_b=$3 prepare_b=$4 pair cpu=-
	if [ "$have_hyperfine" = yes ]; then
		local json
		json=$(mktemp)
		# No shell around the timed commands (hyperfine's calibration of a
		# shell's start is too coarse for the fast ones); the prepare
		# commands, free of single quotes, run in bash.
		hyperfine --shell=none --runs "$runs" --export-json "$json" --style basic \
			--prepare "bash -c '$prepare_a'" --prepare "bash -c '$prepare_b'" \
			-n "to a" "$to_a" -n "to b" "$to_b" >&2
		pair=$(jq -r '[.results[].median] | map(tostring) | join(" ")' "$json")
		cpu=$(jq -r '[.results[] | .user + .system] | add / length' "$json")
		rm -f "$json"
	else
		pair="$(median_seconds "$runs" "$prepare_a" "$to_a") $(median_seconds "$runs" "$prepare_b" "$to_b")"
	fi
	awk -v pair="$pair" -v cpu="$cpu" 'BEGIN {
		split(pair, t, " ")
		printf "%.4f %.4f %.4f %s\n", t[1], t[2], (t[1] + t[2]) / 2, cpu == "-" ? "-" : sprintf("%.4f", cpu)
	}'
}

# time_switch REPO times `git switch` to a (from b) and to b (from a) with
# the repository's own hooks; every switch's result is checked.
time_switch() {
	cd "$repos/$1"
	git switch -q b >/dev/null 2>&1 && git switch -q a >/dev/null 2>&1 && check_outputs # warm
	medians 'git switch -q a' 'check_outputs && git switch -q b' \
		'git switch -q b' 'check_outputs && git switch -q a'
	check_outputs
}

echo "timing git switch, $runs runs each way..." >&2
dds=$(time_switch dds)
locked=$(time_switch annex-locked)
thin=$(time_switch annex-thin)
lfs=$(time_switch lfs)

# Where git dds's switch goes: git's own work with the hooks off (the
# outputs stay as they were), the post-checkout handler restoring the
# outputs after such a switch, and the handler with nothing to restore.
cd "$repos/dds"
rev_a=$(git rev-parse a)
rev_b=$(git rev-parse b)
nohooks='git -c core.hooksPath=/dev/null switch -q'
git_alone=$(medians "$nohooks a" "$nohooks b" "$nohooks b" "$nohooks a")
git switch -q b >/dev/null 2>&1 && git switch -q a >/dev/null 2>&1
hook=$(medians \
	"git dds hook post-checkout $rev_b $rev_a 1" "check_outputs && git switch -q b && $nohooks a" \
	"git dds hook post-checkout $rev_a $rev_b 1" "check_outputs && git switch -q a && $nohooks b")
check_outputs
idle=$(medians \
	"git dds hook post-checkout $rev_a $rev_a 1" "git switch -q a && check_outputs" \
	"git dds hook post-checkout $rev_b $rev_b 1" "git switch -q b && check_outputs")

if [ "$have_hyperfine" = yes ]; then
	method="hyperfine, median of $runs runs each way"
else
	method="shell loop, median of $runs runs each way"
fi
echo "data: $parts files of $part_mib MiB per branch, all different: $size_mib MiB differ; $method"
echo "$(git --version), git-annex $(git annex version --raw), $(git lfs version | cut -d' ' -f1)"
printf '%-46s %9s %9s %9s %9s\n' "git switch" "to a (s)" "to b (s)" "mean (s)" "cpu (s)"
row() {
	local a b mean cpu
	read -r a b mean cpu <<<"$2"
	printf '%-46s %9s %9s %9s %9s\n' "$1" "$a" "$b" "$mean" "$cpu"
}
row "git dds, hardlink" "$dds"
row "git-annex, locked (symlinks)" "$locked"
row "git-annex, unlocked + annex.thin (hard links)" "$thin"
row "Git LFS" "$lfs"
echo "git dds's switch, in parts:"
row "  git switch, hooks off" "$git_alone"
row "  git dds hook post-checkout, restoring" "$hook"
row "  git dds hook post-checkout, nothing to do" "$idle"
mean() { awk '{ print $3 }' <<<"$1"; }
printf 'git dds / git-annex locked   %6s   (target <= 1)\n' "$(ratio "$(mean "$dds")" "$(mean "$locked")")"
printf 'git dds / git-annex thin     %6s   (target <= 1)\n' "$(ratio "$(mean "$dds")" "$(mean "$thin")")"
printf 'Git LFS / git dds            %6s   (target >= 50)\n' "$(ratio "$(mean "$lfs")" "$(mean "$dds")")"
echo "ratios of the mean wall times; cpu: user + system time of one switch, children included"
