"""select, pool_graph and the learner helpers never touch the global random generators."""
import random

import numpy as np
import pytest
import torch

import gcnal


def _global_states():
    return torch.get_rng_state(), np.random.get_state(), random.getstate()


def _assert_unchanged(before):
    torch_state, numpy_state, python_state = before
    assert torch.equal(torch.get_rng_state(), torch_state), "global torch RNG advanced"
    after_numpy = np.random.get_state()
    assert after_numpy[0] == numpy_state[0]
    np.testing.assert_array_equal(after_numpy[1], numpy_state[1], "global numpy RNG advanced")
    assert after_numpy[2:] == numpy_state[2:], "global numpy RNG advanced"
    assert random.getstate() == python_state, "global random RNG advanced"


@pytest.mark.parametrize("method", gcnal.available_methods())
def test_select_leaves_the_global_generators_alone(method, method_kwargs, fast_options):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6)).astype(np.float32)
    mask = np.zeros(40, dtype=bool)
    mask[:6] = True
    before = _global_states()
    gcnal.select(x, mask, 5, method=method, seed=0, options=fast_options(method, epochs=2),
                 **method_kwargs(method, 40))
    _assert_unchanged(before)


@pytest.mark.parametrize("graph", ["dense", "knn", "auto"])
def test_pool_graph_leaves_the_global_generators_alone(graph):
    x = np.random.default_rng(1).normal(size=(30, 5)).astype(np.float32)
    before = _global_states()
    gcnal.pool_graph(x, graph=graph)
    _assert_unchanged(before)


@pytest.mark.parametrize("method", gcnal.available_methods())
def test_picks_depend_on_the_seed_only_not_on_the_global_state(method, method_kwargs,
                                                               fast_options):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 6)).astype(np.float32)
    mask = np.zeros(40, dtype=bool)
    mask[:6] = True
    picks = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        np.random.seed(global_seed)
        random.seed(global_seed)
        picks.append(gcnal.select(x, mask, 5, method=method, seed=0,
                                  options=fast_options(method, epochs=2),
                                  **method_kwargs(method, 40)))
    np.testing.assert_array_equal(picks[0], picks[1])


def test_the_learner_helpers_leave_the_global_generators_alone():
    from gcnal.learner import MCDropout, mc_dropout_probs

    model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), MCDropout(0.5),
                                torch.nn.Linear(16, 3))
    inputs = torch.randn(20, 6)
    before = _global_states()
    for seed in (0, None):
        probs = mc_dropout_probs(model, inputs, samples=4, seed=seed)
    _assert_unchanged(before)
    assert probs.shape == (20, 4, 3)


@pytest.mark.parametrize("options", [{"graph": "knn", "knn_backend": "ivf"},
                                     {"early_stop": 0.5, "epochs": 40}],
                         ids=["ivf_search", "early_stop"])
def test_the_ivf_search_and_early_stop_leave_the_global_generators_alone(options):
    x = np.random.default_rng(3).normal(size=(60, 6)).astype(np.float32)
    mask = np.zeros(60, dtype=bool)
    mask[:8] = True
    before = _global_states()
    gcnal.select(x, mask, 5, method="uncertain_gcn", seed=0, options=options)
    _assert_unchanged(before)
