#!/usr/bin/env bash
# The `paper` profile on one GPU: each dataset in turn, one process per trial
# running concurrently (a ResNet-18 on 1k-10k images does not fill an H200).
# Resumable: re-run the same command after an interruption.
#   DATASETS="cifar10 fashion_mnist" TRIALS="0 1 2 3 4" PROFILE=paper benchmarks/run_paper.sh [extra run.py options]
# Logs go to $LOG_DIR (default /tmp), outside the committed results.
set -euo pipefail
cd "$(dirname "$0")/.."
DATASETS=${DATASETS:-"cifar10 fashion_mnist"}
TRIALS=${TRIALS:-"0 1 2 3 4"}
PROFILE=${PROFILE:-paper}
METHODS=${METHODS:-"random coreset uncertain_gcn core_gcn entropy"}
LOG_DIR=${LOG_DIR:-/tmp}
for ds in $DATASETS; do
    for t in $TRIALS; do
        # shellcheck disable=SC2086
        python -m benchmarks.run --profile "$PROFILE" --dataset "$ds" --methods $METHODS --trials "$t" "$@" \
            > "$LOG_DIR/gcnal_bench_${ds}_${PROFILE}_trial${t}.log" 2>&1 &
    done
    wait
    python -m benchmarks.report --study "${ds}_${PROFILE}"
done
