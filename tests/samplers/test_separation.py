"""Every trainable sampler learns to tell the labelled cluster from the rest of the pool."""
import pytest
import torch
from sklearn.metrics import roc_auc_score

from gcnal import CosineAdjacency
from gcnal.samplers import (BatchTransformerSampler, GATSampler, GCNSampler, score_sampler,
                            train_sampler)


@pytest.mark.parametrize("sampler, options, train_options, min_auc, embed_size", [
    (GCNSampler, dict(cached=True), dict(), 0.9, 128),
    (GATSampler, dict(hidden_channels=32, cached=True), dict(epochs=60), 0.85, 32),
    (BatchTransformerSampler, dict(hidden_channels=32, batch_size=32, draws=4),
     dict(epochs=50), 0.85, 32),
], ids=["gcn", "gat", "batch_transformer"])
def test_sampler_learns_to_separate_labelled_from_unlabelled(clustered_pool, sampler, options,
                                                             train_options, min_auc, embed_size):
    x, labelled, assign = clustered_pool()
    adj = CosineAdjacency(x)
    model = sampler(16, **options)
    losses = train_sampler(model, adj.vectors, adj, labelled, **train_options,
                           generator=torch.Generator().manual_seed(0))
    scores, embeddings = score_sampler(model, adj.vectors, adj)
    assert losses[-1] < losses[0]
    assert roc_auc_score(labelled.numpy(), scores.numpy()) > min_auc
    # the unlabelled half of the labelled cluster looks more "labelled" than the other clusters
    same_cluster = (assign == 0) & ~labelled
    assert scores[same_cluster].mean() > scores[assign != 0].mean()
    assert embeddings.shape == (200, embed_size)
