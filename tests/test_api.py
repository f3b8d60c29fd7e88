"""The public contract of gcnal.select, run over every registered method."""
import logging

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import gcnal
from gcnal import InvalidParameterError, UnknownNameError

FAST = {"epochs": 20}  # options of the GNN presets that keep the tests quick
METHODS = gcnal.available_methods()


def test_builtin_methods_are_registered():
    assert {"random", "coreset", "uncertain_gcn", "core_gcn", "entropy", "margin",
            "least_confidence"} <= set(METHODS)


@pytest.mark.parametrize("method", METHODS)
def test_contract_numpy(method, pool, method_kwargs, fast_options):
    features, mask = pool
    before_f, before_m = features.copy(), mask.copy()
    kwargs = {**method_kwargs(method, len(mask)), "options": fast_options(method)}
    idx = gcnal.select(features, mask, 10, method=method, seed=0, **kwargs)
    assert isinstance(idx, np.ndarray) and idx.dtype == np.int64
    assert idx.shape == (10,) and len(np.unique(idx)) == 10
    assert not mask[idx].any()
    assert np.array_equal(features, before_f) and np.array_equal(mask, before_m)
    again = gcnal.select(features, mask, 10, method=method, seed=0, **kwargs)
    assert np.array_equal(idx, again)


@pytest.mark.parametrize("method", METHODS)
def test_contract_torch_round_trip(method, pool, method_kwargs, fast_options):
    features, mask = pool
    x, m = torch.from_numpy(features), torch.from_numpy(mask)
    kwargs = {k: torch.from_numpy(v) for k, v in method_kwargs(method, len(mask)).items()}
    idx = gcnal.select(x, m, 5, method=method, seed=1, options=fast_options(method), **kwargs)
    assert isinstance(idx, torch.Tensor) and idx.dtype == torch.int64
    assert idx.device == x.device and idx.unique().numel() == 5
    numpy_idx = gcnal.select(features, mask, 5, method=method, seed=1,
                             options=fast_options(method), **method_kwargs(method, len(mask)))
    assert idx.tolist() == numpy_idx.tolist()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("method", METHODS)
def test_contract_cuda_round_trip(method, pool, method_kwargs, fast_options):
    features, mask = pool
    x, m = torch.from_numpy(features).cuda(), torch.from_numpy(mask).cuda()
    kwargs = {k: torch.from_numpy(v).cuda() for k, v in method_kwargs(method, len(mask)).items()}
    idx = gcnal.select(x, m, 5, method=method, seed=0, options=fast_options(method), **kwargs)
    assert idx.is_cuda and idx.dtype == torch.int64 and not m[idx].any()


@pytest.mark.parametrize("method", METHODS)
def test_whole_unlabelled_pool_can_be_selected(method, pool, method_kwargs, fast_options):
    features, mask = pool
    idx = gcnal.select(features, mask, int((~mask).sum()), method=method, seed=0,
                       options=fast_options(method), **method_kwargs(method, len(mask)))
    assert sorted(idx.tolist()) == np.flatnonzero(~mask).tolist()


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("budget", [0, -1, 49, 2.0, True])
def test_budget_out_of_range(method, pool, budget, method_kwargs):
    features, mask = pool
    with pytest.raises(InvalidParameterError, match="'budget'.*\\[1, 48\\]"):
        gcnal.select(features, mask, budget, method=method, **method_kwargs(method, 60))


@pytest.mark.parametrize("method", METHODS)
def test_nan_features(method, pool, method_kwargs):
    features, mask = pool
    features = features.copy()
    features[3, 1] = np.nan
    with pytest.raises(InvalidParameterError, match="'features'.*finite.*1 row"):
        gcnal.select(features, mask, 2, method=method, **method_kwargs(method, 60))


@pytest.mark.parametrize("method", METHODS)
def test_mismatched_mask_length(method, pool, method_kwargs):
    features, mask = pool
    with pytest.raises(InvalidParameterError, match="'labelled_mask'.*length 60.*\\(59,\\)"):
        gcnal.select(features, mask[:-1], 2, method=method, **method_kwargs(method, 60))


@pytest.mark.parametrize("method", METHODS)
def test_mask_of_wrong_dtype(method, pool, method_kwargs):
    features, mask = pool
    with pytest.raises(InvalidParameterError, match="'labelled_mask'.*float"):
        gcnal.select(features, mask.astype(np.float32), 2, method=method,
                     **method_kwargs(method, 60))
    with pytest.raises(InvalidParameterError, match="'labelled_mask'.*other than 0 and 1"):
        gcnal.select(features, mask.astype(int) * 2, 2, method=method,
                     **method_kwargs(method, 60))


def test_integer_mask_is_accepted(pool):
    features, mask = pool
    a = gcnal.select(features, mask.astype(np.int64), 3, method="coreset", seed=0)
    b = gcnal.select(features, mask, 3, method="coreset", seed=0)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("bad", [np.zeros(5), np.zeros((0, 3)), np.zeros((2, 2, 2)), [[1.0]]])
def test_features_of_wrong_shape_or_type(bad):
    with pytest.raises(InvalidParameterError, match="'features'"):
        gcnal.select(bad, np.zeros(5, dtype=bool), 1, method="random")


def test_every_item_labelled(pool):
    features, _ = pool
    with pytest.raises(InvalidParameterError, match="at least one unlabelled item"):
        gcnal.select(features, np.ones(60, dtype=bool), 1)


def test_unknown_method_lists_the_choices(pool):
    features, mask = pool
    with pytest.raises(UnknownNameError, match="'method'.*core_gcn.*uncertain_gcn.*Got 'vaal2'"):
        gcnal.select(features, mask, 2, method="vaal2")


def test_method_names_ignore_case_dashes_and_underscores(pool):
    features, mask = pool
    a = gcnal.select(features, mask, 4, method="Uncertain-GCN", seed=0, options=FAST)
    b = gcnal.select(features, mask, 4, method="uncertain_gcn", seed=0, options=FAST)
    assert np.array_equal(a, b)


def test_probs_required_and_checked_everywhere(pool):
    features, mask = pool
    with pytest.raises(InvalidParameterError, match="'probs'.*shape \\(60, C\\).*None"):
        gcnal.select(features, mask, 2, method="entropy")
    with pytest.raises(InvalidParameterError, match="'probs'.*sum to 1"):
        gcnal.select(features, mask, 2, method="margin", probs=np.full((60, 2), 0.3))
    # a method that does not read probs still checks them: a bad signal is never ignored
    with pytest.raises(InvalidParameterError, match="'probs'.*sum to 1"):
        gcnal.select(features, mask, 2, method="coreset", probs=np.full((60, 2), 0.3))


def test_different_seeds_give_different_random_picks(pool):
    features, mask = pool
    a = gcnal.select(features, mask, 10, method="random", seed=0)
    b = gcnal.select(features, mask, 10, method="random", seed=1)
    assert not np.array_equal(a, b)


def test_seed_may_be_a_generator(pool):
    features, mask = pool
    a = gcnal.select(features, mask, 5, method="random", seed=torch.Generator().manual_seed(7))
    b = gcnal.select(features, mask, 5, method="random", seed=torch.Generator().manual_seed(7))
    assert np.array_equal(a, b)
    with pytest.raises(InvalidParameterError, match="'seed'"):
        gcnal.select(features, mask, 5, method="random", seed="zero")


def test_subset_limits_the_scored_items(pool):
    features, mask = pool
    sel = gcnal.select(features, mask, 5, method="uncertain_gcn", seed=0,
                       options={"subset": 20, **FAST}, return_info=True)
    assert sel.nodes.size == 32  # 12 labelled + 20 drawn
    assert set(sel.indices.tolist()) <= set(sel.nodes.tolist())
    assert mask[sel.nodes].sum() == 12
    with pytest.raises(InvalidParameterError, match="'subset'.*>= budget"):
        gcnal.select(features, mask, 5, method="uncertain_gcn", options={"subset": 3})


def test_return_info(pool):
    features, mask = pool
    sel = gcnal.select(features, mask, 5, method="core_gcn", seed=0,
                       options={"hidden": 16, **FAST}, return_info=True)
    assert isinstance(sel, gcnal.Selection)
    assert sel.embeddings.shape == (60, 16) and sel.scores.shape == (60,)
    assert set(sel.timings) == {"graph", "train", "select"}
    assert sel.info["graph"] == "dense (factored, O(N d))" and len(sel.losses) == 20


def test_signed_features_use_the_materialized_graph(pool):
    features, mask = pool
    sel = gcnal.select(features - features.mean(0), mask, 5, method="uncertain_gcn", seed=0,
                       options=FAST, return_info=True)
    assert sel.info["graph"] == "dense (materialized 60x60)"


def test_column_normalization_is_selectable(pool):
    features, mask = pool
    idx = gcnal.select(features, mask, 5, method="uncertain_gcn", seed=0,
                       options={"normalization": "column", **FAST})
    assert len(set(idx.tolist())) == 5
    with pytest.raises(InvalidParameterError, match="'normalization'"):
        gcnal.select(features, mask, 5, method="core_gcn", options={"normalization": "sym"})


@pytest.mark.parametrize("method", ["uncertain_gcn", "core_gcn", "coreset"])
def test_cold_start_does_not_crash(method, pool, caplog, fast_options):
    features, _ = pool
    none = np.zeros(60, dtype=bool)
    with caplog.at_level(logging.WARNING):
        sel = gcnal.select(features, none, 6, method=method, seed=0,
                           options=fast_options(method), return_info=True)
    assert len(set(sel.indices.tolist())) == 6
    if method != "coreset":
        assert "cold_start" in sel.info and "no labelled item" in caplog.text


def test_cold_start_covers_both_clusters(pool):
    features, _ = pool
    idx = gcnal.select(features, np.zeros(60, dtype=bool), 2, method="core_gcn", seed=0)
    assert {int(i) // 30 for i in idx} == {0, 1}


@pytest.mark.parametrize("name, value", [
    ("dropout", 1.0), ("s_margin", 2), ("lr", 0), ("lr", float("inf")), ("epochs", 0),
    ("epochs", True), ("hidden", 1.5), ("graph", "knn3"), ("k", 0), ("k", False),
    ("weight_decay", float("nan")), ("lambda_unlabelled", float("inf")), ("subset", 0),
    ("batch_size", "many"), ("cold_start", "nope"), ("cold_start", 3)])
def test_bad_options(pool, name, value):
    features, mask = pool
    with pytest.raises(InvalidParameterError, match=f"'{name}'"):
        gcnal.select(features, mask, 2, method="uncertain_gcn", options={name: value})


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 40), d=st.integers(1, 6), data=st.data())
def test_contract_property(n, d, data, method_kwargs, fast_options):
    method = data.draw(st.sampled_from(METHODS))
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    features = rng.normal(size=(n, d)).astype(np.float32)
    mask = rng.random(n) < data.draw(st.floats(0, 0.9))
    if mask.all():
        mask[0] = False
    budget = data.draw(st.integers(1, int((~mask).sum())))
    kwargs = method_kwargs(method, n)
    idx = gcnal.select(features, mask, budget, method=method, seed=0,
                       options=fast_options(method, epochs=3), **kwargs)
    assert idx.dtype == np.int64 and len(idx) == budget
    assert len(np.unique(idx)) == budget and not mask[idx].any()


@pytest.mark.parametrize("method", ["uncertain_gcn", "core_gcn"])
def test_knn_graph_gives_a_valid_selection(method, pool):
    features, mask = pool
    sel = gcnal.select(features, mask, 6, method=method, seed=0,
                       options={"graph": "knn", "k": 5, **FAST}, return_info=True)
    assert sel.info["graph"].startswith("knn (k=5")
    assert len(set(sel.indices.tolist())) == 6 and not mask[sel.indices].any()


def test_auto_graph_prefers_exact_dense_then_knn(pool):
    features, mask = pool
    signed = features - features.mean(0)
    gcn = {"method": "uncertain_gcn", "seed": 0, "return_info": True, "options": FAST}
    assert gcnal.select(features, mask, 2, **gcn).info["graph"].startswith("dense (factored")
    assert gcnal.select(signed, mask, 2, **gcn).info[
        "graph"].startswith("dense (materialized")
    adj, description = gcnal.build_adjacency(torch.from_numpy(signed), "auto", dense_memory=100)
    assert isinstance(adj, gcnal.KNNAdjacency) and description.startswith("knn")


def test_selector_options_reach_the_selector(pool):
    features, mask = pool
    a = gcnal.select(features, mask, 5, method="probcover", seed=0,
                     options={"delta": 0.05, "k": 10})
    b = gcnal.select(features, mask, 5, method="probcover", seed=0, options={"k": 10})
    assert not mask[a].any() and not np.array_equal(a, b)
    with pytest.raises(InvalidParameterError, match="'options'.*probcover.*unknown \\['radius'\\]"):
        gcnal.select(features, mask, 5, method="probcover", options={"radius": 1})


def test_sampler_options_reach_the_sampler(pool):
    features, mask = pool
    sel = gcnal.select(features, mask, 5, method="core_gat", seed=0,
                       options={"hidden": 8, "epochs": 5, "heads": 2, "sampler_k": 4},
                       return_info=True)
    assert sel.embeddings.shape == (60, 8)  # 2 heads of 4 channels
    with pytest.raises(InvalidParameterError, match="'options'.*unknown \\['depth'\\]"):
        gcnal.select(features, mask, 5, method="core_gat", options={"depth": 3})
    with pytest.raises(InvalidParameterError, match="'options'.*unknown \\['heads'\\]"):
        gcnal.select(features, mask, 5, method="coreset", options={"heads": 2})


def test_cold_start_selector_is_configurable(pool):
    features, _ = pool
    none = np.zeros(60, dtype=bool)
    sel = gcnal.select(features, none, 4, method="uncertain_gcn", seed=0,
                       options={"cold_start": "typiclust", **FAST}, return_info=True)
    assert sel.info["cold_start"] == "typiclust on graph-propagated features"
    assert {int(i) // 30 for i in sel.indices} == {0, 1}
    with pytest.raises(UnknownNameError, match="'cold_start'.*Got 'nope'"):
        gcnal.select(features, none, 4, method="uncertain_gcn", options={"cold_start": "nope"})
