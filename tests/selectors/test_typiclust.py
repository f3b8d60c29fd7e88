"""TypiClust, and the graph baselines through gcnal.select."""
import numpy as np
import pytest
import torch

import gcnal
from gcnal import InvalidParameterError
from gcnal.graph import l2_normalize
from gcnal.selectors import typicality, typiclust


def test_typicality_by_hand():
    # on a unit circle, an item in the middle of a tight arc is the most typical
    angles = torch.tensor([0.0, 0.1, 0.2, 0.3, 2.0])
    x = torch.stack([angles.cos(), angles.sin()], dim=1)
    typ = typicality(x, k=2)
    assert int(typ.argmax()) in (1, 2) and int(typ.argmin()) == 4
    assert typicality(x[:1]).tolist() == [0.0]


def test_typiclust_goes_to_uncovered_clusters_first(blobs, gen):
    x, assign = blobs()
    labelled = (assign < 4) & (torch.arange(240) < 40)  # clusters 0-3 labelled
    picks = typiclust(None, x, labelled, 2, generator=gen(), max_clusters=6)[0]
    assert sorted(assign[picks].tolist()) == [4, 5]


def test_typiclust_picks_the_most_typical_member(blobs, gen):
    x, assign = blobs(num_clusters=2, per_cluster=30)
    picks = typiclust(None, x, torch.zeros(60, dtype=torch.bool), 2, generator=gen())[0]
    v = l2_normalize(x)
    for p in picks.tolist():
        members = torch.nonzero(assign == assign[p], as_tuple=True)[0]
        assert members[typicality(v[members], 20).argmax()] == p


@pytest.mark.parametrize("name, value", [("k", 0), ("max_clusters", 0),
                                         ("min_cluster_size", -1)])
def test_typiclust_bad_options(blobs, name, value):
    x, _ = blobs(per_cluster=3)
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of typiclust"):
        typiclust(None, x, torch.zeros(18, dtype=torch.bool), 2, **{name: value})


@pytest.mark.parametrize("method", ["featprop", "probcover", "typiclust"])
def test_cold_start_through_select_covers_every_cluster(blobs, method):
    x, assign = blobs()
    idx = gcnal.select(x.numpy(), np.zeros(240, dtype=bool), 6, method=method, seed=0)
    assert sorted(assign[torch.from_numpy(idx)].tolist()) == list(range(6))


@pytest.mark.parametrize("method", ["featprop", "probcover", "typiclust"])
def test_select_does_not_touch_the_global_rng(blobs, method):
    x, _ = blobs(per_cluster=10)
    state = torch.get_rng_state()
    gcnal.select(x, torch.zeros(60, dtype=torch.bool), 5, method=method, seed=0)
    assert torch.equal(state, torch.get_rng_state())
