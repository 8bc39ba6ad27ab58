# shellcheck shell=bash
# The peer table: git dds beside Dud, Git LFS, git-annex and the plain tool
# of each job (git, cp, rclone), on the same generated pipeline and the same
# bytes, every row one hyperfine invocation holding every tool's command.
#
#   bash bench/peers.sh                                   # ~10 minutes on 2 cores
#   STAGES=2000 FILES=50000 BIG_MIB=1024 DIR_FILES=10000 RUNS=10 bash bench/peers.sh
#
# Rows (a "-" where a tool has no such job; Git LFS and git-annex version
# files and run no pipelines):
# - status: the pipeline of STAGES stages over FILES files, every stage
#   computed, nothing changed: git dds status, dud status; git status.
# - run, nothing to do: the same, git dds run and dud run.
# - ingest: one new file of BIG_MIB MiB of random bytes into the tool's
#   store: git dds run of a stage that moves it into place (a rename: the
#   stage's own write is not counted), dud commit, git add (Git LFS's clean
#   filter), git annex add; against cp of the file.
# - switch: git switch between two branches whose files differ by that
#   file, the tools' hooks placing it (git dds in hardlink mode; git-annex
#   locked, its default; Git LFS's smudge filter; Dud: git switch then dud
#   checkout); against cp of the file.
# - merge: merging a branch on which every stage of the pipeline changed
#   and was computed, the hooks promoting its artifacts (Dud: git merge then
#   dud checkout); against git merge with the hooks off.
# - push: a folder of DIR_FILES files of 100 KiB to an empty remote folder
#   on the same disk: git dds push (a file:// remote), dud push, git lfs
#   push (to a bare repository, Git LFS's local file transfer), git annex
#   copy --to a directory special remote; against rclone copy
#   --transfers 8.
# - fetch: those objects back, from that remote into a fresh clone holding
#   none: git dds fetch, dud fetch, git lfs fetch, git annex copy --from;
#   against rclone copy --transfers 8.
#
# Peers come from package managers into ignored folders: Git LFS, git-annex
# and rclone from Debian (apt-get install when missing, as root); Dud with
# go install github.com/kevin-hanselman/dud@$DUD_VERSION into
# .bench/peers/bin, or the binary at $DUD. When Dud cannot be installed
# (the module proxy may not serve it), its column says so.
#
# The table goes to stdout: median seconds per tool, the ratio of git dds
# to the reference (below 1: faster), and the load average before and after
# each row. Everything else goes to stderr.
# shellcheck disable=SC2016 # commands are strings for hyperfine's shell
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stages=${STAGES:-200}
files=${FILES:-5000}
big_mib=${BIG_MIB:-256}
dir_files=${DIR_FILES:-1000}
runs=${RUNS:-5}
seed=${SEED:-1}
jobs=${JOBS:-2}
dud_version=${DUD_VERSION:-v0.4.1}

peers=$bench_cache/peers
mkdir -p "$peers/bin"
export PATH="$peers/bin:$PATH"
build_tools
ensure_hyperfine && command -v jq >/dev/null || {
	echo "this benchmark needs hyperfine and jq (Debian: apt-get install hyperfine jq)" >&2
	exit 1
}

# --- peers -------------------------------------------------------------------

missing=()
for tool in git-lfs:git-lfs git-annex:git-annex rclone:rclone; do
	command -v "${tool%%:*}" >/dev/null || missing+=("${tool##*:}")
done
if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "installing ${missing[*]}..." >&2
	install=(apt-get install -y -q -o DPkg::Lock::Timeout=600 "${missing[@]}")
	"${install[@]}" >&2 || { apt-get update -q >&2 && "${install[@]}" >&2; } || true
fi
for tool in git-lfs git-annex rclone; do
	command -v "$tool" >/dev/null || { echo "this benchmark needs $tool (Debian: apt-get install $tool)" >&2; exit 1; }
done
dud=${DUD:-}
if [ -z "$dud" ] && [ -x "$peers/bin/dud" ]; then
	dud=$peers/bin/dud
fi
if [ -z "$dud" ]; then
	echo "installing Dud $dud_version with go install..." >&2
	if GOBIN=$peers/bin go install "github.com/kevin-hanselman/dud@$dud_version" >&2; then
		dud=$peers/bin/dud
	else
		echo "Dud $dud_version could not be installed: its column stays empty (set DUD to a dud binary)" >&2
	fi
fi
[ -z "$dud" ] || [ "$dud" = "$peers/bin/dud" ] || ln -sf "$dud" "$peers/bin/dud"
have_dud=no
[ -n "$dud" ] && have_dud=yes

# --- the data -------------------------------------------------------------------

work=$peers/run
if [ -d "$work" ]; then chmod -R u+w "$work"; fi
rm -rf "$work"
mkdir -p "$work"
cleanup() {
	[ "${KEEP:-0}" = 1 ] && return
	chmod -R u+w "$work" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
data=$peers/data
mkdir -p "$data"
big=$data/big-${big_mib}m.bin
big2=$data/big2-${big_mib}m.bin
folder=$data/folder-$dir_files
for f in "$big" "$big2"; do
	if [ ! -f "$f" ]; then
		echo "writing $big_mib MiB of random bytes..." >&2
		head -c "$((big_mib * 1048576))" /dev/urandom >"$f.partial"
		mv "$f.partial" "$f"
	fi
done
if [ ! -d "$folder" ]; then
	echo "writing $dir_files files of 100 KiB..." >&2
	rm -rf "$folder.partial"
	mkdir -p "$folder.partial"
	head -c "$((dir_files * 102400))" /dev/urandom | split -a 6 -d -b 102400 - "$folder.partial/f"
	mv "$folder.partial" "$folder"
fi
export work big big2 folder

need_mib=$((big_mib * 16 + dir_files * 100 * 12 / 1024))
free_mib=$(($(df -Pk "$work" | awk 'NR == 2 { print $4 }') / 1024))
if [ "$free_mib" -lt "$need_mib" ]; then
	echo "$work has $free_mib MiB free; this benchmark needs $need_mib MiB" >&2
	exit 1
fi

ident() {
	git config user.name bench
	git config user.email bench@example.com
	git config commit.gpgsign false
}
export -f ident

# --- timing ---------------------------------------------------------------------

declare -A cell
# row KEY ARGS... times the hyperfine commands ARGS (pairs of -n NAME,
# --prepare PREP and the command, as hyperfine takes them) and stores each
# named command's median in cell[KEY,NAME]; the load average around it in
# cell[KEY,load].
row() {
	local key=$1 json=$work/$1.json l0
	shift
	l0=$(cut -d' ' -f1 /proc/loadavg)
	echo "== $key" >&2
	hyperfine --shell=bash --runs "$runs" --warmup 1 --style basic --export-json "$json" "$@" >&2
	cell[$key,load]="$l0-$(cut -d' ' -f1 /proc/loadavg)"
	while IFS=$'\t' read -r name median; do
		cell[$key,$name]=$median
	done < <(jq -r '.results[] | [.command, .median] | @tsv' "$json")
}

# --- the pipeline: status, run with nothing to do, merge ------------------------

source_repo=$(generated_repo "$stages" "$files" 0 "$seed")
pipe=$peers/pipeline-$stages-$files-$seed
compute_pipeline() {
	git config dds.link hardlink
	git dds run -j "$jobs" >/dev/null
	git switch -q -c wide
	sed -i 's/^  k: \(.*\)$/  k: 1\1/' params.yaml
	git commit -q -am "change every stage"
	echo "computing $stages stages on a branch (once per cached repository)..." >&2
	git dds run -j "$jobs" >/dev/null
	git switch -q main
	git dds checkout >/dev/null
	echo notes >NOTES.txt
	git add NOTES.txt
	git commit -q -m "unrelated change on main"
}
prepared_repo "$pipe" "$source_repo" compute_pipeline
dds_pipe=$work/dds-pipeline
cp -a "$pipe" "$dds_pipe"
export dds_pipe
main=$(git -C "$dds_pipe" rev-parse main)
export main

dud_pipe=$work/dud-pipeline
if [ "$have_dud" = yes ]; then
	# The same stages as Dud stage files, one per stage, from dds.yaml:
	# the generator writes each stage on three lines (cmd, deps, outs).
	echo "writing and computing the pipeline's Dud stage files..." >&2
	cp -a "$source_repo" "$dud_pipe"
	(
		cd "$dud_pipe"
		ident
		dud init >/dev/null
		mkdir -p stages
		awk '
			/^  s[0-9]+:$/ { name = substr($1, 1, length($1) - 1) }
			/^    cmd: / { cmd = substr($0, 10) }
			/^    deps: / { deps = substr($0, 12, length($0) - 12) }
			/^    outs: / {
				outs = substr($0, 12, length($0) - 12)
				n = split(deps, d, ", "); args = ""
				for (i = 1; i <= n; i++) args = args " -d " d[i]
				print name "\t" args " -d params.yaml -o " outs "\t" cmd
			}' dds.yaml |
			while IFS=$'\t' read -r name args cmd; do
				# shellcheck disable=SC2086 # args are flags, split on purpose
				dud stage gen $args -- "$cmd" >"stages/$name.yaml"
			done
		dud stage add stages/*.yaml >/dev/null
		dud run >/dev/null
		git add stages .dud/config.yaml .dud/index 2>/dev/null || true
		git commit -q -m "dud stages" || true
	)
fi
export dud_pipe

args=(-n "git dds" "git -C \"\$dds_pipe\" dds status")
[ "$have_dud" = no ] || args+=(-n Dud "cd \"\$dud_pipe\" && dud status")
args+=(-n reference "git -C \"\$dds_pipe\" status")
row status "${args[@]}"

args=(-n "git dds" "git -C \"\$dds_pipe\" dds run")
[ "$have_dud" = no ] || args+=(-n Dud "cd \"\$dud_pipe\" && dud run")
row run "${args[@]}"

git -C "$dds_pipe" dds install >/dev/null
reset='git -C "$dds_pipe" reset -q --hard "$main" && git -C "$dds_pipe" dds checkout >/dev/null'
args=(-n "git dds" --prepare "$reset" "git -C \"\$dds_pipe\" merge -q --no-edit wide"
	-n reference --prepare "$reset" "git -C \"\$dds_pipe\" -c core.hooksPath=/dev/null merge -q --no-edit wide")
row merge "${args[@]}"

# --- one large file: ingest and switch -------------------------------------------

# data_repos makes, for each tool, a repository whose branch a holds the
# file out/big.bin with the bytes of $big and branch b those of $big2.
dds_data=$work/dds-data lfs_data=$work/lfs-data annex_data=$work/annex-data dud_data=$work/dud-data
export dds_data lfs_data annex_data dud_data
stage_in=$work/staged
export stage_in
mkdir -p "$stage_in"
(
	git init -q -b a "$dds_data" && cd "$dds_data" && ident
	git config dds.link hardlink
	cat >dds.yaml <<-'YAML'
		stages:
		  big:
		    cmd: mkdir -p out && mv ../staged/big.bin out/big.bin
		    deps: [branch.txt]
		    outs: [out/big.bin]
	YAML
	echo a >branch.txt
	git add dds.yaml branch.txt && git commit -q -m a
	cp "$big" "$stage_in/big.bin" && git dds run >/dev/null
	git switch -q -c b && echo b >branch.txt && git commit -q -am b
	cp "$big2" "$stage_in/big.bin" && git dds run >/dev/null
	git dds install >/dev/null
)
(
	git init -q -b a "$lfs_data" && cd "$lfs_data" && ident
	git lfs install --local >/dev/null
	git lfs track 'out/**' >/dev/null
	mkdir -p out && cp "$big" out/big.bin
	git add .gitattributes out && git commit -q -m a
	git switch -q -c b && cp "$big2" out/big.bin && git add out && git commit -q -m b
)
(
	git init -q -b a "$annex_data" && cd "$annex_data" && ident
	git annex init -q bench
	mkdir -p out && cp "$big" out/big.bin
	git annex add -q out && git commit -q -m a
	git switch -q -c b && git annex unlock -q out/big.bin && cp "$big2" out/big.bin
	git annex add -q out && git commit -q -m b
)
if [ "$have_dud" = yes ]; then
	(
		git init -q -b a "$dud_data" && cd "$dud_data" && ident
		dud init >/dev/null
		mkdir -p out && cp "$big" out/big.bin
		dud stage gen -o out/big.bin >big.yaml && dud stage add big.yaml >/dev/null && dud commit >/dev/null
		printf 'out/\n' >.gitignore
		git add .gitignore big.yaml .dud && git commit -q -m a
		git switch -q -c b && chmod -R u+w out && cp "$big2" out/big.bin && dud commit >/dev/null
		git add -A . && git commit -q -m b
	)
fi

# Ingest: each tool on branch a, the file new to its store.
ingest_dir=$work/ingest
export ingest_dir
args=(-n "git dds" --prepare 'rm -rf "$ingest_dir" && cp -a "$dds_data" "$ingest_dir" && cd "$ingest_dir" && git switch -q a && rm -rf .git/dds out && echo fresh >branch.txt && cp "$big" "$stage_in/big.bin" && sync'
	"cd \"\$ingest_dir\" && git dds run"
	-n "Git LFS" --prepare 'rm -rf "$ingest_dir" && git init -q "$ingest_dir" && cd "$ingest_dir" && git lfs install --local >/dev/null && git lfs track "*.bin" >/dev/null && cp "$big" big.bin && sync'
	"cd \"\$ingest_dir\" && git add big.bin"
	-n git-annex --prepare 'chmod -R u+w "$ingest_dir" 2>/dev/null; rm -rf "$ingest_dir" && git init -q "$ingest_dir" && cd "$ingest_dir" && git annex init -q bench && cp "$big" big.bin && sync'
	"cd \"\$ingest_dir\" && git annex add -q big.bin")
[ "$have_dud" = no ] || args+=(-n Dud --prepare 'chmod -R u+w "$ingest_dir" 2>/dev/null; rm -rf "$ingest_dir" && mkdir -p "$ingest_dir" && cd "$ingest_dir" && dud init >/dev/null && cp "$big" big.bin && dud stage gen -o big.bin >big.yaml && dud stage add big.yaml >/dev/null && sync'
	"cd \"\$ingest_dir\" && dud commit")
args+=(-n reference --prepare 'rm -f "$work/cp.bin" && sync' 'cp "$big" "$work/cp.bin"')
cat "$big" >/dev/null
row ingest "${args[@]}"
chmod -R u+w "$ingest_dir" && rm -rf "$ingest_dir"

# Switch from a to b, each run starting on a with a's file in place.
args=(-n "git dds" --prepare 'cd "$dds_data" && git switch -q a && sync' 'cd "$dds_data" && git switch -q b'
	-n "Git LFS" --prepare 'cd "$lfs_data" && git switch -q a && sync' 'cd "$lfs_data" && git switch -q b'
	-n git-annex --prepare 'cd "$annex_data" && git switch -q a && sync' 'cd "$annex_data" && git switch -q b')
[ "$have_dud" = no ] || args+=(-n Dud --prepare 'cd "$dud_data" && git switch -q a && dud checkout >/dev/null && sync' 'cd "$dud_data" && git switch -q b && dud checkout')
args+=(-n reference --prepare 'rm -f "$work/cp.bin" && sync' 'cp "$big2" "$work/cp.bin"')
row switch "${args[@]}"
cmp "$dds_data/out/big.bin" "$big2"
cmp "$lfs_data/out/big.bin" "$big2"
cmp "$annex_data/out/big.bin" "$big2"

# --- a folder of small files: push and fetch ---------------------------------------

dds_dir=$work/dds-folder lfs_dir=$work/lfs-folder annex_dir=$work/annex-folder dud_dir=$work/dud-folder
remotes=$work/remotes
export dds_dir lfs_dir annex_dir dud_dir remotes
(
	git init -q -b main "$dds_dir" && cd "$dds_dir" && ident
	cat >dds.yaml <<-YAML
		stages:
		  folder:
		    cmd: mkdir -p out && cp -r $folder out/folder
		    outs: [out/folder]
	YAML
	git add dds.yaml && git commit -q -m folder && git dds run >/dev/null
)
(
	git init -q -b main "$lfs_dir" && cd "$lfs_dir" && ident
	git lfs install --local >/dev/null && git lfs track 'out/**' >/dev/null
	mkdir -p out && cp -r "$folder" out/folder
	git add .gitattributes out && git commit -q -m folder
)
(
	git init -q -b main "$annex_dir" && cd "$annex_dir" && ident
	git annex init -q bench
	mkdir -p out && cp -r "$folder" out/folder
	git annex add -q out && git commit -q -m folder
)
if [ "$have_dud" = yes ]; then
	(
		git init -q -b main "$dud_dir" && cd "$dud_dir" && ident
		dud init >/dev/null
		mkdir -p out && cp -r "$folder" out/folder
		dud stage gen -o out/folder >folder.yaml && dud stage add folder.yaml >/dev/null && dud commit >/dev/null
		printf 'out/\n' >.gitignore
		git add .gitignore folder.yaml .dud && git commit -q -m folder
	)
fi

# Every push goes to a new, empty remote: dds, Dud and rclone a folder,
# Git LFS a bare repository, git-annex a directory special remote.
# next_remote TOOL prints the number of TOOL's next remote: 1, 2, ...
next_remote() {
	mkdir -p "$remotes"
	local n=$(($(cat "$remotes/n-$1" 2>/dev/null || echo 0) + 1))
	echo "$n" >"$remotes/n-$1"
	echo "$n"
}
export -f next_remote
args=(-n "git dds" --prepare 'n=$(next_remote dds) && git -C "$dds_dir" config dds.remote.origin.url "file://$remotes/dds-$n" && sync'
	'git -C "$dds_dir" dds push'
	-n "Git LFS" --prepare 'n=$(next_remote lfs) && git init -q -b main --bare "$remotes/lfs-$n" && git -C "$lfs_dir" remote remove origin 2>/dev/null; git -C "$lfs_dir" remote add origin "$remotes/lfs-$n" && git -C "$lfs_dir" -c core.hooksPath=/dev/null push -q origin main && sync'
	'cd "$lfs_dir" && git lfs push --all origin main'
	-n git-annex --prepare 'n=$(next_remote annex) && mkdir -p "$remotes/annex-$n" && cd "$annex_dir" && git annex initremote -q "r$n" type=directory directory="$remotes/annex-$n" encryption=none && sync'
	'cd "$annex_dir" && git annex copy -q --to "r$(cat "$remotes/n-annex")" out')
[ "$have_dud" = no ] || args+=(-n Dud --prepare 'n=$(next_remote dud) && mkdir -p "$remotes/dud-$n" && cd "$dud_dir" && dud config set remote "$remotes/dud-$n" && sync' 'cd "$dud_dir" && dud push')
args+=(-n reference --prepare 'next_remote rclone >/dev/null && sync' 'rclone copy --transfers 8 "$folder" "$remotes/rclone-$(cat "$remotes/n-rclone")/folder"')
row push "${args[@]}"

# Fetch from the first remote each tool pushed to, into a fresh clone.
clone=$work/clone
export clone
fresh='chmod -R u+w "$clone" 2>/dev/null; rm -rf "$clone"'
args=(-n "git dds" --prepare "$fresh"' && git clone -q "$dds_dir" "$clone" && git -C "$clone" config dds.remote.origin.url "file://$remotes/dds-1" && git -C "$clone" dds status --offline >/dev/null && sync'
	'git -C "$clone" dds fetch'
	-n "Git LFS" --prepare "$fresh"' && GIT_LFS_SKIP_SMUDGE=1 git clone -q "$remotes/lfs-1" "$clone" && sync'
	'cd "$clone" && git lfs fetch origin main'
	-n git-annex --prepare "$fresh"' && git clone -q "$annex_dir" "$clone" && cd "$clone" && git annex init -q clone && git annex enableremote -q r1 directory="$remotes/annex-1" && sync'
	'cd "$clone" && git annex copy -q --from r1 out')
[ "$have_dud" = no ] || args+=(-n Dud --prepare "$fresh"' && git clone -q "$dud_dir" "$clone" && cd "$clone" && dud config set remote "$remotes/dud-1" && sync' 'cd "$clone" && dud fetch')
args+=(-n reference --prepare "$fresh"' && sync' 'rclone copy --transfers 8 "$remotes/rclone-1/folder" "$clone/folder"')
row fetch "${args[@]}"

# --- the table ------------------------------------------------------------------------

echo "$(git dds version 2>/dev/null | head -n 1); $(git --version); git-lfs $(git lfs version | awk '{ print $1 }' | cut -d/ -f2); git-annex $(git annex version --raw 2>/dev/null); $(rclone version | head -n 1); Dud: ${dud:+$dud_version}${dud:-not installed}"
echo "$stages stages over $files files; one file of $big_mib MiB; $dir_files files of 100 KiB; median of $runs runs (hyperfine, 1 warm-up); $(nproc) cores"
printf '| %-20s | %8s | %8s | %8s | %9s | %-20s | %6s | %11s |\n' job "git dds" Dud "Git LFS" git-annex reference "ratio" "load"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' ---------------------- ---------- ---------- ---------- ----------- ---------------------- -------- -------------
declare -A refname=([status]="git status" [run]="-" [ingest]="cp" [switch]="cp" [merge]="git merge, no hooks" [push]="rclone -t 8" [fetch]="rclone -t 8")
declare -A label=([status]="status" [run]="run, nothing to do" [ingest]="ingest" [switch]="switch" [merge]="merge" [push]="push" [fetch]="fetch")
fmt() { if [ -n "${1:-}" ]; then printf '%.3f' "$1"; else printf -- -; fi; }
for key in status run ingest switch merge push fetch; do
	ref=${cell[$key,reference]:-}
	r=-
	[ -z "$ref" ] || r="$(ratio "${cell[$key,git dds]}" "$ref")×"
	refcell=${refname[$key]}
	[ -z "$ref" ] || refcell="$refcell $(fmt "$ref")"
	printf '| %-20s | %8s | %8s | %8s | %9s | %-20s | %6s | %11s |\n' "${label[$key]}" \
		"$(fmt "${cell[$key,git dds]:-}")" "$(fmt "${cell[$key,Dud]:-}")" "$(fmt "${cell[$key,Git LFS]:-}")" \
		"$(fmt "${cell[$key,git-annex]:-}")" "$refcell" "$r" "${cell[$key,load]}"
done
echo "seconds, median; ratio: git dds over the reference (below 1: faster); load: the 1-minute load average before-after the row"
