#!/usr/bin/env bash
# The full kill -9 campaign: TestChaos (e2e/chaos_test.go) with many trials.
# Each trial starts git dds run, checkout or gc (or a run beside a gc) in a
# throwaway repository, kills its whole process group with SIGKILL at a
# seeded random moment, then checks that fsck is clean, the index opens,
# every output status calls fresh has the bytes of a clean run, and the
# next run completes. make test runs 20 trials; this runs 200.
#
#   bench/chaos.sh                      # 200 trials, a seed from the clock
#   TRIALS=500 SEED=42 bench/chaos.sh   # more trials, the same draws again
#
# The figures (trials, where the kills landed, problems, leftovers) are
# printed and written as JSON to .bench/chaos/report-SEED.json. With KEEP=1,
# the store and index of every trial that found a problem are kept under
# .bench/chaos/trial-N for a post mortem.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

trials=${TRIALS:-200}
seed=${SEED:-$(date +%s%N)}
out=$bench_cache/chaos
mkdir -p "$out"
report=$out/report-$seed.json

keep=
if [ "${KEEP:-}" = 1 ]; then
	keep=$out
fi

cd "$bench_root"
status=0
CHAOS_TRIALS=$trials CHAOS_SEED=$seed CHAOS_REPORT=$report CHAOS_KEEP=$keep \
	go test -count=1 -timeout 4h -run '^TestChaos$' -v ./e2e | grep -v '^=== RUN' || status=$?
echo "report: $report"
exit "$status"
