"""Exact mini-batch training of the GCN sampler on the kNN graph."""
import pytest
import torch
from sklearn.metrics import roc_auc_score

import gcnal
from gcnal import CosineAdjacency, InvalidParameterError, KNNAdjacency
from gcnal.losses import weighted_bce_with_logits
from gcnal.samplers import GCNSampler, score_sampler, train_sampler
from gcnal.samplers.training import resolve_batch_size


def test_row_block_equals_the_rows_of_the_full_product():
    x = torch.rand(60, 8, generator=torch.Generator().manual_seed(0))
    adj = KNNAdjacency(x, k=4)
    y = torch.randn(60, 3, generator=torch.Generator().manual_seed(1))
    rows = torch.tensor([3, 17, 18, 42])
    columns, block = adj.rows(rows)
    assert set(rows.tolist()) <= set(columns.tolist())
    assert torch.equal(columns, columns.sort().values)
    assert torch.allclose(block @ y[columns], (adj @ y)[rows], atol=1e-6)
    all_columns, _ = adj.rows(torch.arange(60))
    assert torch.equal(all_columns, torch.arange(60))


def test_forward_rows_gives_the_full_forward_on_those_rows():
    x = torch.rand(50, 8, generator=torch.Generator().manual_seed(0))
    adj = KNNAdjacency(x, k=5)
    model = GCNSampler(8, hidden_channels=16, cached=True).eval()
    rows = torch.tensor([0, 7, 8, 30, 49])
    assert torch.allclose(model.forward_rows(adj.vectors, adj, rows),
                          model(adj.vectors, adj)[rows], atol=1e-5)


def test_batch_loss_with_pool_class_sizes_is_the_full_loss_on_the_pool():
    logits = torch.randn(20, generator=torch.Generator().manual_seed(0))
    mask = torch.arange(20) < 6
    full = weighted_bce_with_logits(logits, mask, 1.2)
    assert torch.allclose(weighted_bce_with_logits(logits, mask, 1.2, class_sizes=(6, 14)), full)
    halves = sum(weighted_bce_with_logits(logits[part], mask[part], 1.2, class_sizes=(6, 14)) / 2
                 for part in (slice(0, 10), slice(10, 20)))
    assert torch.allclose(halves, full)


def test_one_batch_covering_the_pool_trains_like_full_batch(clustered_pool):
    # dropout off: the mini-batch path's shuffle draws from the generator, dropout masks would differ
    x, labelled, _ = clustered_pool()
    adj = KNNAdjacency(x, k=8)
    runs = []
    for batch_size in (None, 200):
        model = GCNSampler(16, dropout=0.0, cached=True)
        runs.append(train_sampler(model, adj.vectors, adj, labelled, epochs=20,
                                  generator=torch.Generator().manual_seed(0),
                                  batch_size=batch_size))
    assert runs[0] == pytest.approx(runs[1], rel=1e-5)
    assert runs[0][-1] < runs[0][0]


def test_small_mini_batches_still_separate_labelled_from_unlabelled(clustered_pool):
    x, labelled, assign = clustered_pool()
    adj = KNNAdjacency(x, k=8)
    model = GCNSampler(16, cached=True)
    losses = train_sampler(model, adj.vectors, adj, labelled, epochs=40, batch_size=32,
                           generator=torch.Generator().manual_seed(0))
    scores, _ = score_sampler(model, adj.vectors, adj)
    assert losses[-1] < losses[0]
    assert roc_auc_score(labelled.numpy(), scores.numpy()) > 0.9
    same_cluster = (assign == 0) & ~labelled
    assert scores[same_cluster].mean() > scores[assign != 0].mean()


def test_mini_batch_shuffling_is_driven_by_the_generator(clustered_pool):
    x, labelled, _ = clustered_pool()
    adj = KNNAdjacency(x, k=8)
    runs = [train_sampler(GCNSampler(16, cached=True), adj.vectors, adj, labelled, epochs=3,
                          batch_size=50, generator=torch.Generator().manual_seed(seed))
            for seed in (0, 0, 1)]
    assert runs[0] == runs[1] and runs[0] != runs[2]


def test_mini_batches_need_a_sparse_graph_and_forward_rows(clustered_pool):
    x, labelled, _ = clustered_pool()
    adj = CosineAdjacency(x)
    with pytest.raises(InvalidParameterError, match="'batch_size' parameter of train_sampler"):
        train_sampler(GCNSampler(16, cached=True), adj.vectors, adj, labelled, batch_size=10)


def test_auto_batch_size_is_full_batch_for_small_pools(clustered_pool, monkeypatch):
    x, _, _ = clustered_pool()
    adj, model = KNNAdjacency(x, k=8), GCNSampler(16, cached=True)
    assert resolve_batch_size("auto", model, adj) == (None, "full batch")
    from gcnal.samplers import training
    monkeypatch.setattr(training, "MINI_BATCH_NODES", 100)
    monkeypatch.setattr(training, "AUTO_BATCH_SIZE", 64)
    assert resolve_batch_size("auto", model, adj) == (64, "mini-batches of 64 (4 per epoch)")
    assert resolve_batch_size("auto", model, CosineAdjacency(x))[0] is None


def test_select_reports_mini_batch_training(clustered_pool):
    x, labelled, _ = clustered_pool()
    sel = gcnal.select(x, labelled, 5, method="core_gcn", seed=0, return_info=True,
                       options={"graph": "knn", "k": 8, "epochs": 5, "batch_size": 64})
    assert sel.info["training"] == "mini-batches of 64 (4 per epoch)"
    assert len(set(sel.indices.tolist())) == 5 and not labelled[sel.indices].any()
    sel = gcnal.select(x, labelled, 5, method="uncertain_gcn", seed=0, return_info=True,
                       options={"graph": "knn", "k": 8, "epochs": 2})
    assert sel.info["training"] == "full batch"


@pytest.mark.parametrize("bad", [0, "big", 2.5])
def test_select_rejects_a_bad_batch_size(clustered_pool, bad):
    x, labelled, _ = clustered_pool()
    with pytest.raises(InvalidParameterError, match="'batch_size' parameter of select.*int"):
        gcnal.select(x, labelled, 5, method="core_gcn", options={"batch_size": bad})
