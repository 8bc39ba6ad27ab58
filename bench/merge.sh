#!/usr/bin/env bash
# Promotion on merge: a branch that changed every stage and computed it is
# merged into main, with the hooks installed and without, in hardlink mode;
# and merge-preview of that branch against git merge-tree --write-tree.
#
#   bench/merge.sh                          # 2000 stages, 50000 files
#   STAGES=200 FILES=5000 bench/merge.sh    # a quick one
#
# The branch's computation (every stage executed once) is cached with the
# generated repository under .bench/, so only the first run pays for it.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stages=${STAGES:-2000}
files=${FILES:-50000}
seed=${SEED:-1}
jobs=${JOBS:-2}
runs=${RUNS:-5}

build_tools
source_repo=$(generated_repo "$stages" "$files" 0 "$seed")
work=$bench_cache/merge-$stages-$files-$seed
compute_branch() {
	git config dds.link hardlink
	git dds run -j "$jobs" >/dev/null
	git switch -q -c wide
	# Every stage reads its own key of params.yaml: change them all.
	sed -i 's/^  k: \(.*\)$/  k: 1\1/' params.yaml
	git commit -q -am "change every stage"
	echo "computing $stages stages on the branch (once per cached repository)..." >&2
	git dds run -j "$jobs" >/dev/null
	git switch -q main
	git dds checkout >/dev/null
	# An unrelated commit on main, so the merge is a true merge.
	echo "notes" >NOTES.txt
	git add NOTES.txt
	git commit -q -m "unrelated change on main"
}
prepared_repo "$work" "$source_repo" compute_branch
cd "$work"
main=$(git rev-parse main)
objects_before=$(find .git/dds/objects -type f | wc -l)

# Each timed merge starts from main with main's outputs in place.
reset='git reset -q --hard '"$main"' && git dds checkout >/dev/null'
git dds uninstall >/dev/null 2>&1 || true
plain=$(median_seconds "$runs" "$reset" 'git merge -q --no-edit wide')
git dds install >/dev/null
hooked=$(median_seconds "$runs" "$reset" 'git merge -q --no-edit wide')
git dds status --exit-code >/dev/null || { echo "after the merge, some stage is not fresh" >&2; exit 1; }
objects_after=$(find .git/dds/objects -type f | wc -l)
git dds uninstall >/dev/null
eval "$reset"

tree=$(median_seconds "$runs" true 'git merge-tree --write-tree main wide')
preview=$(median_seconds "$runs" true 'git dds merge-preview wide')

echo "repository: $stages stages, $files files; hardlink mode; median of $runs runs"
printf '%-36s %10.4f s\n' "git merge, no hooks" "$plain"
printf '%-36s %10.4f s   ratio %s (target <= 2)\n' "git merge, hooks promoting" "$hooked" "$(ratio "$hooked" "$plain")"
printf '%-36s %10d\n' "objects added to the store" "$((objects_after - objects_before))"
printf '%-36s %10.4f s\n' "git merge-tree --write-tree" "$tree"
printf '%-36s %10.4f s   excess %s s (target <= 0.2)\n' "git dds merge-preview" "$preview" "$(difference "$preview" "$tree")"
