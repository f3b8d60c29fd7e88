"""The graph baselines, called directly, cover every cluster at cold start."""
import pytest
import torch

from gcnal.selectors import featprop, probcover, typiclust


@pytest.mark.parametrize("selector", [featprop, probcover, typiclust],
                         ids=lambda selector: selector.__name__)
def test_picks_one_item_per_cluster_at_cold_start(blobs, gen, selector):
    x, assign = blobs()
    picks = selector(None, x, torch.zeros(240, dtype=torch.bool), 6, generator=gen())[0]
    assert sorted(assign[picks].tolist()) == list(range(6))
