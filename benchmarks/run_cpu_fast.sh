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
# Then: python -m benchmarks.report --study fashion_mnist_fast_cpu
set -euo pipefail
cd "$(dirname "$0")/.."
exec python -m benchmarks.run --profile fast --dataset fashion_mnist \
    --learner small_cnn --epochs 15 --initial 500 --budget 500 --cycles 5 --subset 10000 \
    --methods random coreset uncertain_gcn core_gcn entropy --trials 0 1 2 3 4 \
    --study fashion_mnist_fast_cpu --threads 1 --device cpu "$@"
