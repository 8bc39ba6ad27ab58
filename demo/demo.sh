#!/usr/bin/env bash
# The main job end to end on a sample pipeline, in a fresh repository:
# run, branch, change, switch back, merge, promotion, and sharing through a
# remote (a folder here; an S3 bucket works the same). Needs git and git-dds
# on PATH (make demo puts the freshly built one first). Every command is
# printed before it runs, so that it can be run again by hand. KEEP=1
# keeps the demo's folder (make demo KEEP=1) and says where it is.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/git-dds-demo.XXXXXX")
finish() {
	if [ "${KEEP:-}" = 1 ]; then
		printf '\nThe demo is kept in %s: the repository in %s/repo, the teammate'"'"'s clone in %s/teammate, their git config in %s/home.\n' "$work" "$work" "$work" "$work"
		printf 'To look around: cd %s/repo && HOME=%s/home git dds status\n' "$work" "$work"
	else
		rm -rf "$work"
		printf '\nThe demo'"'"'s folder was removed; make demo KEEP=1 keeps it.\n'
	fi
}
trap finish EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# show prints a command, quoted as a shell would need it, then runs it.
show() {
	local word line='$'
	for word in "$@"; do
		case $word in
		*[!A-Za-z0-9_./:=@%+,-]*) line+=" '${word//\'/\'\\\'\'}'" ;;
		*) line+=" $word" ;;
		esac
	done
	printf '%s\n' "$line"
	"$@"
}

step "0. A fresh repository with the sample pipeline, and a git config of its own"
show export GIT_CONFIG_NOSYSTEM=1 HOME="$work/home"
show mkdir -p "$HOME"
show git config --global user.name "Demo User"
show git config --global user.email demo@example.com
show git config --global init.defaultBranch main
show git config --global advice.detachedHead false

show cp -R "$here/sample" "$work/repo"
show cd "$work/repo"
show git init -q
show git add -A
show git commit -q -m "weather pipeline"
show git dds install

step "1. The first run computes every stage"
show git dds run
show cat out/report.txt
show git dds status

step "2. A second run has nothing to compute"
show git dds run

step "3. On a branch, switch imputation to the median"
show git switch -c median
show sed -i.bak 's/impute: mean/impute: median/' params.yaml
show rm params.yaml.bak
show git commit -q -am "impute with the median"
show git dds status
show git dds run
show cat out/report.txt

step "4. Back on main: the post-checkout hook restores main's outputs, nothing runs"
show git switch main
show cat out/report.txt
show git dds status

step "5. An undeclared param changes nothing"
show sed -i.bak 's/colour: blue/colour: green/' params.yaml
show rm params.yaml.bak
show git commit -q -am "greener plots"
show git dds status

step "6. Before merging: what would the merge promote or compute?"
show git dds merge-preview median

step "7. Merge: the post-merge hook promotes the branch's artifacts, nothing is recomputed"
show git merge -q --no-edit median
show git dds status
show git dds ls
show cat out/report.txt

step "8. Share: git push uploads the artifacts, a teammate's clone pulls them, nothing runs"
show git init -q --bare "$work/origin.git"
show git remote add origin "$work/origin.git"
show git dds init --remote "file://$work/team-store"
show git add .ddsconfig
show git commit -q -m "the team's remote"
show git push -q origin main
show cd "$work"
show git clone -q origin.git teammate
show cd teammate
# The teammate configures nothing: the committed .ddsconfig names the remote.
show cat .ddsconfig
show git dds install
show git dds status
show git dds pull
show cat out/report.txt
