#!/usr/bin/env bash
# The main job end to end on a sample pipeline, in a fresh repository:
# run, branch, change, switch back, merge, promotion, and sharing through a
# remote (a folder here; an S3 bucket works the same). Needs git and git-dds
# on PATH (make demo puts the freshly built one first).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/git-dds-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

export GIT_CONFIG_NOSYSTEM=1 HOME="$work/home"
mkdir -p "$HOME"
git config --global user.name "Demo User"
git config --global user.email demo@example.com
git config --global init.defaultBranch main
git config --global advice.detachedHead false

cp -R "$here/sample" "$work/repo"
cd "$work/repo"
git init -q
git add -A
git commit -q -m "weather pipeline"
git dds install >/dev/null

step "1. The first run computes every stage"
show git dds run
show cat out/report.txt
show git dds status

step "2. A second run has nothing to compute"
show git dds run

step "3. On a branch, switch imputation to the median"
show git switch -c median
sed -i.bak 's/impute: mean/impute: median/' params.yaml && rm params.yaml.bak
git commit -q -am "impute with the median"
show git dds status
show git dds run
show cat out/report.txt

step "4. Back on main: the post-checkout hook restores main's outputs, nothing runs"
show git switch main
show cat out/report.txt
show git dds status

step "5. An undeclared param changes nothing"
sed -i.bak 's/colour: blue/colour: green/' params.yaml && rm params.yaml.bak
git commit -q -am "greener plots"
show git dds status

step "6. Before merging: what would the merge promote or compute?"
show git dds merge-preview median

step "7. Merge: the post-merge hook promotes the branch's artifacts, nothing is recomputed"
show git merge -q --no-edit median
show git dds status
show git dds ls
show cat out/report.txt

step "8. Share: git push uploads the artifacts, a teammate's clone pulls them, nothing runs"
git init -q --bare "$work/origin.git"
git remote add origin "$work/origin.git"
show git config dds.remote.team.url "file://$work/team-store"
show git push -q origin main
cd "$work"
show git clone -q origin.git teammate
cd teammate
git config dds.remote.team.url "file://$work/team-store"
show git dds status
show git dds pull
show cat out/report.txt
