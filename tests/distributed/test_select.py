"""gcnal.distributed.select on gloo process groups of 1 to 4 spawned ranks:
the picks of the concatenated pool whatever the sharding, and failures that
reach every rank."""
import numpy as np
import pytest

import gcnal
from gcnal.errors import PeerFailedError

from launch import GROUP_TIMEOUT_S, launch
from sharded_jobs import (BUDGET, CUTS, SCENARIOS, TRAINED, run_scenarios,
                          run_with_a_dead_rank, scenario_inputs)

SIZES = (1, 2, 3, 4)
SEED = 7

#: Scenarios whose picks must equal single-process gcnal.select's.
DETERMINISTIC = [name for name in SCENARIOS if name != "random" and name not in TRAINED]


@pytest.fixture(scope="module")
def launched(tmp_path_factory):
    """One launch of 4 ranks: every scenario at every world size, then rank 3
    dies and the others call again."""
    return launch(4, run_scenarios, (SEED,), tmp_path_factory.mktemp("runs"),
                  timeout_s=150 + GROUP_TIMEOUT_S, then=run_with_a_dead_rank, dies=3)


@pytest.fixture(scope="module")
def runs(launched):
    results, _ = launched
    for rank, result in enumerate(results):
        assert result is not None and result[0] == "ok", (rank, result)
    return [result[1] for result in results]


def _agreed_order(runs, name, size):
    """The global pick order, checked to be the same on every rank of the group."""
    orders = [runs[rank][(name, size)]["order"] for rank in range(size)]
    for order in orders[1:]:
        np.testing.assert_array_equal(order, orders[0])
    return orders[0]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", DETERMINISTIC)
def test_deterministic_methods_pick_what_one_process_picks(runs, name, size):
    method, x, labelled, kwargs = scenario_inputs(name)
    expected = gcnal.select(x, labelled, BUDGET, method, seed=SEED, **kwargs)
    np.testing.assert_array_equal(_agreed_order(runs, name, size), np.asarray(expected))


def _agreement(a, b):
    return len(set(np.asarray(a).tolist()) & set(np.asarray(b).tolist())) / BUDGET


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", TRAINED)
def test_trained_samplers_learn_and_pick_as_one_process_does(runs, name, size):
    method, x, labelled, kwargs = scenario_inputs(name)
    expected = gcnal.select(x, labelled, BUDGET, method, seed=SEED, return_info=True, **kwargs)
    assert _agreement(_agreed_order(runs, name, size), expected.indices) >= 0.95
    losses = [runs[rank][(name, size)]["losses"] for rank in range(size)]
    assert all(curve == losses[0] for curve in losses)  # one curve, on every rank
    np.testing.assert_allclose(losses[0], expected.losses, rtol=1e-5, atol=1e-6)
    assert losses[0][-1] < losses[0][0]  # it trained


@pytest.mark.parametrize("name", TRAINED)
def test_trained_samplers_pick_alike_at_every_world_size(runs, name):
    orders = [_agreed_order(runs, name, size) for size in SIZES]
    assert all(_agreement(order, orders[0]) >= 0.95 for order in orders)


@pytest.mark.parametrize("name", [name for name in SCENARIOS if name not in TRAINED])
def test_the_same_seed_gives_the_same_picks_at_every_world_size(runs, name):
    orders = [_agreed_order(runs, name, size) for size in SIZES]
    for order in orders[1:]:
        np.testing.assert_array_equal(order, orders[0])


def test_random_picks_are_distinct_unlabelled_and_spread_over_the_shards(runs):
    _, _, labelled, _ = scenario_inputs("random")
    order = _agreed_order(runs, "random", 2)
    assert len(set(order.tolist())) == BUDGET and not labelled[order].any()
    # 12 uniform picks among 210 unlabelled items, 70 of them on rank 0
    assert 0 < (order < 100).sum() < BUDGET


@pytest.mark.parametrize("size", SIZES)
def test_each_rank_gets_its_own_picks_as_local_indices(runs, size):
    for name in SCENARIOS:
        _, _, labelled, _ = scenario_inputs(name)
        order = _agreed_order(runs, name, size)
        mine = []
        for rank in range(size):
            run = runs[rank][(name, size)]
            assert run["offsets"] == CUTS[size][:-1]
            assert run["indices"].dtype == np.int64
            np.testing.assert_array_equal(run["indices"],
                                          run["local_order"][run["ranks"] == rank])
            mine.append(CUTS[size][rank] + run["indices"])
            assert not np.asarray(labelled)[mine[-1]].any()
        assert sorted(np.concatenate(mine).tolist()) == sorted(order.tolist())


def test_bytes_are_counted_per_stage_and_only_when_ranks_talk(runs):
    one, two = runs[0][("coreset", 1)]["bytes_sent"], runs[0][("coreset", 2)]["bytes_sent"]
    assert set(two) == {"setup", "scale", "labelled distances", "picks"}
    assert sum(one.values()) == 0
    # each pick: one float64 message of [distance, index, squared norm, row] to the other rank
    assert two["picks"] == BUDGET * 8 * (3 + 8)


def test_typiclust_sends_its_cluster_sizes_once(runs):
    sent = runs[0][("typiclust", 2)]["bytes_sent"]
    assert set(sent) == {"setup", "kmeans", "cluster sizes", "picks"}
    clusters = 30 + BUDGET  # |L| + b cells
    # one all-reduce of the (2, K) int64 sizes and labelled counts: 2 n (P - 1) / P
    assert sent["cluster sizes"] == 2 * 16 * clusters // 2
    assert sent["kmeans"] > clusters * 8 * (8 + 2)  # at least the seeds' offers


@pytest.fixture(scope="module")
def failures(runs):
    """Each case's ``(error type, message)`` on each rank of a group of 3."""
    return [runs[rank]["failures"] for rank in range(3)]


def test_a_bad_shard_makes_every_rank_raise(failures):
    assert failures[2]["nan_on_rank_2"][0] == "InvalidParameterError"
    assert "'features'" in failures[2]["nan_on_rank_2"][1]
    for rank in (0, 1):
        kind, message = failures[rank]["nan_on_rank_2"]
        assert kind == PeerFailedError.__name__ and "[2]" in message


@pytest.mark.parametrize("case, parameter", [("budget_differs", "budget"),
                                             ("budget_too_large", "budget"),
                                             ("seed_differs", "seed"),
                                             ("not_sharded", "method"),
                                             ("candidates", "candidates"),
                                             ("typiclust_k", "k"),
                                             ("cold_start_value", "cold_start"),
                                             ("signed_gcn", "features"),
                                             ("knn_gcn", "graph")])
def test_a_call_that_cannot_run_sharded_raises_the_same_error_on_every_rank(failures, case,
                                                                            parameter):
    for rank in range(3):
        kind, message = failures[rank][case]
        assert kind == "InvalidParameterError" and f"'{parameter}'" in message, message
    if case == "not_sharded":
        assert "'uncertain_gat'" in message and "'typical_diverse'" in message


def test_a_dead_rank_makes_the_others_raise_instead_of_hanging(launched):
    _, after = launched
    assert after[3] is None  # it died without a word
    for rank in range(3):
        assert after[rank] is not None and after[rank][0] == "ok", after[rank]
        kind, seconds = after[rank][1]
        assert kind is not None and seconds < GROUP_TIMEOUT_S + 5, (kind, seconds)
