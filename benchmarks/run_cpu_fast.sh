#!/usr/bin/env bash
# CPU fallback of the `fast` profile on FashionMNIST (no GPU was available):
# a small CNN instead of ResNet-18, 15 epochs, 500 initial labels + 500 per
# cycle, 5 cycles (500..2500 labelled), the paper's 10,000-item unlabelled
# subset, one torch thread. Resumable: re-run the same command after an
# interruption (finished cycles are skipped).
#
# What was run for benchmarks/results/fashion_mnist_fast_cpu:
#   1. benchmarks/run_cpu_fast.sh --methods random coreset uncertain_gcn core_gcn --trials 0 1 2
#   2. benchmarks/run_cpu_fast.sh --max-minutes 38     (entropy for trials 0-2, then trials 3-4 as far as time allowed)
#   3. benchmarks/run_cpu_fast.sh --trials 4            (trial 4 finished: CoreGCN, Entropy)
#   4. the samplers issue's methods, two processes side by side:
#      benchmarks/run_cpu_fast.sh --methods featprop probcover typiclust uncertain_gat --trials 0 1 2
#      benchmarks/run_cpu_fast.sh --methods core_gat uncertain_transformer core_transformer --trials 0 1 2
#   5. the task-aware methods (a first look, trial 0):
#      benchmarks/run_cpu_fast.sh --methods learning_loss bald jls tjls vaal ta_vaal --trials 0
#   Runs 4 and 5 were stopped at the session's time limit; report.md says
#   which trials each method has.
#   6. the next session: the task-aware methods' trials 1-2, TJLS at its
#      paper's lr 0.01 (LEARNER_OVERRIDES) for trials 0-2, and the
#      recommended method:
#      benchmarks/run_cpu_fast.sh --methods vaal ta_vaal --trials 1
#      benchmarks/run_cpu_fast.sh --methods learning_loss bald jls vaal ta_vaal --trials 2
#      benchmarks/run_cpu_fast.sh --methods tjls --trials 0 1 2
#      benchmarks/run_cpu_fast.sh --methods typical_diverse --trials 0 1 2 3 4
# Then: python -m benchmarks.report --study fashion_mnist_fast_cpu
set -euo pipefail
cd "$(dirname "$0")/.."
exec python -m benchmarks.run --profile fast --dataset fashion_mnist \
    --learner small_cnn --epochs 15 --initial 500 --budget 500 --cycles 5 --subset 10000 \
    --methods random coreset uncertain_gcn core_gcn entropy --trials 0 1 2 3 4 \
    --study fashion_mnist_fast_cpu --threads 1 --device cpu "$@"
