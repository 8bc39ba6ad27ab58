#!/usr/bin/env bash
# The cost of git dds run --audit: a stage that reads FILES files (2,000 by
# default; one cat over all of them, and one process per file) executed
# with no audit and with the audit, in one hyperfine invocation, and the
# stage's command alone under strace with and without its seccomp filter.
#
#   bench/audit.sh                  # 2000 files, 10 runs each
#   FILES=500 RUNS=5 bench/audit.sh
#
# Each timed run first writes a new data/seed (a dep), so that the stage is
# stale and executes every time. The repository lives in .bench/audit/.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

files=${FILES:-2000}
runs=${RUNS:-10}

command -v strace >/dev/null || { echo "bench/audit.sh needs strace (apt-get install strace)" >&2; exit 3; }
ensure_hyperfine || { echo "bench/audit.sh needs hyperfine" >&2; exit 3; }
build_tools

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
hyperfine --warmup 2 --runs "$runs" --export-csv "$csv" --prepare "$stale" \
	-n 'run one' 'git dds run -q one' \
	-n 'run one --audit' 'git dds run -q --audit one' \
	-n 'run each' 'git dds run -q each' \
	-n 'run each --audit' 'git dds run -q --audit each' \
	-n 'cat' 'sh -c "cat data/* > /dev/null"' \
	-n 'cat under strace --seccomp-bpf' "$trace --seccomp-bpf -- sh -c 'cat data/* > /dev/null'" \
	-n 'cat under strace' "$trace -- sh -c 'cat data/* > /dev/null'" \
	-n 'each' 'sh -c "for f in data/*; do cat \"\$f\"; done > /dev/null"' \
	-n 'each under strace --seccomp-bpf' "$trace --seccomp-bpf -- sh -c 'for f in data/*; do cat \"\$f\"; done > /dev/null'" \
	-n 'each under strace' "$trace -- sh -c 'for f in data/*; do cat \"\$f\"; done > /dev/null'" >&2

# Columns: command,mean,stddev,median,user,system,min,max.
median() { awk -F, -v n="$1" '$1 == n { print $4 }' "$csv"; }
echo "a stage reading $files files; median of $runs runs (hyperfine)"
for pair in 'run one' 'run each'; do
	printf '%-34s %8.4f s\n' "git dds $pair" "$(median "$pair")"
	printf '%-34s %8.4f s   %sx\n' "git dds $pair --audit" "$(median "$pair --audit")" "$(ratio "$(median "$pair --audit")" "$(median "$pair")")"
done
for cmd in cat each; do
	printf '%-34s %8.4f s\n' "$cmd" "$(median "$cmd")"
	for how in 'under strace --seccomp-bpf' 'under strace'; do
		printf '%-34s %8.4f s   %sx\n' "$cmd $how" "$(median "$cmd $how")" "$(ratio "$(median "$cmd $how")" "$(median "$cmd")")"
	done
done
