#!/usr/bin/env bash
# The cost of git dds run --audit: a stage that reads FILES files (2,000 by
# default; one cat over all of them, and one process per file) executed
# with no audit, with the audit by the built-in tracer and with the audit
# by strace, in one hyperfine invocation, and the stage's command alone
# under strace with and without its seccomp filter.
#
#   bench/audit.sh                  # 2000 files, 10 runs each
#   FILES=500 RUNS=5 bench/audit.sh
#   ALONE=0 bench/audit.sh          # without the command-alone rows
#   STAGES=one bench/audit.sh       # the one-process stage only
#   BEFORE=REV bench/audit.sh       # and REV's git-dds, plain and audited
#
# With BEFORE, the same invocation also times git-dds built from REV (as
# bench/compare.sh builds it), so that before and after meet the same
# load: each build's audited run is set against its own plain run.
#
# Each timed run first writes a new data/seed (a dep), so that the stage is
# stale and executes every time. The repository lives in .bench/audit/.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

files=${FILES:-2000}
runs=${RUNS:-10}
alone=${ALONE:-1}
read -r -a stages <<<"${STAGES:-one each}"
before=${BEFORE:-}

command -v strace >/dev/null || { echo "bench/audit.sh needs strace (apt-get install strace)" >&2; exit 3; }
ensure_hyperfine || { echo "bench/audit.sh needs hyperfine" >&2; exit 3; }
build_tools
if [ -n "$before" ]; then
	before=$(git -C "$bench_root" rev-parse --short "$before^{commit}")
	before_bin=$bench_cache/compare/$before/bin
	if [ ! -x "$before_bin/git-dds" ]; then
		src=$(mktemp -d)
		git -C "$bench_root" archive "$before" | tar -x -C "$src"
		mkdir -p "$before_bin"
		(cd "$src" && go build -o "$before_bin/git-dds" ./cmd/git-dds)
		rm -rf "$src"
	fi
fi

repo=$bench_cache/audit/files$files
if [ ! -d "$repo" ]; then
	rm -rf "$repo.partial"
	mkdir -p "$repo.partial/data"
	(
		cd "$repo.partial"
		git init -q
		git config user.name bench
		git config user.email bench@example.com
		git config commit.gpgsign false
		for i in $(seq "$files"); do echo "row $i" >"data/f$i.txt"; done
		echo 0 >data/seed
		cat >dds.yaml <<'YAML'
stages:
  one:
    cmd: cat data/* > one.txt
    deps: [data]
    outs: [one.txt]
  each:
    cmd: for f in data/*; do cat "$f"; done > each.txt
    deps: [data]
    outs: [each.txt]
YAML
		git add -A
		git commit -q -m 'audit bench'
	)
	mv "$repo.partial" "$repo"
fi
cd "$repo"

# The flags the strace back end runs with (internal/audit/strace.go).
traces=$(mktemp -d)
csv=$(mktemp)
trap 'rm -rf "$csv" "$traces"' EXIT
trace="strace -f -ff -qq -z -y -e trace=open,openat,openat2,creat,execve,execveat -o $traces/t"
stale="date +%s%N > data/seed; rm -f $traces/t.*"
builtin='git -c dds.auditTracer=builtin dds run -q --audit'
viastrace='git -c dds.auditTracer=strace dds run -q --audit'
commands=()
for stage in "${stages[@]}"; do
	commands+=(
		-n "run $stage" "git dds run -q $stage"
		-n "run $stage --audit (builtin)" "$builtin $stage"
		-n "run $stage --audit (strace)" "$viastrace $stage"
	)
	[ -n "$before" ] && commands+=(
		-n "run $stage ($before)" "PATH=$before_bin:\$PATH git dds run -q $stage"
		-n "run $stage --audit (builtin at $before)" "PATH=$before_bin:\$PATH $builtin $stage"
	)
done
if [ "$alone" = 1 ]; then
	commands+=(
		-n 'cat' 'sh -c "cat data/* > /dev/null"'
		-n 'cat under strace --seccomp-bpf' "$trace --seccomp-bpf -- sh -c 'cat data/* > /dev/null'"
		-n 'cat under strace' "$trace -- sh -c 'cat data/* > /dev/null'"
	)
	[[ " ${stages[*]} " == *" each "* ]] && commands+=(
		-n 'each' 'sh -c "for f in data/*; do cat \"\$f\"; done > /dev/null"'
		-n 'each under strace --seccomp-bpf' "$trace --seccomp-bpf -- sh -c 'for f in data/*; do cat \"\$f\"; done > /dev/null'"
		-n 'each under strace' "$trace -- sh -c 'for f in data/*; do cat \"\$f\"; done > /dev/null'"
	)
fi
echo "load average before: $(cat /proc/loadavg)"
hyperfine --warmup 2 --runs "$runs" --export-csv "$csv" --prepare "$stale" "${commands[@]}" >&2
echo "load average after: $(cat /proc/loadavg)"

# Columns: command,mean,stddev,median,user,system,min,max. On a busy
# machine, user+system time (of git dds and of the command, the tracer
# included) moves far less than wall time.
median() { awk -F, -v n="$1" '$1 == n { print $4 }' "$csv"; }
cpu() { awk -F, -v n="$1" '$1 == n { print $5 + $6 }' "$csv"; }
echo "a stage reading $files files; median of $runs runs (hyperfine), then mean user+system"
for stage in "${stages[@]}"; do
	pair="run $stage"
	printf '%-40s %8.4f s   %8.4f s cpu\n' "git dds $pair" "$(median "$pair")" "$(cpu "$pair")"
	for how in builtin strace; do
		n="$pair --audit ($how)"
		printf '%-40s %8.4f s   %sx   %8.4f s cpu   %sx\n' "git dds $n" "$(median "$n")" "$(ratio "$(median "$n")" "$(median "$pair")")" "$(cpu "$n")" "$(ratio "$(cpu "$n")" "$(cpu "$pair")")"
	done
	[ -n "$before" ] || continue
	old="$pair ($before)"
	n="$pair --audit (builtin at $before)"
	printf '%-40s %8.4f s   %8.4f s cpu\n' "git dds $old" "$(median "$old")" "$(cpu "$old")"
	printf '%-40s %8.4f s   %sx   %8.4f s cpu   %sx\n' "git dds $n" "$(median "$n")" "$(ratio "$(median "$n")" "$(median "$old")")" "$(cpu "$n")" "$(ratio "$(cpu "$n")" "$(cpu "$old")")"
done
[ "$alone" = 1 ] || exit 0
for cmd in cat each; do
	[ -n "$(median "$cmd")" ] || continue
	printf '%-40s %8.4f s\n' "$cmd" "$(median "$cmd")"
	for how in 'under strace --seccomp-bpf' 'under strace'; do
		printf '%-40s %8.4f s   %sx\n' "$cmd $how" "$(median "$cmd $how")" "$(ratio "$(median "$cmd $how")" "$(median "$cmd")")"
	done
done
