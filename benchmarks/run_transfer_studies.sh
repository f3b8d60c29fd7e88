#!/bin/sh
# The transfer-feature studies of benchmarks/regimes.py, in the order they ran
# on the shared 2-core CPU (one process, one thread, nice'd; resumable: re-run
# to continue). Cheap methods first, then the slow ones method by method.
set -e
export OMP_NUM_THREADS=1 GCNAL_DATA="${GCNAL_DATA:-../shared/data}"
PY="${PYTHON:-python}"
TRIALS="0 1 2 3 4"
CHEAP="random margin entropy least_confidence coreset badge cluster_margin"
run() { nice -n 10 "$PY" -m benchmarks.regimes run --threads 1 --trials $TRIALS "$@"; }
nice -n 10 "$PY" -m benchmarks.transfer --dataset fashion_mnist --trials $TRIALS --no-probe
nice -n 10 "$PY" -m benchmarks.transfer --dataset cifar10 --trials $TRIALS --no-probe
run --studies fmnist_transfer --methods $CHEAP
run --studies cifar_transfer --methods $CHEAP
nice -n 10 "$PY" -m benchmarks.transfer --dataset fashion_mnist --trials $TRIALS
run --studies fmnist_transfer cifar_transfer --methods typical_diverse
run --studies fmnist_transfer --methods uncertain_gcn core_gcn
run --studies fmnist_transfer cifar_transfer --methods typiclust probcover
run --studies cifar_transfer --methods uncertain_gcn core_gcn
nice -n 10 "$PY" -m benchmarks.transfer --dataset cifar10 --trials $TRIALS
