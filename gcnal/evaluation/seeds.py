r"""Where every random draw of :func:`gcnal.evaluate` comes from.

Seed ``s`` of the evaluation gives, for tag :math:`t`, the derived seed
``SeedSequence([s, t])`` (its first 31 bits): the held-out split (tag 5), the
initial labelled set (tag 4, the same for every method), the learner of cycle
:math:`c` (tag :math:`10 + c`) and the selection of cycle :math:`c` (tag
:math:`100 + c`). This is the plan of ``benchmarks/regimes.py`` (its trial is
the seed), so a regimes study is reproduced by ``evaluate`` with its seeds.
"""
from __future__ import annotations

import numpy as np

INITIAL_TAG = 4
SPLIT_TAG = 5
LEARNER_TAG = 10
SELECTION_TAG = 100


def derive_seed(seed: int, tag: int) -> int:
    """The seed for draw ``tag`` of evaluation seed ``seed``: a 31-bit int."""
    return int(np.random.SeedSequence([seed, tag]).generate_state(1)[0] & 0x7FFFFFFF)


def initial_positions(seed: int, pool_size: int, initial: int) -> np.ndarray:
    """The initial labelled set (positions in the pool), drawn uniformly."""
    return np.random.default_rng(derive_seed(seed, INITIAL_TAG)).choice(pool_size, initial,
                                                                        replace=False)


def held_out_split(seed: int, num_items: int, test_size: int):
    """``(pool_items, test_items)``, sorted item indices: ``test_size`` items
    drawn uniformly for testing, the rest form the pool."""
    order = np.random.default_rng(derive_seed(seed, SPLIT_TAG)).permutation(num_items)
    return np.sort(order[test_size:]), np.sort(order[:test_size])
