import logging

import pytest
import torch

import gcnal
from gcnal import progress


@pytest.fixture
def pool():
    g = torch.Generator().manual_seed(0)
    features = torch.randn(120, 6, generator=g)  # signed: graph="knn" is a real search
    labelled = torch.arange(120) < 10
    return features, labelled


@pytest.fixture
def no_delay(monkeypatch):
    monkeypatch.setattr(progress, "DELAY_SECONDS", 0.0)  # every stage counts as long


@pytest.mark.parametrize("method, stages", [
    ("core_gcn", ["kNN search", "training sampler", "k-center picks"]),
    ("typical_diverse", ["kNN search", "typical_diverse picks"]),
    ("probcover", ["kNN search", "ProbCover picks"]),
])
def test_progress_shows_a_bar_for_each_long_stage(pool, no_delay, capsys, method, stages):
    features, labelled = pool
    # typical_diverse: the blend's stages (without probs the default picks as TypiClust)
    options = {"core_gcn": {"graph": "knn", "epochs": 3},
               "typical_diverse": {"cold_start": True}}.get(method, {})
    gcnal.select(features, labelled, 5, method, seed=0, options=options, progress=True)
    err = capsys.readouterr().err
    for stage in stages:
        assert f"gcnal: {stage}" in err


def test_no_bar_without_progress(pool, no_delay, capsys):
    features, labelled = pool
    gcnal.select(features, labelled, 5, "core_gcn", seed=0, options={"graph": "knn", "epochs": 3})
    assert "gcnal:" not in capsys.readouterr().err


def test_info_logs_name_the_graph_the_training_and_the_time_of_each_stage(pool, caplog):
    features, labelled = pool
    with caplog.at_level(logging.INFO, logger="gcnal"):
        gcnal.select(features, labelled, 5, "core_gcn", seed=0,
                     options={"graph": "knn", "k": 4, "epochs": 3})
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("gcnal")]
    assert any(m.startswith("graph: knn (k=4") and m.endswith(" s)") for m in messages)
    assert any(m.startswith("training: GCNSampler, full batch, 3 epochs") for m in messages)
    assert any(m.startswith("selection: k_center_greedy, 5 picks") for m in messages)


def test_showing_progress_is_scoped_to_its_block():
    items = range(3)
    with progress.showing_progress(True):
        assert progress.progress_bar(items, "x") is not items
    assert progress.progress_bar(items, "x") is items
