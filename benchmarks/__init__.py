"""gcnal's benchmark suite (not shipped with the library).

Datasets, learners and the pool-based active-learning loop that reproduce the
protocol of "Sequential Graph Convolutional Network for Active Learning"
(CVPR 2021) while calling :func:`gcnal.select` for every selection. See
``benchmarks/README.md`` for the commands, the profiles and the results.
"""
