"""What the ranks of the distributed tests run (a module of its own, so that
spawned processes can import it)."""
from __future__ import annotations

import numpy as np

#: Pool size and dimension of the test pool; the first 20 items are labelled
#: (and 10 more scattered), so a shard of items 0-19 has no unlabelled item.
NUM_ITEMS, DIM, BUDGET = 240, 8, 12

#: Shard boundaries per world size: uneven, with a rank holding no unlabelled
#: item (items 0-19 at size 3), an empty shard (size 3) and a one-item shard (size 4).
CUTS = {1: [0, 240], 2: [0, 100, 240], 3: [0, 20, 20, 240], 4: [0, 50, 120, 121, 240]}


def test_pool(seed=0):
    """``(features, labelled mask, probs)`` of the test pool."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(6, DIM)) * 3
    x = (centres[rng.integers(6, size=NUM_ITEMS)] + rng.normal(size=(NUM_ITEMS, DIM)))
    labelled = np.zeros(NUM_ITEMS, dtype=bool)
    labelled[:20] = True
    labelled[rng.choice(np.arange(20, NUM_ITEMS), 10, replace=False)] = True
    probs = rng.dirichlet(np.ones(4), size=NUM_ITEMS).astype(np.float32)
    return x.astype(np.float32), labelled, probs


#: name -> (method, keyword arguments, pool variant)
SCENARIOS = {
    "random": ("random", {}, "warm"),
    "margin": ("margin", {"probs": True}, "warm"),
    "entropy": ("entropy", {"probs": True}, "warm"),
    "least_confidence": ("least_confidence", {"probs": True}, "warm"),
    "coreset": ("coreset", {}, "warm"),
    "coreset_cold": ("coreset", {}, "cold"),
    "typical_diverse": ("typical_diverse", {}, "warm"),  # without probs: TypiClust's picks
    "typical_diverse_probs": ("typical_diverse", {"probs": True}, "warm"),
    # cold_start=True: the novelty blend without probs
    "typical_diverse_novelty": ("typical_diverse", {"options": {"cold_start": True}}, "warm"),
    "typical_diverse_options": ("typical_diverse", {"options": {"k": 5, "radius": 0.3,
                                                                "cold_start": True}}, "warm"),
    "typical_diverse_coverage": ("typical_diverse", {"probs": True, "options": {
        "uncertainty_weight": "coverage"}}, "warm"),
    "typical_diverse_cold_blend": ("typical_diverse", {"probs": True, "options": {
        "cold_start": False}}, "cold"),
    "typical_diverse_cold": ("typical_diverse", {"probs": True}, "cold"),
    "typical_diverse_cold_features": ("typical_diverse", {}, "cold"),
    "typiclust": ("typiclust", {}, "warm"),
    "typiclust_cold": ("typiclust", {}, "cold"),
    "typiclust_options": ("typiclust", {"options": {"k": 5, "max_clusters": 9,
                                                    "min_cluster_size": 40}}, "warm"),
    "margin_tensors": ("margin", {"probs": True}, "tensors"),
    "uncertain_gcn": ("uncertain_gcn", {"options": {"epochs": 30}}, "non-negative"),
    "core_gcn": ("core_gcn", {"options": {"epochs": 30, "lr": 0.01}}, "non-negative"),
}

#: Scenarios whose sampler is trained: picks may differ by float rounding.
TRAINED = ("uncertain_gcn", "core_gcn")


def scenario_inputs(name):
    """``(method, features, labelled, kwargs)`` of a scenario on the whole pool."""
    method, kwargs, variant = SCENARIOS[name]
    x, labelled, probs = test_pool()
    if variant == "cold":
        labelled = np.zeros_like(labelled)
    if variant == "non-negative":  # the factored dense graph's condition
        x = np.abs(x)
    kwargs = dict(kwargs)
    if kwargs.pop("probs", False):
        kwargs["probs"] = probs
    if variant == "tensors":
        import torch

        x, labelled = torch.from_numpy(x), torch.from_numpy(labelled)
        kwargs = {key: torch.from_numpy(value) for key, value in kwargs.items()}
    return method, x, labelled, kwargs


def _shard(kwargs, a, b):
    return {key: value[a:b] if hasattr(value, "shape") else value
            for key, value in kwargs.items()}


def run_scenarios(rank, world_size, seed):
    """Every scenario at every world size 1..``world_size`` (a subgroup of
    ranks 0..size-1 each): ``{(name, size): ShardedSelection fields}`` on the
    ranks that took part, inputs checked unchanged; then, under ``"failures"``,
    :func:`run_failures` on ranks 0-2."""
    import torch.distributed as dist

    import gcnal.distributed as gd

    groups = {size: dist.new_group(list(range(size))) for size in range(1, world_size + 1)}
    out = {}
    for size, group in groups.items():
        if rank >= size:
            continue
        a, b = CUTS[size][rank], CUTS[size][rank + 1]
        for name in SCENARIOS:
            method, x, labelled, kwargs = scenario_inputs(name)
            x_shard, lab_shard, shard_kwargs = x[a:b], labelled[a:b], _shard(kwargs, a, b)
            before = (np.array(x_shard), np.array(lab_shard))
            s = gd.select(x_shard, lab_shard, BUDGET, method, group=group, seed=seed,
                          return_order=True, **shard_kwargs)
            assert np.array_equal(before[0], x_shard) and np.array_equal(before[1], lab_shard)
            assert type(s.indices) is type(x_shard) and type(s.order) is type(x_shard)
            out[(name, size)] = {field: np.asarray(getattr(s, field))
                                 for field in ("indices", "order", "ranks", "local_order")}
            out[(name, size)].update(offsets=s.offsets, bytes_sent=s.bytes_sent,
                                     losses=s.losses)
    if rank < 3:
        out["failures"] = run_failures(rank, groups[3])
    return out


def run_failures(rank, group):
    """Calls on a group of 3 ranks that must fail on every rank:
    ``{case: (error type, message)}``."""
    from functools import partial

    import gcnal.distributed

    gd_select = partial(gcnal.distributed.select, group=group)
    x, labelled, probs = test_pool()
    a, b = CUTS[3][rank], CUTS[3][rank + 1]
    cases = {
        "nan_on_rank_2": lambda: gd_select(
            np.where(rank == 2, np.nan, x[a:b]).astype(np.float32), labelled[a:b], BUDGET,
            "coreset", seed=0),
        "budget_differs": lambda: gd_select(x[a:b], labelled[a:b], BUDGET + rank, "coreset",
                                            seed=0),
        "budget_too_large": lambda: gd_select(x[a:b], labelled[a:b], NUM_ITEMS, "margin",
                                              seed=0),
        "seed_differs": lambda: gd_select(x[a:b], labelled[a:b], BUDGET, "random", seed=rank),
        "not_sharded": lambda: gd_select(x[a:b], labelled[a:b], BUDGET, "uncertain_gat",
                                         seed=0),
        "typiclust_k": lambda: gd_select(x[a:b], labelled[a:b], BUDGET, "typiclust", seed=0,
                                         options={"k": 0}),
        "cold_start_value": lambda: gd_select(x[a:b], labelled[a:b], BUDGET, "typical_diverse",
                                              seed=0, options={"cold_start": "yes"}),
        "candidates": lambda: gd_select(x[a:b], labelled[a:b], BUDGET, "coreset", seed=0,
                                        options={"candidates": 50}),
        "signed_gcn": lambda: gd_select(x[a:b], labelled[a:b], BUDGET, "uncertain_gcn", seed=0,
                                        options={"epochs": 2}),
        "knn_gcn": lambda: gd_select(np.abs(x[a:b]), labelled[a:b], BUDGET, "core_gcn", seed=0,
                                     options={"graph": "knn"}),
    }
    out = {}
    for case, call in cases.items():
        try:
            call()
            out[case] = None
        except Exception as err:  # the test asserts on the type and message
            out[case] = (type(err).__name__, str(err))
    return out


def run_with_a_dead_rank(rank, world_size):
    """A call on the whole world after one rank died: it must raise, not
    hang; ``(error type, seconds)``."""
    import time

    import gcnal.distributed

    x, labelled, _ = test_pool()
    start = time.perf_counter()
    try:
        gcnal.distributed.select(x[:100], labelled[:100], BUDGET, "coreset", seed=0)
    except Exception as err:  # the test asserts on it
        return type(err).__name__, time.perf_counter() - start
    return None, time.perf_counter() - start
