#!/usr/bin/env bash
# The long run of the model-based test: TestModel (e2e/model_test.go) with
# many steps. Each step is a random git operation (commit, branch, switch
# clean or dirty, merge of every kind, cherry-pick, revert, reset, stash,
# rebase, bisect, worktree), an edit of params, data, code or an output, or
# git dds run / checkout; after each, every working tree is held to the
# rule of docs/reliability.md against an oracle that runs the stage
# commands by hand. make test runs 300 steps; this runs 20,000.
#
#   bench/model.sh                        # 20,000 steps, a seed from the clock
#   STEPS=2000 SEED=42 bench/model.sh     # the same steps again
#   CONTINUE=1 bench/model.sh             # after a finding, go on in a fresh repository
#   BROKEN=1 bench/model.sh               # draw the known-broken ops too
#
# The figures (ops done, time, findings with their transcripts) go to
# .bench/model/report-SEED.json; the transcript and repository of each
# finding to .bench/model/seed-SEED-step-N/.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

steps=${STEPS:-20000}
seed=${SEED:-$(date +%s)}
out=$bench_cache/model
mkdir -p "$out"
report=$out/report-$seed.json

cd "$bench_root"
status=0
DDS_MODEL_STEPS=$steps DDS_MODEL_SEED=$seed DDS_MODEL_REPORT=$report DDS_MODEL_KEEP=$out \
	DDS_MODEL_CONTINUE=${CONTINUE:-0} DDS_MODEL_BROKEN=${BROKEN:-0} \
	go test -count=1 -timeout 12h -run '^TestModel$' -v ./e2e | grep -v '^=== RUN' || status=$?
echo "report: $report"
exit "$status"
